import { z } from 'zod';
import { defineDetector } from './detector';

/**
 * The stuck-sensor (flatline) detector: a field whose value stays within `epsilon` of where a run
 * began, for longer than the field's own history makes believable, is stuck.
 *
 * "Believable" is learnt per field: how often a reading repeats the one before it (its repeat
 * rate, from the runs that ended, exponentially weighted). A noisy sensor almost never repeats,
 * so `minReadings` equal readings are already a fault; an integer sensor repeats often, and an
 * idle host's load sits at 0.00 for hours, so they need runs that their own repeat rate makes
 * improbable (below `surprise`). A field that has never varied is constant, not stuck: the rate
 * is judged only once `minReadings` readings have been learnt. And a run at a resting value is
 * rest, not a fault: 0 (`restAtZero`: an idle host's load, a quiet counter), and any value the
 * field rested at before, for a run of at least `minReadings` that ended by itself. A run found stuck teaches neither (the learn
 * gate), so a frozen sensor does not talk itself into being normal.
 *
 * The anomaly is raised once when a run becomes stuck, stays open without an update per reading,
 * and resolves on the first reading that moves.
 */

export const flatlineSettingsSchema = z.object({
  /**
   * Readings in a run, the first included, before it can be stuck. 20: on the evaluation set 10
   * to 60 all find the frozen sensor with no false alarm; 20 is found 18 readings in, and asks a
   * little more of a field that repeats often.
   */
  minReadings: z.number().int().min(2).default(20),
  /** Event time from the run's first reading before it can be stuck. */
  minDurationMs: z.number().int().nonnegative().default(0),
  /** How far a value may wander from the run's first and still be the same. */
  epsilon: z.number().nonnegative().refine(Number.isFinite, 'epsilon must be finite').default(0),
  /** A run is stuck when the field's repeat rate gives it less than this chance. */
  surprise: z.number().gt(0).lt(1).default(1e-6),
  /** Readings the repeat rate weighs (older ones fade). */
  window: z.number().int().min(2).default(1000),
  /** A field at exactly 0 is idle, not stuck: loads, rates and counters rest there. */
  restAtZero: z.boolean().default(true),
});
export type FlatlineSettings = z.infer<typeof flatlineSettingsSchema>;

/** The current run of one field, and what the field's history says about runs. */
export const flatlineMemorySchema = z.object({
  /** The run's first value and event time, and how many readings it holds. */
  value: z.number(),
  since: z.number(),
  readings: z.number().int().positive(),
  /** Whether this run was found stuck: it will not teach the repeat rate. */
  stuck: z.boolean(),
  /** How often a reading repeated the one before it, over the runs that ended. */
  repeatRate: z.number().min(0).max(1),
  /** Readings learnt into the repeat rate (counted up to `window`). */
  learnt: z.number().int().nonnegative(),
  /** Values of long runs that ended by themselves, the latest first (at most REST_VALUES_KEPT). */
  restValues: z.array(z.number()),
});
export type FlatlineMemory = z.infer<typeof flatlineMemorySchema>;

export const flatlineExplanationSchema = z.object({
  kind: z.literal('flatline'),
  /** The value the field is stuck at (the run's first). */
  value: z.number(),
  /** Event time of the run's first reading. */
  since: z.number(),
  readings: z.number().int(),
  /** How often the field repeated a reading before; the run's chance was repeatRate^(readings − 1). */
  repeatRate: z.number(),
  minReadings: z.number().int(),
  epsilon: z.number(),
  /** On the step that resolves an anomaly because the check no longer judges the field. */
  reason: z.literal('released').optional(),
});

export interface FlatlineObservation {
  run: FlatlineMemory;
  /** How far the run is towards stuck, in [0, 1]: 1 when it is. */
  progress: number;
}

const REST_VALUES_KEPT = 4;

type Learnt = Pick<FlatlineMemory, 'repeatRate' | 'learnt' | 'restValues'>;

/** What an ended run teaches: `readings − 1` repeats and a change; if it was long, a resting value. */
function learnRun(memory: FlatlineMemory, settings: FlatlineSettings): Learnt {
  const { repeatRate, learnt, restValues } = memory;
  if (memory.stuck) return { repeatRate, learnt, restValues };
  const rests = memory.readings >= settings.minReadings ? [memory.value, ...restValues.filter((v) => Math.abs(v - memory.value) > settings.epsilon)].slice(0, REST_VALUES_KEPT) : restValues;
  return { ...learnRate(memory, settings.window), restValues: rests };
}

