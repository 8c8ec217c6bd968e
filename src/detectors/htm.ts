import { z } from 'zod';
import type { HtmParamsInput, HtmResult, TemporalMemoryKind } from '../htm';
import { fieldNameSchema } from '../reading';
import { defineDetector } from './detector';

/**
 * HTM's verdict, on the fields chosen for it (by default the EPA format's value). The models
 * (NAB's `numentaTM`, in `src/htm/`) are megabytes, so they live in the model store and score on
 * worker threads
 * (`src/htm-runtime/`, the `scoreHtm` activity): the detector is deferred. Applying a reading
 * queues it; the scorer's result for it is the evidence `judge` sees, in order. A reading is
 * anomalous when NAB's final score, max(spatial anomaly, log likelihood), reaches `threshold`.
 *
 * Its memory per field is where the model is: the model store's checkpoint version and every
 * reading since, enough for any worker to rebuild the model exactly.
 */

/**
 * HtmModel's temporal memories, listed here rather than imported: this module runs in the
 * workflow bundle, which must take no HTM code. The type checks the list against src/htm's.
 */
const temporalMemoryKinds = ['backtracking', 'plain'] as const satisfies readonly TemporalMemoryKind[];
type UnlistedKind = Exclude<TemporalMemoryKind, (typeof temporalMemoryKinds)[number]>;
/** Fails to compile when src/htm gains a temporal memory this list lacks. */
const everyTemporalMemoryListed: [UnlistedKind] extends [never] ? true : never = true;
void everyTemporalMemoryListed;

export const htmSettingsSchema = z.object({
  /** NAB's final score (max of spatial anomaly and log-likelihood) at or above this is an anomaly. */
  threshold: z.number().gt(0).max(1).default(0.5),
  /** Readings between model checkpoints: what a crash replays at most. */
  checkpointEvery: z.number().int().positive().default(1000),
  /**
   * The temporal memory a new model runs: 'backtracking' (NuPIC's, as NAB's `numenta` detector)
   * or 'plain' (the TemporalMemory of NAB's `numentaTM`). A checkpointed model keeps its own.
   */
  temporalMemory: z.enum(temporalMemoryKinds).default('plain'),
  /** The encoder's value range per field; a field without one learns it from its first readings. */
  ranges: z.record(fieldNameSchema, z.object({ min: z.number(), max: z.number() }).refine((r) => r.min < r.max, 'min must be below max')).default({}),
});
export type HtmSettings = z.infer<typeof htmSettingsSchema>;

/** Per HTM field: the checkpoint the model store holds, and every reading applied since, to rebuild from. */
export const htmModelRefSchema = z.object({
  checkpointVersion: z.number().int().nonnegative(),
  sinceCheckpoint: z.array(z.tuple([z.number(), z.number()])),
});
export type HtmModelRef = z.infer<typeof htmModelRefSchema>;

export const emptyHtmModelRef = (): HtmModelRef => ({ checkpointVersion: 0, sinceCheckpoint: [] });

/** What the verdict needs of a model's result; the backtest also shows the prediction for the next reading and the error. */
export type HtmEvidence = Pick<HtmResult, 'rawScore' | 'likelihood' | 'logLikelihood' | 'spatialAnomaly' | 'score' | 'prediction'> &
  Partial<Pick<HtmResult, 'predictionNext' | 'error'>>;

/** A fresh model's parameters for a field: its temporal memory and configured value range, if any. */
export function htmModelParams(settings: HtmSettings, field: string): HtmParamsInput {
  const range = settings.ranges[field];
  return { temporalMemory: settings.temporalMemory, ...(range ? { valueMin: range.min, valueMax: range.max } : {}) };
}

export const htmExplanationSchema = z.object({
  kind: z.literal('htm'),
  /** NAB's final score max(spatial, logLikelihood), compared with `threshold`. */
  score: z.number(),
  threshold: z.number(),
  /** Share of the active columns the model did not predict. */
  rawScore: z.number().nullable(),
  likelihood: z.number(),
  logLikelihood: z.number(),
  /** The value left the range seen so far by more than 5 % of it (NAB's spatial anomaly). */
  spatialAnomaly: z.boolean(),
  prediction: z.number().nullable(),
  /** On the step that resolves an anomaly because HTM no longer judges the field. */
  reason: z.literal('released').optional(),
});
export type HtmExplanation = z.infer<typeof htmExplanationSchema>;

export const htmDetector = defineDetector({
  name: 'htm',
  deferred: true,
  settingsSchema: htmSettingsSchema,
  memorySchema: htmModelRefSchema,
  explanationSchema: htmExplanationSchema,
  judge(memory, { evidence }: { evidence: HtmEvidence }, { settings }) {
    const { threshold } = settings;
    // While the model still learns its value range it has no raw score, and judges nothing.
    const anomalous = evidence.rawScore !== null && evidence.score >= threshold;
    return {
      memory,
      observation: evidence,
      finding: {
        verdict: { firing: anomalous, violated: anomalous, clears: !anomalous, side: anomalous ? 'high' : null },
        explanation: {
          kind: 'htm', score: evidence.score, threshold, rawScore: evidence.rawScore, likelihood: evidence.likelihood, logLikelihood: evidence.logLikelihood,
          spatialAnomaly: evidence.spatialAnomaly, prediction: evidence.prediction,
        },
      },
    };
  },
  release: (settings) => ({ kind: 'htm', score: 0, threshold: settings.threshold, rawScore: null, likelihood: 0, logLikelihood: 0, spatialAnomaly: false, prediction: null, reason: 'released' }),
  explain: (e) => `HTM score ${e.score.toFixed(3)} ≥ ${e.threshold} (likelihood ${e.likelihood.toFixed(5)}, raw ${e.rawScore?.toFixed(2) ?? '—'}${e.spatialAnomaly ? ', outside the range seen' : ''})`,
  summary(settings, memory, field) {
    const ref = memory ?? emptyHtmModelRef();
    const range = settings.ranges[field];
    return {
      text: `threshold ${settings.threshold}, ${settings.temporalMemory} TM, range ${range ? `${range.min} … ${range.max}` : 'learnt'}; checkpoint ${ref.checkpointVersion} + ${ref.sinceCheckpoint.length} readings`,
      values: { checkpointVersion: ref.checkpointVersion, sinceCheckpoint: ref.sinceCheckpoint.length },
    };
  },
  backtest: {
    columns: ['raw_score', 'likelihood', 'log_likelihood', 'spatial_anomaly', 'prediction', 'prediction_next', 'error', 'skipped'],
    // NAB's final score is the anomaly score; the rest of the model's result are the extras.
    row(result: HtmEvidence) {
      return {
        anomalyScore: result.score,
        extras: {
          raw_score: result.rawScore,
          likelihood: result.likelihood,
          log_likelihood: result.logLikelihood,
          spatial_anomaly: result.spatialAnomaly,
          prediction: result.prediction,
          prediction_next: result.predictionNext ?? null,
          error: result.error ?? null,
        },
      };
    },
  },
});
