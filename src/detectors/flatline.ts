import { z } from 'zod';
import { fieldNameSchema } from '../reading';
import { defineDetector } from './detector';

/**
 * The stuck-sensor (flatline) detector: a field whose value stays within `epsilon` of where a run
 * began for at least `minReadings` readings and `minDurationMs` of event time is stuck. The
 * anomaly is raised when the run becomes long enough, stays open (without an update per
 * reading) while the value stays, and resolves on the first reading that moves.
 *
 * On no field unless configured: which fields it watches by default, and with which N and T,
 * is decided by measurement on real and labelled data.
 */

export const flatlineSettingsSchema = z.object({
  fields: z.array(fieldNameSchema).default([]),
  /** Readings in a run, the first included, before it counts as stuck. */
  minReadings: z.number().int().min(2).default(30),
  /** Event time from the run's first reading before it counts as stuck. */
  minDurationMs: z.number().int().nonnegative().default(0),
  /** How far a value may wander from the run's first and still be the same. */
  epsilon: z.number().nonnegative().refine(Number.isFinite, 'epsilon must be finite').default(0),
});
export type FlatlineSettings = z.infer<typeof flatlineSettingsSchema>;

/** The current run of one field: its first value and time, and how many readings it holds. */
export const flatlineMemorySchema = z.object({
  value: z.number(),
  since: z.number(),
  readings: z.number().int().positive(),
});
export type FlatlineRun = z.infer<typeof flatlineMemorySchema>;

export const flatlineExplanationSchema = z.object({
  kind: z.literal('flatline'),
  /** The value the field is stuck at (the run's first). */
  value: z.number(),
  /** Event time of the run's first reading. */
  since: z.number(),
  readings: z.number().int(),
  minReadings: z.number().int(),
  minDurationMs: z.number(),
  epsilon: z.number(),
});

export interface FlatlineObservation {
  run: FlatlineRun;
  /** How far the run is towards stuck, by its readings and its duration: 1 when it is. */
  progress: number;
}

export const flatlineDetector = defineDetector({
  name: 'flatline',
  settingsSchema: flatlineSettingsSchema,
  memorySchema: flatlineMemorySchema,
  explanationSchema: flatlineExplanationSchema,
  judges: (settings, field) => settings.fields.includes(field),
  focus: (settings, field) => ({ ...settings, fields: [...new Set([...settings.fields, field])] }),
  judge(memory, { ts, value }, { settings }) {
    const { minReadings, minDurationMs, epsilon } = settings;
    const same = memory !== undefined && Math.abs(value - memory.value) <= epsilon;
    const run: FlatlineRun = same ? { ...memory, readings: memory.readings + 1 } : { value, since: ts, readings: 1 };
    const progress = Math.min(1, run.readings / minReadings, minDurationMs === 0 ? 1 : (ts - run.since) / minDurationMs);
    const stuck = progress >= 1;
    return {
      memory: run,
      observation: { run, progress },
      finding: {
        // Raised once, when the run gets long enough; a stuck field says nothing new per reading.
        verdict: { firing: stuck, violated: false, clears: !stuck, side: null },
        explanation: { kind: 'flatline', value: run.value, since: run.since, readings: run.readings, minReadings, minDurationMs, epsilon },
      },
    };
  },
  explain: (e) => `stuck at ${e.value} since ${new Date(e.since).toISOString()}, ${e.readings} readings (≥ ${e.minReadings}${e.epsilon > 0 ? `, ±${e.epsilon}` : ''})`,
  summary(settings, memory, field) {
    if (!settings.fields.includes(field)) return undefined;
    const run = memory?.readings ?? 0;
    return { text: `stuck after ${settings.minReadings} readings${settings.minDurationMs > 0 ? ` and ${settings.minDurationMs / 1000} s` : ''}; current run ${run}`, values: { run } };
  },
  backtest: {
    columns: ['run_value', 'run_since', 'run_readings', 'stuck', 'event', 'skipped'],
    row({ run, progress }: FlatlineObservation) {
      return { anomalyScore: progress, extras: { run_value: run.value, run_since: new Date(run.since).toISOString(), run_readings: run.readings, stuck: progress >= 1 } };
    },
  },
});
