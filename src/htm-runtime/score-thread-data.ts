import type { ModelStoreSpec } from '../model-store';
import type { HtmScoreOutput } from './types';

/** What a scoring thread is started with. */
export interface ScoreThreadData {
  store: ModelStoreSpec;
  /** Most live models the thread keeps. */
  cacheSize: number;
}

export interface ScoreThreadReply {
  output: HtmScoreOutput;
  /** The thread's cache size after the call, for metrics. */
  modelsCached: number;
}
