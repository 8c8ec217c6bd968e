import { z } from 'zod';
import { type AnyDetector, type DetectorName, detectorNameSchema, detectors } from '../detectors/registry';
import { fieldNameSchema } from '../reading';

/**
 * Which detectors judge which fields of a device.
 *
 * - `defaults`: by field, with `*` for every field not named. They come from the configuration
 *   (`VIGIL_DETECTORS`) over the defaults of the device's input format (the usage format's
 *   `usage` is judged by the seasonal forest, the EPA format's value by HTM, …).
 * - `fields`: the device's own choice per field, by an operator (an Update, the control topic).
 *
 * A detector whose own settings name the field (a threshold rule) always judges it, and then
 * alone, unless the device's own choice for the field asks for more: a field with thresholds is
 * judged by its thresholds unless z-score is asked for too.
 */
export const judgingSchema = z.object({
  defaults: z.record(z.union([fieldNameSchema, z.literal('*')]), z.array(detectorNameSchema)),
  fields: z.record(fieldNameSchema, z.array(detectorNameSchema)),
});
export type Judging = z.infer<typeof judgingSchema>;

/** Every field: z-score, and the stuck-sensor check (it raised nothing on the evaluation set's normal series). */
export const defaultJudging = (): Judging => ({ defaults: { '*': ['zscore', 'flatline'] }, fields: {} });

/** What a detector needs to say whether its own settings name a field: its settings, by name. */
type SettingsByDetector = Record<DetectorName, unknown>;

/** The detectors that judge a field, in registry order. */
export function detectorsJudging(judging: Judging, settings: SettingsByDetector, field: string): DetectorName[] {
  const chosen = judging.fields[field];
  const all = detectors as readonly AnyDetector[];
  const configured = all.filter((d) => d.configuredFor?.(settings[d.name], field) === true).map((d) => d.name);
  const selected: readonly DetectorName[] = chosen ?? (configured.length > 0 ? [] : (judging.defaults[field] ?? judging.defaults['*'] ?? []));
  // A detector that needs its own settings to name the field (a threshold rule) judges by them alone.
  return all.filter((d) => (d.configuredFor ? configured.includes(d.name) : selected.includes(d.name))).map((d) => d.name);
}

/** `*=zscore,flatline;usage=seasonal-iforest`: detectors by field, as `VIGIL_DETECTORS` writes them. */
export function parseJudging(spec: string): Record<string, string[]> {
  return Object.fromEntries(
    spec
      .split(';')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const [field = '', names = ''] = entry.split('=');
        return [field.trim(), names.split(',').map((name) => name.trim()).filter(Boolean)];
      }),
  );
}

/** The device's own choice for a field after a change; null goes back to the defaults. */
export function withJudgingChange(judging: Judging, field: string, detectorNames: readonly DetectorName[] | null): Judging {
  const fields = { ...judging.fields };
  if (detectorNames === null) delete fields[field];
  else fields[field] = [...new Set(detectorNames)];
  return { ...judging, fields };
}
