import { z } from 'zod';

export const thresholdRuleKinds = ['each', 'latest-in-window', 'at-least-N-in-window', 'N-consecutive'] as const;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * Seed 001's thresholds with its three window rules, plus hysteresis. An absent bound (null)
 * is unbounded, so seed 004's rule is `{low: null, high: 100}`.
 */
export const thresholdRuleSchema = z
  .object({
    low: finite.nullable(),
    high: finite.nullable(),
    rule: z.enum(thresholdRuleKinds).default('each'),
    /** N of `at-least-N-in-window` and `N-consecutive`. */
    n: z.number().int().min(1).default(3),
    /** Window of the window rules, in event time. */
    windowMs: z.number().int().positive().default(60_000),
    /** Hysteresis: a high violation resolves only at or below this level. */
    clearBelow: finite.optional(),
    /** Hysteresis: a low violation resolves only at or above this level. */
    clearAbove: finite.optional(),
    /** Without a clear level: good readings in a row that resolve an open anomaly. */
    clearAfter: z.number().int().min(1).default(1),
  })
  .strict()
  .refine((t) => t.low !== null || t.high !== null, 'a threshold needs a low or a high bound')
  .refine((t) => t.low === null || t.high === null || t.low <= t.high, 'low must not be greater than high')
  .refine((t) => t.clearBelow === undefined || (t.high !== null && t.clearBelow <= t.high), 'clearBelow needs a high bound at or above it')
  .refine((t) => t.clearAbove === undefined || (t.low !== null && t.clearAbove >= t.low), 'clearAbove needs a low bound at or below it');
export type ThresholdRule = z.infer<typeof thresholdRuleSchema>;
export type ThresholdRuleInput = z.input<typeof thresholdRuleSchema>;

/** What the detector remembers per field; it survives restarts because it is workflow state. */
export const thresholdMemorySchema = z.object({
  /** Active-time stamps of the violations still inside the window. */
  violations: z.array(z.number()),
  consecutive: z.number().int().nonnegative(),
  goodStreak: z.number().int().nonnegative(),
});
export type ThresholdMemory = z.infer<typeof thresholdMemorySchema>;

export const emptyThresholdMemory = (): ThresholdMemory => ({ violations: [], consecutive: 0, goodStreak: 0 });

export interface ThresholdVerdict {
  violated: boolean;
  side: 'low' | 'high' | null;
  /** The rule's condition holds: an anomaly is (or stays) open. */
  firing: boolean;
  /** An open anomaly may resolve: the rule no longer fires and the clear condition holds. */
  clears: boolean;
  violationsInWindow: number;
  consecutive: number;
}

/**
 * Judges one value and returns the detector's new memory. `activeTs` is event time with the
 * device's disconnected periods taken out, so silence freezes the window instead of emptying it.
 */
export function judgeThreshold(
  rule: ThresholdRule,
  memory: ThresholdMemory,
  value: number,
  activeTs: number,
  openSide: 'low' | 'high' | null,
): { verdict: ThresholdVerdict; memory: ThresholdMemory } {
  const side = rule.low !== null && value < rule.low ? 'low' : rule.high !== null && value > rule.high ? 'high' : null;
  const violated = side !== null;
  const violations = memory.violations.filter((ts) => ts > activeTs - rule.windowMs);
  if (violated) violations.push(activeTs);
  const consecutive = violated ? memory.consecutive + 1 : 0;
  const goodStreak = violated ? 0 : memory.goodStreak + 1;
  const firing =
    rule.rule === 'each'
      ? violated
      : rule.rule === 'latest-in-window'
        ? violations.length >= 1
        : rule.rule === 'at-least-N-in-window'
          ? violations.length >= rule.n
          : consecutive >= rule.n;
  const clearLevel = openSide === 'high' ? rule.clearBelow : openSide === 'low' ? rule.clearAbove : undefined;
  const clearCondition =
    clearLevel === undefined ? goodStreak >= rule.clearAfter : openSide === 'high' ? value <= clearLevel : value >= clearLevel;
  return {
    verdict: { violated, side, firing, clears: !firing && !violated && clearCondition, violationsInWindow: violations.length, consecutive },
    memory: { violations, consecutive, goodStreak },
  };
}