function learnRate(memory: FlatlineMemory, window: number): Pick<FlatlineMemory, 'repeatRate' | 'learnt'> {
  let rate = memory.repeatRate;
  let learnt = memory.learnt;
  for (let i = 0; i < memory.readings; i += 1) {
    learnt = Math.min(window, learnt + 1);
    // While few are learnt, each counts as 1/learnt: the plain average; then 1/window.
    rate += ((i < memory.readings - 1 ? 1 : 0) - rate) / learnt;
  }
  return { repeatRate: rate, learnt };
}

/**
 * How far a run is towards stuck: the least of its readings against `minReadings`, its duration
 * against `minDurationMs`, and its improbability against `surprise` (on a log scale). 0 while
 * the field's repeat rate is not learnt yet, and at a resting value.
 */
function progressOf(run: FlatlineMemory, ts: number, settings: FlatlineSettings): number {
  if (run.learnt < settings.minReadings) return 0;
  if ((settings.restAtZero && run.value === 0) || run.restValues.some((rest) => Math.abs(rest - run.value) <= settings.epsilon)) return 0;
  const chance = run.repeatRate ** (run.readings - 1);
  const improbability = chance <= settings.surprise ? 1 : Math.log(chance) / Math.log(settings.surprise);
  const duration = settings.minDurationMs === 0 ? 1 : (ts - run.since) / settings.minDurationMs;
  return Math.max(0, Math.min(1, run.readings / settings.minReadings, duration, improbability));
}

export const flatlineDetector = defineDetector({
  name: 'flatline',
  settingsSchema: flatlineSettingsSchema,
  memorySchema: flatlineMemorySchema,
  explanationSchema: flatlineExplanationSchema,
  judge(memory, { ts, value }, { settings }) {
    const same = memory !== undefined && Math.abs(value - memory.value) <= settings.epsilon;
    const run: FlatlineMemory = same
      ? { ...memory, readings: memory.readings + 1 }
      : { value, since: ts, readings: 1, stuck: false, ...(memory ? learnRun(memory, settings) : { repeatRate: 0, learnt: 0, restValues: [] }) };
    const progress = progressOf(run, ts, settings);
    run.stuck = progress >= 1;
    return {
      memory: run,
      observation: { run, progress },
      finding: {
        // Raised once, when the run becomes stuck; a stuck field says nothing new per reading.
        verdict: { firing: run.stuck, violated: false, clears: !run.stuck, side: null },
        explanation: {
          kind: 'flatline', value: run.value, since: run.since, readings: run.readings, repeatRate: run.repeatRate, minReadings: settings.minReadings, epsilon: settings.epsilon,
        },
      },
    };
  },
  release: (settings, memory) => ({
    kind: 'flatline', value: memory?.value ?? 0, since: memory?.since ?? 0, readings: memory?.readings ?? 0, repeatRate: memory?.repeatRate ?? 0,
    minReadings: settings.minReadings, epsilon: settings.epsilon, reason: 'released',
  }),
  explain: (e) => `stuck at ${e.value} since ${new Date(e.since).toISOString()}, ${e.readings} readings (it repeated ${Math.round(e.repeatRate * 100)} % of readings before)`,
  summary(settings, memory) {
    const run = memory?.readings ?? 0;
    const rate = memory && memory.learnt >= settings.minReadings ? `, repeats ${Math.round(memory.repeatRate * 100)} % of readings` : ', learning how often it repeats';
    return { text: `stuck after ≥ ${settings.minReadings} unchanged readings${settings.minDurationMs > 0 ? ` and ${settings.minDurationMs / 1000} s` : ''}${rate}; current run ${run}`, values: { run, repeatRate: memory?.repeatRate ?? null } };
  },
  backtest: {
    columns: ['run_value', 'run_since', 'run_readings', 'repeat_rate', 'stuck', 'event', 'skipped'],
    row({ run, progress }: FlatlineObservation) {
      return { anomalyScore: progress, extras: { run_value: run.value, run_since: new Date(run.since).toISOString(), run_readings: run.readings, repeat_rate: run.repeatRate, stuck: run.stuck } };
    },
  },
});
