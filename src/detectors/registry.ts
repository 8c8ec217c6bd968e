/**
 * The detectors, in the order they judge each field of a reading (and so the order of the
 * anomaly steps one reading causes). Adding a detector: write its module (see detector.ts),
 * add it here; its settings, memory and explanation join the device state, the configuration,
 * the anomaly contract and the backtest from this list.
 */
import { z } from 'zod';
import type { Detector } from './detector';
import { artimeDetector } from './artime';
import { flatlineDetector } from './flatline';
import { htmDetector } from './htm';
import { seasonalIForestDetector } from './seasonal-iforest';
import { thresholdDetector } from './threshold';
import { zscoreDetector } from './zscore';

export const detectors = [zscoreDetector, thresholdDetector, seasonalIForestDetector, flatlineDetector, htmDetector, artimeDetector] as const;

type Registered = (typeof detectors)[number];
export type DetectorName = Registered['name'];
type Named<N extends DetectorName> = Extract<Registered, { name: N }>;

/** Each detector's settings, by name: what a device is configured with. */
export type DetectorSettings = { [N in DetectorName]: z.output<Named<N>['settingsSchema']> };
/** Each detector's memories of a device, by name and field. */
export type DetectorMemories = { [N in DetectorName]: Record<string, z.output<Named<N>['memorySchema']>> };
export type Explanation = z.output<Registered['explanationSchema']>;

/**
 * A detector as the device core runs it, whichever it is. Its methods take the settings and
 * memory that the core keeps under its name, so the core never looks inside them.
 */
// `any`: their settings and memories differ; the core passes each detector its own.
export type AnyDetector = Detector<DetectorName, any, any, Explanation, any, any>;

export const detectorNames = detectors.map((d) => d.name) as [DetectorName, ...DetectorName[]];
export const detectorNameSchema = z.enum(detectorNames);

export function detectorNamed(name: DetectorName): AnyDetector {
  return detectors.find((d) => d.name === name) as AnyDetector;
}

/** Every detector's settings, each with its defaults: `parse({})` configures all of them by default. */
export const detectorSettingsSchema: z.ZodType<DetectorSettings> = z.object(
  Object.fromEntries(detectors.map((d) => [d.name, (d.settingsSchema as z.ZodType).prefault({})])),
) as unknown as z.ZodType<DetectorSettings>;

/** Every detector's memories, by field; none yet is an empty record. */
export const detectorMemoriesSchema: z.ZodType<DetectorMemories> = z.object(
  Object.fromEntries(detectors.map((d) => [d.name, z.record(z.string(), d.memorySchema as z.ZodType).default({})])),
) as unknown as z.ZodType<DetectorMemories>;

export const emptyMemories = (): DetectorMemories => detectorMemoriesSchema.parse({});

/** Every detector's explanation, told apart by `kind` (the detector's name). */
export const explanationSchema: z.ZodType<Explanation> = z.discriminatedUnion(
  'kind',
  // Each is a z.object with a literal `kind`; the registry's types keep only what they parse to.
  detectors.map((d) => d.explanationSchema) as unknown as [z.ZodObject<{ kind: z.ZodLiteral<string> }>],
) as unknown as z.ZodType<Explanation>;
