import { z } from 'zod';
import { type DetectorName, detectorNameSchema, type DetectorSettings, detectorSettingsSchema } from '../detectors/registry';
import { type ThresholdLayer, thresholdLayerSchema } from '../detectors/threshold';
import { defaultJudging, type Judging, judgingSchema } from './judging';

/** Silence: DISCONNECTED after `disconnectAfterMs` without data, retired after `retireAfterMs`. */
export const connectionSettingsSchema = z.object({
  disconnectAfterMs: z.number().int().positive().default(60_000),
  retireAfterMs: z.number().int().positive().default(24 * 3600_000),
  /**
   * What silence is measured from: the arrival of the device's last data (`arrival`), or the
   * event time of its newest reading against the clock (`event-time`), as the host rules did:
   * then a replay of old readings finds the device silent at once. Unset: arrival.
   */
  silenceFrom: z.enum(['arrival', 'event-time']).optional(),
});
export type ConnectionSettings = z.infer<typeof connectionSettingsSchema>;

export const eventTimeSettingsSchema = z.object({
  /** How far behind the device's newest reading a reading may be and still count; hours stay open this long. */
  allowedLatenessMs: z.number().int().positive().default(3600_000),
  /**
   * Open windows (and the search attributes' progress) are re-published at most this often, in
   * workflow time, unless something is published anyway (an anomaly step, a connection event, a
   * late reading, a closed hour): one Kafka publication per device a minute instead of one per
   * batch, so most batches cost the Temporal server one workflow task and no activity.
   */
  updateEveryMs: z.number().int().positive().default(60_000),
  /**
   * How long an unkeyed reading waits, in workflow time, before it may be applied, so that the
   * partitions whose readings precede it show up first (device/reorder.ts). A few of the ingest's
   * batch intervals (VIGIL_DEVICE_BATCH_MS, 1 s). Keyed readings never wait.
   */
  reorderWaitMs: z.number().int().nonnegative().default(3000),
});
export type EventTimeSettings = z.infer<typeof eventTimeSettingsSchema>;

/** Everything a device is configured with: a new device gets the configuration's (`config.device`). */
export const deviceSettingsSchema = z.object({
  connection: connectionSettingsSchema.prefault({}),
  eventTime: eventTimeSettingsSchema.prefault({}),
  /** Which detectors judge which fields. */
  judging: judgingSchema.default(defaultJudging),
  detectors: detectorSettingsSchema.prefault({}),
  /** The input formats whose defaults the device has taken (once each: an operator's later change stands). */
  formats: z.array(z.string()).default([]),
});
export type DeviceSettings = { connection: ConnectionSettings; eventTime: EventTimeSettings; judging: Judging; detectors: DetectorSettings; formats: string[] };
export type DeviceSettingsInput = z.input<typeof deviceSettingsSchema>;

export const defaultDeviceSettings = (): DeviceSettings => deviceSettingsSchema.parse({});

/** What an input format brings to its devices (see formats/format.ts); it travels with its readings. */
export const formatDefaultsSchema = z.object({
  name: z.string(),
  judging: z.record(z.string(), z.array(detectorNameSchema)).optional(),
  thresholds: thresholdLayerSchema.optional(),
});
export type FormatDefaults = z.infer<typeof formatDefaultsSchema>;

/** An input format as far as its devices' defaults go. */
interface FormatWithDefaults {
  name: string;
  judging?: Readonly<Record<string, readonly DetectorName[]>>;
  thresholds?: Readonly<ThresholdLayer>;
}

/** What a format brings to its devices, when it brings anything (a format without defaults: undefined). */
export function formatDefaultsOf(format: FormatWithDefaults | undefined): FormatDefaults | undefined {
  if (!format?.judging && !format?.thresholds) return undefined;
  const judging = format.judging ? Object.fromEntries(Object.entries(format.judging).map(([field, names]) => [field, [...names]])) : undefined;
  return { name: format.name, ...(judging ? { judging } : {}), ...(format.thresholds ? { thresholds: { ...format.thresholds } } : {}) };
}

/**
 * A device's settings when its readings come in a format with its own choice of detectors per
 * field (the usage format's `usage` → the seasonal forest) or its own threshold rules (csv3's
 * temp above 100): the format's choice fills in where the configuration names no detectors for
 * the field, and its rules are the lowest layer of thresholds. Once per format: a device
 * started before its first reading (by `thresholds apply`) takes them with that reading, and
 * what an operator changed afterwards stands.
 */
export function withFormatDefaults(settings: DeviceSettings, format: FormatWithDefaults | undefined): DeviceSettings {
  const defaults = formatDefaultsOf(format);
  if (!defaults || settings.formats.includes(defaults.name)) return settings;
  const judging = defaults.judging ?? {};
  const threshold = settings.detectors.threshold;
  return {
    ...settings,
    judging: { ...settings.judging, defaults: { ...judging, ...settings.judging.defaults } },
    detectors: { ...settings.detectors, threshold: { ...threshold, format: { ...threshold.format, ...defaults.thresholds } } },
    formats: [...settings.formats, defaults.name],
  };
}
