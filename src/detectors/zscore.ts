import { z } from 'zod';
import { fieldNameSchema } from '../reading';
import { parseOrReject } from '../validate';
import { defineDetector, round3 } from './detector';
import { addValue, addValueWithin, emptyM2, type M2, m2Schema, stdev } from './welford';

/**
 * The z-score detector: an online Welford model (n, mean, m2) per field; a value is anomalous
 * when the model has at least `minSamples` readings and the value lies strictly beyond
 * mean ± k·stdev (sample stdev, n − 1), judged against the model *before* the value joins it.
 *
 * - The learn gate (`learnAnomalies` off) keeps anomalous values out of the model, so an outlier
 *   does not widen the baseline; open by default, since on real series it also keeps out the
 *   new regime a burst starts (see DEFAULT_LEARN_ANOMALIES).
 * - A sustained level shift is a new normal, not an anomaly for ever: after `relearnAfter`
 *   anomalous readings in a row the open anomaly resolves with reason `level-shift` and the model
 *   starts again from those readings.
 * - With a `window`, the model weighs about its last `window` readings (exponential forgetting),
 *   so it follows a slow drift and a changed spread instead of ageing into stone.
 */

export const directionSchema = z.enum(['above', 'below', 'both']);

/**
 * Defaults chosen on the labelled evaluation set (`npm run eval:detectors -- --sweep zscore`):
 * both directions find dips and falls (14 of 19 labels against 10 with `above`); a window of
 * 200 readings finds spikes once the noise has calmed and adapts to a changed spread (100 to 300
 * do about as well, 1000 or none miss the calmer spikes); 10 anomalous readings in a row make a
 * new level sooner than 20 or 30 at the same detections, and with the fewest readings alarmed
 * outside the labels.
 */
const DEFAULT_DIRECTION = 'both';
/**
 * The learn gate is open by default: every reading teaches the model, anomalies too, as NAB's
 * Windowed Gaussian does. Measured on real labelled data (NAB v1.1's development half,
 * `npm run eval:nab`): with the gate closed z-score scores 4.1 (standard profile), since a burst
 * or a noisier regime never reaches the model and every later reading alarms; with it open, 40.1.
 * Letting anomalies teach with a lower weight only falls between (25.7 at 1/10, 27.6 at 1/4, 33.0
 * at 1/2), and clipping them to the band first, 11.9. With the 200-reading window a spike of 10
 * stdevs widens the stdev by about a fifth, fading as the window moves on, so isolated spikes
 * are still found one after another (the evaluation set's spikes and dips, exactly).
 */
const DEFAULT_LEARN_ANOMALIES = true;
const DEFAULT_RELEARN_AFTER = 10;
const DEFAULT_WINDOW = 200;

const zscoreRuleShape = {
  /** How many standard deviations from the mean count as anomalous. */
  k: z.number().positive().refine(Number.isFinite, 'k must be finite'),
  /** Readings the model must have seen before it judges. */
  minSamples: z.number().int().min(2),
  direction: directionSchema,
  /** Normal readings in a row that resolve an open anomaly. */
  clearAfter: z.number().int().min(1),
  /** The learn gate: whether an anomalous value still teaches this model. */
  learnAnomalies: z.boolean(),
  /** Anomalous readings in a row that make a new level: the model re-baselines on them. null: never. */
  relearnAfter: z.number().int().min(2).nullable(),
  /** Readings the model weighs (older ones fade); null: every reading alike, for ever. */
  window: z.number().int().min(2).nullable(),
};

export const zscoreRuleSchema = z.object({
  k: zscoreRuleShape.k.default(4),
  minSamples: zscoreRuleShape.minSamples.default(30),
  direction: zscoreRuleShape.direction.default(DEFAULT_DIRECTION),
  clearAfter: zscoreRuleShape.clearAfter.default(1),
  learnAnomalies: zscoreRuleShape.learnAnomalies.default(DEFAULT_LEARN_ANOMALIES),
  relearnAfter: zscoreRuleShape.relearnAfter.default(DEFAULT_RELEARN_AFTER),
  window: zscoreRuleShape.window.default(DEFAULT_WINDOW),
});
export type ZScoreRule = z.infer<typeof zscoreRuleSchema>;
export type ZScoreRuleInput = z.input<typeof zscoreRuleSchema>;

/** Per-field overrides: only what is given, no defaults (they would mask the device's own). */
export const zscoreRuleOverrideSchema = z.object(zscoreRuleShape).partial().strict();

export const zscoreSettingsSchema = z.object({
  defaults: zscoreRuleSchema.default(() => zscoreRuleSchema.parse({})),
  /** Per-field overrides of the defaults (k, learn gate, …): each field's model is its own. */
  fields: z.record(fieldNameSchema, zscoreRuleOverrideSchema).default({}),
});
export type ZScoreSettings = z.infer<typeof zscoreSettingsSchema>;

