import { z } from 'zod';
import { fieldNameSchema } from '../reading';
import { defineDetector, type Side } from './detector';

/**
 * The threshold detector: low/high bounds per (device, field) with window rules and hysteresis.
 * A violation is a value strictly below `low` or above `high`; an absent bound is unbounded, so
 * "temp above 100" is `{low: null, high: 100}`. Rules:
 * - `each`: every violating reading;
 * - `latest-in-window`: open while the last `windowMs` of event time hold a violation;
 * - `at-least-N-in-window`: open once the window holds `n` violations;
 * - `N-consecutive`: open once the last `n` readings all violated.
 * A device has three layers of rules, each winning over the one before: its input format's
 * (the csv3 format's temp above 100), the fleet's `*` defaults, and its own.
 */

export const thresholdRuleKinds = ['each', 'latest-in-window', 'at-least-N-in-window', 'N-consecutive'] as const;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

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

/** Sets (or, with `rule: null`, removes) the threshold of one field. */
export const thresholdChangeSchema = z.object({ field: fieldNameSchema, rule: thresholdRuleSchema.nullable() }).strict();
export type ThresholdChange = z.infer<typeof thresholdChangeSchema>;
export type ThresholdChangeInput = z.input<typeof thresholdChangeSchema>;

export const thresholdLayerSchema = z.record(fieldNameSchema, thresholdRuleSchema);
export type ThresholdLayer = z.infer<typeof thresholdLayerSchema>;

export const thresholdSettingsSchema = z.object({
  /** The rules its input format comes with (csv3: temp above 100), for fields neither layer below names. */
  format: thresholdLayerSchema.default({}),
  /** The `*` rows: thresholds of every device that has none of its own for the field. */
  defaults: thresholdLayerSchema.default({}),
  /** This device's own rows, which win over the defaults. */
  own: thresholdLayerSchema.default({}),
});
export type ThresholdSettings = z.infer<typeof thresholdSettingsSchema>;

export function thresholdFor(settings: ThresholdSettings, field: string): ThresholdRule | undefined {
  return settings.own[field] ?? settings.defaults[field] ?? settings.format[field];
}

/** Which layer a field's rule comes from: `own`, `*` (the fleet's) or `format`. */
export function thresholdLayerOf(settings: ThresholdSettings, field: string): 'own' | '*' | 'format' | undefined {
  return settings.own[field] ? 'own' : settings.defaults[field] ? '*' : settings.format[field] ? 'format' : undefined;
}

/** Applies threshold changes to one layer; `null` removes a field's rule. */
export function withThresholdChanges(layer: ThresholdLayer, changes: ThresholdChange[]): ThresholdLayer {
  const next = { ...layer };
  for (const { field, rule } of changes) {
    if (rule === null) delete next[field];
    else next[field] = rule;
  }
  return next;
}

/** What the detector remembers per field; it survives restarts because it is workflow state. */
export const thresholdMemorySchema = z.object({
  /** Active-time stamps of the violations still inside the window. */
  violations: z.array(z.number()),
  consecutive: z.number().int().nonnegative(),
  goodStreak: z.number().int().nonnegative(),
});
export type ThresholdMemory = z.infer<typeof thresholdMemorySchema>;

export const emptyThresholdMemory = (): ThresholdMemory => ({ violations: [], consecutive: 0, goodStreak: 0 });

export const thresholdExplanationSchema = z.object({
  kind: z.literal('threshold'),
  low: z.number().nullable(),
  high: z.number().nullable(),
  rule: z.enum(thresholdRuleKinds),
  n: z.number(),
  windowMs: z.number(),
  violationsInWindow: z.number(),
  consecutive: z.number(),
  /** On the step that resolves an anomaly because the field is no longer judged by a threshold. */
  reason: z.literal('released').optional(),
});
export type ThresholdExplanation = z.infer<typeof thresholdExplanationSchema>;

export interface ThresholdVerdict {
  violated: boolean;
  side: Side | null;
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
  openSide: Side | null,
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
  const clearCondition = clearLevel === undefined ? goodStreak >= rule.clearAfter : openSide === 'high' ? value <= clearLevel : value >= clearLevel;
  return {
    verdict: { violated, side, firing, clears: !firing && !violated && clearCondition, violationsInWindow: violations.length, consecutive },
    memory: { violations, consecutive, goodStreak },
  };
}

/** `0 … 80 at-least-N-in-window n=3 60s clear≤70`: a rule as one line. */
export function describeThresholdRule(rule: ThresholdRule): string {
  const n = rule.rule === 'each' || rule.rule === 'latest-in-window' ? '' : ` n=${rule.n}`;
  const window = rule.rule.includes('window') ? ` ${rule.windowMs / 1000}s` : '';
  const clear = `${rule.clearBelow !== undefined ? ` clear≤${rule.clearBelow}` : ''}${rule.clearAbove !== undefined ? ` clear≥${rule.clearAbove}` : ''}`;
  return `${rule.low ?? '−∞'} … ${rule.high ?? '∞'} ${rule.rule}${n}${window}${clear}`;
}

export const thresholdDetector = defineDetector({
  name: 'threshold',
  settingsSchema: thresholdSettingsSchema,
  memorySchema: thresholdMemorySchema,
  explanationSchema: thresholdExplanationSchema,
  configuredFor: (settings, field) => thresholdFor(settings, field) !== undefined,
  judge(memory, { field, value, activeTs }, { settings, openSide }) {
    const rule = thresholdFor(settings, field)!;
    const judged = judgeThreshold(rule, memory ?? emptyThresholdMemory(), value, activeTs, openSide);
    const { verdict } = judged;
    return {
      memory: judged.memory,
      observation: verdict,
      finding: {
        verdict,
        explanation: {
          kind: 'threshold', low: rule.low, high: rule.high, rule: rule.rule, n: rule.n, windowMs: rule.windowMs,
          violationsInWindow: verdict.violationsInWindow, consecutive: verdict.consecutive,
        },
      },
    };
  },
  // Its rule was removed: the open anomaly resolves instead of staying open for ever.
  release: () => ({ kind: 'threshold', low: null, high: null, rule: 'each' as const, n: 0, windowMs: 0, violationsInWindow: 0, consecutive: 0, reason: 'released' as const }),
  explain: (e) => `threshold ${e.low ?? '−∞'} … ${e.high ?? '∞'}, ${e.rule}${e.rule === 'each' ? '' : `: ${e.violationsInWindow} in window, ${e.consecutive} in a row`}`,
  configuredFields: (settings) => [...new Set([...Object.keys(settings.own), ...Object.keys(settings.defaults), ...Object.keys(settings.format)])],
  summary(settings, _memory, field) {
    const rule = thresholdFor(settings, field)!;
    const layer = thresholdLayerOf(settings, field)!;
    return { text: `${describeThresholdRule(rule)} (${layer})`, values: { low: rule.low, high: rule.high, rule: rule.rule, layer } };
  },
  backtest: {
    columns: ['violated', 'side', 'firing', 'violations_in_window', 'consecutive', 'event', 'skipped'],
    row(verdict: ThresholdVerdict) {
      // Firing is the rule's condition (e.g. N in the window), not one value outside the bounds.
      return {
        anomalyScore: verdict.firing ? 1 : 0,
        extras: { violated: verdict.violated, side: verdict.side, firing: verdict.firing, violations_in_window: verdict.violationsInWindow, consecutive: verdict.consecutive },
      };
    },
  },
});
