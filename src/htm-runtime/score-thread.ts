/**
 * Entry of an HTM scoring thread (started by HtmScorer through AffinityPool): a cache of live
 * models for the (device, field) keys routed here, and its own handle on the model store.
 */
import { workerData } from 'node:worker_threads';
import { logger } from '../logger';
import { openModelStore } from '../model-store';
import { ModelCache } from './model-cache';
import { scoreReadings } from './score-readings';
import type { ScoreThreadData, ScoreThreadReply } from './score-thread-data';
import { serveRequests } from './thread-server';
import type { HtmScoreInput } from './types';

const log = logger.child({ component: 'htm-scoring' });
const data = workerData as ScoreThreadData;
// The shared store is the truth; a cache that cannot be read or written costs a fetch, and says so.
const store = openModelStore(data.store, (error) => log.warn({ err: error }, 'the local model cache failed; using the shared store'));
const cache = new ModelCache(data.cacheSize);

serveRequests<HtmScoreInput, ScoreThreadReply>(async (input) => {
  const output = await scoreReadings(input, { cache, store });
  return { output, modelsCached: cache.size };
});
