import { z } from 'zod';
import { defineDetector, type Side } from './detector';
import {
  applySeasonalIForest,
  emptySeasonalIForestState,
  seasonalIForestConfigSchema,
  type SeasonalIForestResult,
  seasonalIForestStateSchema,
} from './seasonal-history';

/**
 * The seasonal Isolation Forest, on the fields chosen for it (it needs seasonal data to mean
 * anything: by default the usage format's `usage`): each reading is compared with the device's
 * earlier readings of the same local (day of week, hour, minute) slot; see `seasonal-history.ts`
 * for the history and the fit. Every reading joins the history, anomalies too, unless
 * `config.learnAnomalies` is off.
 */

export const seasonalSettingsSchema = z.object({
  config: seasonalIForestConfigSchema.default(() => seasonalIForestConfigSchema.parse({})),
});
export type SeasonalSettings = z.infer<typeof seasonalSettingsSchema>;

export const seasonalIForestExplanationSchema = z.object({
  kind: z.literal('seasonal-iforest'),
  /** Isolation score s(x); above the threshold (0.5: scikit-learn's "auto" rule) is an outlier. */
  score: z.number(),
  /** The local (day-of-week, hour, minute) slot, e.g. 'Mon 08:10'. */
  slot: z.string(),
  comparables: z.number().int(),
  comparablesMin: z.number(),
  comparablesMax: z.number(),
  comparablesMean: z.number(),
  historyDays: z.number(),
  /** On the step that resolves an anomaly because the forest no longer judges the field. */
  reason: z.literal('released').optional(),
});
export type SeasonalIForestExplanation = z.infer<typeof seasonalIForestExplanationSchema>;

const sideOf = (value: number, mean: number | undefined): Side => (mean === undefined || value >= mean ? 'high' : 'low');

export const seasonalIForestDetector = defineDetector({
  name: 'seasonal-iforest',
  settingsSchema: seasonalSettingsSchema,
  memorySchema: seasonalIForestStateSchema,
  explanationSchema: seasonalIForestExplanationSchema,
  judge(memory, { ts, value }, { settings }) {
    const { config } = settings;
    // Updated in place: the history holds thousands of readings, and a copy per reading would cost more than the fit.
    const history = memory ?? emptySeasonalIForestState(config);
    const judged: SeasonalIForestResult = applySeasonalIForest(history, ts, value, config);
    // Not fitted (too few comparables) is not an outlier: it resolves an open anomaly, and raises none.
    return {
      memory: history,
      observation: judged,
      finding: {
        verdict: { firing: judged.outlier, violated: judged.outlier, clears: !judged.outlier, side: judged.outlier ? sideOf(value, judged.comparablesMean) : null },
        explanation: {
          kind: 'seasonal-iforest', score: judged.score ?? 0, slot: judged.slot, comparables: judged.comparables,
          comparablesMin: judged.comparablesMin ?? value, comparablesMax: judged.comparablesMax ?? value, comparablesMean: judged.comparablesMean ?? value,
          historyDays: config.historyDays,
        },
      },
    };
  },
  release: (settings, _memory, field) => ({
    kind: 'seasonal-iforest', score: 0, slot: '', comparables: 0, comparablesMin: 0, comparablesMax: 0, comparablesMean: 0, historyDays: settings.config.historyDays, reason: 'released',
  }),
  explain: (e) => `isolation score ${e.score.toFixed(3)} against ${e.comparables} readings of ${e.slot} (${e.comparablesMin} … ${e.comparablesMax})`,
  summary(settings, memory) {
    const { historyDays, minComparables, timeZone } = settings.config;
    const kept = memory?.entries ?? 0;
    return { text: `${kept} readings of ${historyDays} days kept, ≥ ${minComparables} comparables per slot (${timeZone})`, values: { kept } };
  },
  backtest: {
    columns: ['comparables', 'slot', 'score', 'outlier', 'event', 'skipped'],
    row(result: SeasonalIForestResult) {
      return { anomalyScore: result.score ?? 0, extras: { comparables: result.comparables, slot: result.slot, score: result.score ?? null, outlier: result.outlier } };
    },
  },
});