export const zscoreMemorySchema = z.object({
  model: m2Schema,
  /** Normal readings in a row: what `clearAfter` counts. */
  goodStreak: z.number().int().nonnegative(),
  /** The anomalous readings of the current run, at most `relearnAfter`: a new level's first values. */
  run: z.array(z.number()),
  /**
   * A model pushed to be judged by as it is (the sensor notebook's model topic): readings never
   * change it, nor start a new level, until another push or a reset.
   */
  fixed: z.literal(true).optional(),
});
export type ZScoreMemory = z.infer<typeof zscoreMemorySchema>;

export const zscoreExplanationSchema = z.object({
  kind: z.literal('zscore'),
  n: z.number(),
  mean: z.number(),
  stdev: z.number(),
  /** Standard deviations from the mean; null when stdev is 0. */
  z: z.number().nullable(),
  k: z.number(),
  direction: directionSchema,
  lower: z.number(),
  upper: z.number(),
  /** On a resolving step: the values settled at a new level, or z-score no longer judges the field. */
  reason: z.enum(['level-shift', 'released']).optional(),
});
export type ZScoreExplanation = z.infer<typeof zscoreExplanationSchema>;

export interface ZScoreVerdict {
  anomalous: boolean;
  mean: number;
  stdev: number;
  /** Standard deviations from the mean; null when stdev is 0 (any difference is then infinitely far). */
  z: number | null;
  /** The bounds the value was judged against: mean ∓ k·stdev. */
  lower: number;
  upper: number;
}

/** Judges a value against the model it has not yet been added to; undefined while warming up. */
export function judgeZScore(model: M2, value: number, rule: ZScoreRule): ZScoreVerdict | undefined {
  const sd = stdev(model);
  if (model.n < rule.minSamples || sd === undefined) return undefined;
  const lower = model.mean - rule.k * sd;
  const upper = model.mean + rule.k * sd;
  const above = value > upper;
  const below = value < lower;
  const anomalous = rule.direction === 'above' ? above : rule.direction === 'below' ? below : above || below;
  const z = sd > 0 ? (value - model.mean) / sd : value === model.mean ? 0 : null;
  return { anomalous, mean: model.mean, stdev: sd, z, lower, upper };
}

/** The model after a value joins it: within the rule's window, or Welford's for ever. */
const learnedModel = (model: M2, value: number, rule: ZScoreRule): M2 => (rule.window === null ? addValue(model, value) : addValueWithin(model, value, rule.window));

/** The rule of one field: the device's defaults with the field's overrides. */
export function zscoreRuleFor(settings: ZScoreSettings, field: string): ZScoreRule {
  return { ...settings.defaults, ...settings.fields[field] };
}

/**
 * The settings after an operator's change of the device's defaults (no field) or of one field's
 * overrides, validated whole; throws a readable error, changing nothing, when the result is invalid.
 */
export function changedZScoreSettings(current: ZScoreSettings, field: string | undefined, rule: z.infer<typeof zscoreRuleOverrideSchema>): ZScoreSettings {
  const next = {
    defaults: field === undefined ? { ...current.defaults, ...rule } : current.defaults,
    fields: field === undefined ? current.fields : { ...current.fields, [field]: { ...current.fields[field], ...rule } },
  };
  parseOrReject(zscoreRuleSchema, { ...next.defaults, ...(field === undefined ? {} : next.fields[field]) }, 'z-score rule');
  return parseOrReject(zscoreSettingsSchema, next, 'z-score configuration');
}

/** The field's memory with a pushed model (`{n, mean, m2}`); the streak carries on. `fixed`: it judges as it is, and learns nothing. */
export function withPushedModel(memory: ZScoreMemory | undefined, model: M2, fixed = false): ZScoreMemory {
  return { model, goodStreak: memory?.goodStreak ?? 0, run: [], ...(fixed ? { fixed: true as const } : {}) };
}

/**
 * The field's memory once an operator said a value the gate kept out was normal (a false
 * alarm): the value joins the model as any normal reading would.
 */
export function withLearntValue(memory: ZScoreMemory | undefined, value: number, rule: ZScoreRule): ZScoreMemory {
  return { model: learnedModel(memory?.model ?? { n: 0, mean: 0, m2: 0 }, value, rule), goodStreak: memory?.goodStreak ?? 0, run: memory?.run ?? [] };
}

/**
 * The rule a model pushed on the model topic is judged by, as the notebook that pushes them
 * judges: above only, from two readings (a sample stdev), no new level; k stays the device's.
 */
export const pushedModelRule = { direction: 'above', minSamples: 2, relearnAfter: null } as const satisfies z.infer<typeof zscoreRuleOverrideSchema>;

/**
 * How strongly a value departs from the model in the judged direction, in [0, 1]: |z|/(|z| + k)
 * of the deviation that counts (0 the other way), so it passes 0.5 exactly where the value
 * becomes anomalous, and is comparable across detectors. 0 while warming up.
 */
