import { z } from 'zod';
import { type M2, stdev } from './welford';

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
  ...zscoreRuleShape,
  clearAfter: zscoreRuleShape.clearAfter.default(1),
  learnAnomalies: zscoreRuleShape.learnAnomalies.default(false),
});

/** Per-field overrides: only what is given, no defaults (they would mask the device's own). */
export const zscoreRuleOverrideSchema = z.object(zscoreRuleShape).partial().strict();
export type ZScoreRule = z.infer<typeof zscoreRuleSchema>;
export type ZScoreRuleInput = z.input<typeof zscoreRuleSchema>;

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
  const anomalous =
    rule.direction === 'above' ? above : rule.direction === 'below' ? below : above || below;
  const z = sd > 0 ? (value - model.mean) / sd : value === model.mean ? 0 : null;
  return { anomalous, mean: model.mean, stdev: sd, z, lower, upper };
}
