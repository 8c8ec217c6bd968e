/**
 * Scores HTM readings on worker threads that keep live models per (device, field), with
 * checkpoints in a ModelStore and exact rebuilds after crashes, retries and evictions.
 */
export { HtmScorer, type HtmScorerOptions, type HtmScorerStats } from './scorer';
export { HtmCheckpointMissingError } from './score-readings';
export { type CheckpointOrigin, type HtmReading, type HtmScoreInput, type HtmScoreOutput, type ModelOrigin, validateScoreInput } from './types';
export { AffinityPool, fnv1a32, type AffinityPoolOptions } from './affinity-pool';
export { threadEntry, type ThreadEntry } from './thread-entry';
