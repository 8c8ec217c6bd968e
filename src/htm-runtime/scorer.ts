import { availableParallelism } from 'node:os';
import type { ModelStoreSpec } from '../model-store';
import { AffinityPool, reviveGenericError } from './affinity-pool';
import type { SerializedError } from './protocol';
import { HtmCheckpointMissingError } from './score-readings';
import type { ScoreThreadData, ScoreThreadReply } from './score-thread-data';
import { threadEntry } from './thread-entry';
import { type HtmScoreInput, type HtmScoreOutput, type ModelOrigin, validateScoreInput } from './types';

export interface HtmScorerOptions {
  /** Where checkpoints are loaded from and saved to; every thread opens its own handle. */
  store: ModelStoreSpec;
  /** Scoring threads; default min(2, available cores). */
  threads?: number;
  /** Live models kept per thread (least recently used evicted); default 1,000. */
  cacheSize?: number;
}

export interface HtmScorerStats {
  threads: number;
  /** Live models across threads, as last reported by each. */
  modelsCached: number;
  calls: number;
  readingsScored: number;
  /** Calls that found no model at the expected state and rebuilt it. */
  rebuilds: number;
  /** Calls by where their model came from: the live model (a hit), a restore (a miss), a new model. */
  models: Record<ModelOrigin, number>;
  restoreMsTotal: number;
  checkpointsSaved: number;
}

/**
 * Scores HTM readings off the main thread, with exact crash recovery: each (device, field)
 * always runs on the same thread, which keeps its live model between calls, and rebuilds it
 * from the named checkpoint plus the readings since whenever it does not hold it at exactly
 * the expected state (see scoreReadings). Results are bit-identical to one uninterrupted
 * HtmModel fed the same readings, whatever crashes, retries or evictions happened.
 */
export class HtmScorer {
  private readonly pool: AffinityPool<HtmScoreInput, ScoreThreadReply>;
  private readonly modelsCachedByThread: number[];
  private readonly counters = { calls: 0, readingsScored: 0, rebuilds: 0, restoreMsTotal: 0, checkpointsSaved: 0 };
  private readonly models: Record<ModelOrigin, number> = { live: 0, restored: 0, fresh: 0 };

  constructor(options: HtmScorerOptions) {
    const threadCount = options.threads ?? Math.min(2, availableParallelism());
    const cacheSize = options.cacheSize ?? 1000;
    // Checked here too: a thread that throws at start-up would fail every call instead.
    if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new RangeError(`cacheSize must be a whole number ≥ 1, got ${cacheSize}`);
    const workerData: ScoreThreadData = { store: options.store, cacheSize };
    this.modelsCachedByThread = Array.from({ length: threadCount }, () => 0);
    this.pool = new AffinityPool({
      entry: threadEntry('score-thread'),
      threadCount,
      workerData,
      reviveError,
      onThreadExit: (index) => {
        this.modelsCachedByThread[index] = 0;
      },
    });
  }

  async score(input: HtmScoreInput): Promise<HtmScoreOutput> {
    validateScoreInput(input);
    const affinityKey = JSON.stringify([input.deviceId, input.field]);
    const { output, modelsCached } = await this.pool.run(affinityKey, input);
    this.modelsCachedByThread[this.pool.threadIndexFor(affinityKey)] = modelsCached;
    this.counters.calls++;
    this.counters.readingsScored += output.results.length;
    this.models[output.model]++;
    if (output.rebuilt) {
      this.counters.rebuilds++;
      this.counters.restoreMsTotal += output.restoreMs ?? 0;
    }
    if (output.checkpointVersion !== input.checkpointVersion) this.counters.checkpointsSaved++;
    return output;
  }

  /** The thread a (device, field) is scored on. */
  threadIndexFor(deviceId: string, field: string): number {
    return this.pool.threadIndexFor(JSON.stringify([deviceId, field]));
  }

  /** Live models held by the threads, as each last said. */
  get modelsCached(): number {
    return this.modelsCachedByThread.reduce((sum, count) => sum + count, 0);
  }

  get stats(): HtmScorerStats {
    return {
      threads: this.pool.threadCount,
      modelsCached: this.modelsCached,
      ...this.counters,
      models: { ...this.models },
    };
  }

  /** Ends every thread, dropping all live models as a crash would; later calls rebuild them. */
  async restartThreads(): Promise<void> {
    await this.pool.terminateThreads();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function reviveError(serialized: SerializedError): Error {
  if (serialized.name !== 'HtmCheckpointMissingError') return reviveGenericError(serialized);
  const error = new HtmCheckpointMissingError(serialized.message);
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}
