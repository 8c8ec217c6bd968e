/**
 * HTM anomaly detection after Numenta's NAB `numentaTM` detector, written from the published
 * descriptions (see docs in each module). Pure, deterministic and snapshot-able.
 */
export { HtmModel, type HtmComputeOptions, type HtmResult, type HtmValueRange } from './detector';
export {
  backtrackingTmParamsSchema,
  htmParamsSchema,
  likelihoodParamsSchema,
  nabLikelihoodParams,
  nabProbationaryPeriod,
  PERMANENCE_SCALE,
  rdseParamsSchema,
  resolveHtmParams,
  spatialPoolerParamsSchema,
  temporalMemoryKinds,
  temporalMemoryParamsSchema,
  timeOfDayParamsSchema,
  toPermanenceUnits,
  type BacktrackingTmParams,
  type HtmParams,
  type HtmParamsInput,
  type LikelihoodParams,
  type RdseParams,
  type SpatialPoolerParams,
  type TemporalMemoryKind,
  type TemporalMemoryParams,
  type TimeOfDayParams,
} from './params';
export { RandomDistributedScalarEncoder, resolutionForRange } from './rdse';
export { TimeOfDayEncoder } from './date-encoder';
export { SpatialPooler } from './spatial-pooler';
export { TemporalMemory } from './temporal-memory';
export { BacktrackingTemporalMemory } from './backtracking-tm';
export { Connections } from './connections';
export {
  AnomalyLikelihood,
  calcSkipRecords,
  logLikelihood,
  NULL_DISTRIBUTION,
  tailProbability,
  type LikelihoodDistribution,
} from './likelihood';
export { SpatialAnomaly } from './spatial-anomaly';
export { CellValuePredictor } from './predictor';
export { erfc } from './erfc';
export { SnapshotReader, SnapshotWriter } from './snapshot';
