import { z } from 'zod';
import { fieldNameSchema } from '../reading';
import { parseOrReject } from '../validate';
import { defineDetector, round3 } from './detector';
import { addValue, emptyM2, type M2, m2Schema, stdev } from './welford';

/**
 * The z-score detector: an online Welford model (n, mean, m2) per field; a value is anomalous
 * when the model has at least `minSamples` readings and the value lies strictly beyond
 * mean ± k·stdev (sample stdev, n − 1), judged against the model *before* the value joins it.
 * The learn gate keeps anomalous values out of the model unless `learnAnomalies` is on.
 */

export const directionSchema = z.enum(['above', 'below', 'both']);

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
};

export const zscoreRuleSchema = z.object({
  k: zscoreRuleShape.k.default(4),
  minSamples: zscoreRuleShape.minSamples.default(30),
  direction: zscoreRuleShape.direction.default('above'),
  clearAfter: zscoreRuleShape.clearAfter.default(1),
  learnAnomalies: zscoreRuleShape.learnAnomalies.default(false),
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

/** The field's memory with a pushed model (seed-style `{n, mean, m2}`); the streak carries on. */
export function withPushedModel(memory: ZScoreMemory | undefined, model: M2): ZScoreMemory {
  return { model, goodStreak: memory?.goodStreak ?? 0 };
}

/** What the backtest and an observer see: the model's size and the verdict (none while warming up). */
export interface ZScoreObservation {
  n: number;
  verdict: ZScoreVerdict | undefined;
}

export const zscoreDetector = defineDetector({
  name: 'zscore',
  settingsSchema: zscoreSettingsSchema,
  memorySchema: zscoreMemorySchema,
  explanationSchema: zscoreExplanationSchema,
  judges: () => true,
  judge(memory, { field, value }, { settings }) {
    const model = memory?.model ?? emptyM2();
    const rule = zscoreRuleFor(settings, field);
    const verdict = judgeZScore(model, value, rule);
    const anomalous = verdict?.anomalous ?? false;
    const goodStreak = anomalous ? 0 : (memory?.goodStreak ?? 0) + 1;
    const learn = !anomalous || rule.learnAnomalies;
    return {
      memory: { model: learn ? addValue(model, value) : model, goodStreak },
      observation: { n: model.n, verdict },
      finding: verdict && {
        verdict: { firing: anomalous, violated: anomalous, clears: !anomalous && goodStreak >= rule.clearAfter, side: anomalous ? (value > verdict.mean ? 'high' : 'low') : null },
        explanation: { kind: 'zscore', n: model.n, mean: verdict.mean, stdev: verdict.stdev, z: verdict.z, k: rule.k, direction: rule.direction, lower: verdict.lower, upper: verdict.upper },
      },
    };
  },
  explain: (e) => `mean ${e.mean.toFixed(2)}, stdev ${e.stdev.toFixed(2)}, z ${e.z === null ? '∞' : e.z.toFixed(1)}, k ${e.k}`,
  summary(settings, memory, field) {
    const rule = zscoreRuleFor(settings, field);
    const model = memory?.model ?? emptyM2();
    const sd = stdev(model);
    const values = { n: model.n, mean: round3(model.n > 0 ? model.mean : undefined), stdev: round3(sd) };
    const text = `k ${rule.k} ${rule.direction}, min ${rule.minSamples}, ${rule.learnAnomalies ? 'learns' : 'gates'} anomalies; n ${model.n}${model.n > 0 ? `, mean ${values.mean}` : ''}${sd === undefined ? '' : `, stdev ${values.stdev}`}`;
    return { text, values };
  },
  backtest: {
    columns: ['n', 'mean', 'stdev', 'z', 'anomalous', 'event', 'skipped'],
    row({ n, verdict }: ZScoreObservation) {
      // |z|: distance from the mean in standard deviations. While warming up the model does not
      // judge, so 0; a zero stdev makes any other value infinitely far (z is then null).
      const anomalyScore = verdict === undefined ? 0 : verdict.z === null ? Infinity : Math.abs(verdict.z);
      return { anomalyScore, extras: { n, mean: verdict?.mean ?? null, stdev: verdict?.stdev ?? null, z: verdict?.z ?? null, anomalous: verdict?.anomalous ?? false } };
    },
  },
});