export function zscoreScore(verdict: ZScoreVerdict | undefined, rule: Pick<ZScoreRule, 'k' | 'direction'>): number {
  if (!verdict) return 0;
  if (verdict.z === null) return verdict.anomalous ? 1 : 0;
  const deviation = rule.direction === 'above' ? Math.max(0, verdict.z) : rule.direction === 'below' ? Math.max(0, -verdict.z) : Math.abs(verdict.z);
  return deviation / (deviation + rule.k);
}

/** What the backtest and an observer see: the model's size, the verdict (none while warming up) and its score. */
export interface ZScoreObservation {
  n: number;
  verdict: ZScoreVerdict | undefined;
  score: number;
}

export const zscoreDetector = defineDetector({
  name: 'zscore',
  settingsSchema: zscoreSettingsSchema,
  memorySchema: zscoreMemorySchema,
  explanationSchema: zscoreExplanationSchema,
  judge(memory, { field, value }, { settings }) {
    const model = memory?.model ?? emptyM2();
    const rule = zscoreRuleFor(settings, field);
    const verdict = judgeZScore(model, value, rule);
    const observation = { n: model.n, verdict, score: zscoreScore(verdict, rule) };
    // A fixed (pushed) model judges as it is: no value joins it, no run makes a new level.
    const frozen = memory?.fixed === true;
    const fixed = frozen ? ({ fixed: true } as const) : {};
    const learnt = frozen ? model : learnedModel(model, value, rule);
    if (!verdict) return { memory: { model: learnt, goodStreak: (memory?.goodStreak ?? 0) + 1, run: [], ...fixed }, observation };
    const explanation: ZScoreExplanation = {
      kind: 'zscore', n: model.n, mean: verdict.mean, stdev: verdict.stdev, z: verdict.z, k: rule.k, direction: rule.direction, lower: verdict.lower, upper: verdict.upper,
    };
    if (!verdict.anomalous) {
      const goodStreak = (memory?.goodStreak ?? 0) + 1;
      return {
        memory: { model: learnt, goodStreak, run: [], ...fixed },
        observation,
        finding: { verdict: { firing: false, violated: false, clears: goodStreak >= rule.clearAfter, side: null }, explanation },
      };
    }
    const run = [...(memory?.run ?? []), value];
    if (rule.relearnAfter !== null && run.length >= rule.relearnAfter && !frozen) {
      // Not an outlier but a new normal: the anomaly resolves, and the model starts from the new level.
      return {
        memory: { model: run.reduce(addValue, emptyM2()), goodStreak: 0, run: [] },
        observation,
        finding: { verdict: { firing: false, violated: false, clears: true, side: null }, explanation: { ...explanation, reason: 'level-shift' as const } },
      };
    }
    return {
      memory: { model: rule.learnAnomalies ? learnt : model, goodStreak: 0, run: rule.relearnAfter === null || frozen ? [] : run, ...fixed },
      observation,
      finding: { verdict: { firing: true, violated: true, clears: false, side: value > verdict.mean ? 'high' : 'low' }, explanation },
    };
  },
  release(settings, memory, field) {
    const rule = zscoreRuleFor(settings, field);
    const model = memory?.model ?? emptyM2();
    const sd = stdev(model) ?? 0;
    return { kind: 'zscore', n: model.n, mean: model.mean, stdev: sd, z: null, k: rule.k, direction: rule.direction, lower: model.mean - rule.k * sd, upper: model.mean + rule.k * sd, reason: 'released' as const };
  },
  explain: (e) => `mean ${e.mean.toFixed(2)}, stdev ${e.stdev.toFixed(2)}, z ${e.z === null ? '∞' : e.z.toFixed(1)}, k ${e.k}`,
  summary(settings, memory, field) {
    const rule = zscoreRuleFor(settings, field);
    const model = memory?.model ?? emptyM2();
    const sd = stdev(model);
    const values = { n: model.n, mean: round3(model.n > 0 ? model.mean : undefined), stdev: round3(sd) };
    const fading = `${rule.window === null ? 'every reading' : `last ${rule.window} readings`}${rule.relearnAfter === null ? '' : `, new level after ${rule.relearnAfter}`}`;
    const text = `k ${rule.k} ${rule.direction}, min ${rule.minSamples}, ${memory?.fixed ? 'a pushed model, fixed' : `${fading}, ${rule.learnAnomalies ? 'learns' : 'gates'} anomalies`}; n ${model.n}${model.n > 0 ? `, mean ${values.mean}` : ''}${sd === undefined ? '' : `, stdev ${values.stdev}`}`;
    return { text, values };
  },
  backtest: {
    columns: ['n', 'mean', 'stdev', 'z', 'anomalous', 'event', 'skipped'],
    row({ n, verdict, score }: ZScoreObservation) {
      return { anomalyScore: score, extras: { n, mean: verdict?.mean ?? null, stdev: verdict?.stdev ?? null, z: verdict?.z ?? null, anomalous: verdict?.anomalous ?? false } };
    },
  },
});
