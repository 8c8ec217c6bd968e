import { Context } from '@temporalio/activity';
import type { EnrichedReading } from '../contracts/enriched';
import type { HtmEvidence } from '../detectors/htm';
import type { HtmScoreInput, HtmScorer } from '../htm-runtime';
import { workerMetrics } from '../metrics';
import type { Source } from '../reading';
import type { Publisher } from './publish';

/** The scorer's input, with where each new reading came from instead of their count. */
export type HtmScoreRequest = Omit<HtmScoreInput, 'newCount'> & {
  /** One per new reading (the last `sources.length` of `readings`): the enriched record's identity. */
  sources: Source[];
  /** One per new reading: its attributes (null when it has none), for the drop-in records that give the input record back. */
  attrs?: Array<Record<string, string> | null>;
};

export interface HtmScoreReply {
  /** Per new reading, the evidence the HTM detector judges. */
  verdicts: HtmEvidence[];
  checkpointVersion: number;
  /**
   * The task queue of the worker that scored, which now holds the live model: where the
   * device's next scoring should go (workflows/scoring-route.ts). Absent when that worker
   * polls no queue of its own (VIGIL_HTM_AFFINITY=false).
   */
  scoredOn?: string;
}

/** Well inside the workflow's heartbeat timeout (10 s), so a live scorer is never taken for dead. */
const HEARTBEAT_EVERY_MS = 2_000;

/**
 * Scores a device field's new readings with its HTM model, off the event loop (worker threads,
 * one live model per device and field), and has the publisher publish the enriched records
 * (`Publisher.publishEnriched` says why here). The model is rebuilt from the named checkpoint
 * plus the readings since whenever this worker does not hold it at exactly that point, so a
 * retry, a crash or another worker gives the same scores. `ownQueue`: this worker's own task
 * queue, named in each reply so that the device's next scoring comes back here, to the live model.
 */
export function createHtmActivities(publisher: Publisher, scorer: HtmScorer, ownQueue?: string) {
  // (device, field) pairs whose model, when this worker last scored it, still learnt its range.
  const warmingUp = new Set<string>();
  return {
    async scoreHtm(request: HtmScoreRequest): Promise<HtmScoreReply> {
      const { sources, attrs, ...input } = request;
      const newCount = sources.length;
      const beating = setInterval(() => Context.current().heartbeat(), HEARTBEAT_EVERY_MS);
      const output = await scorer.score({ ...input, newCount }).finally(() => clearInterval(beating));
      if (output.rebuilt) workerMetrics.htmRestores.observe((output.restoreMs ?? 0) / 1000);
      workerMetrics.htmScoring.inc({ model: output.model });
      if (output.checkpointFrom !== undefined) workerMetrics.htmCheckpointLoads.inc({ from: output.checkpointFrom });
      workerMetrics.htmModels.set(scorer.modelsCached);
      const fresh = request.readings.slice(request.readings.length - newCount);
      const enriched: EnrichedReading[] = output.results.map((result, i) => ({
        deviceId: request.deviceId,
        field: request.field,
        ts: fresh[i]![0],
        value: fresh[i]![1],
        prediction: result.prediction,
        error: result.error,
        anomaly: result.rawScore,
        likelihood: result.likelihood,
        logLikelihood: result.logLikelihood,
        predictionNext: result.predictionNext,
        spatialAnomaly: result.spatialAnomaly,
        score: result.score,
        source: sources[i]!,
      }));
      await publisher.publishEnriched(enriched.map((record, i) => ({ record, attrs: attrs?.[i] ?? undefined })));
      workerMetrics.htmReadings.inc(newCount);
      const model = JSON.stringify([input.deviceId, input.field]);
      if (output.results.at(-1)?.learningRange) warmingUp.add(model);
      else warmingUp.delete(model);
      workerMetrics.htmWarmingUp.set(warmingUp.size);
      return {
        verdicts: output.results.map(({ rawScore, likelihood, logLikelihood, spatialAnomaly, score, prediction }) => ({ rawScore, likelihood, logLikelihood, spatialAnomaly, score, prediction })),
        checkpointVersion: output.checkpointVersion,
        ...(ownQueue === undefined ? {} : { scoredOn: ownQueue }),
      };
    },
  };
}
