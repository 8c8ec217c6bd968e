import type { HtmParamsInput, HtmResult } from '../htm';

/** One reading: epoch milliseconds (the wall-clock time of day HTM encodes) and the value (NaN = missing). */
export type HtmReading = [ts: number, value: number];

export interface HtmScoreInput {
  deviceId: string;
  field: string;
  /**
   * Model parameters for a fresh model (checkpointVersion 0). A checkpoint carries the
   * parameters it was created with, so they do not change a restored model.
   */
  params: HtmParamsInput;
  /** The checkpoint the caller trusts (its `readingsApplied`); 0 = none: start from `HtmModel.create(params)`. */
  checkpointVersion: number;
  /** Every reading since the checkpoint, in order; the last `newCount` are new. */
  readings: HtmReading[];
  newCount: number;
  /** Save a checkpoint after scoring when `readings.length >= checkpointEvery`. */
  checkpointEvery: number;
}

export interface HtmScoreOutput {
  /** For the new readings only, in order. */
  results: HtmResult[];
  /** The new checkpoint's version (the model's readingsApplied) if one was saved, else the input's. */
  checkpointVersion: number;
  /**
   * True when the thread did not hold the model at exactly the expected state and rebuilt it
   * (so also on a key's first call after a thread starts).
   */
  rebuilt: boolean;
  /**
   * Where the model came from: `live`, the thread's cache (a hit); `restored`, a checkpoint
   * and/or readings replayed (a miss); `fresh`, a new model with nothing to replay (a model's
   * first call, which no cache could have held).
   */
  model: ModelOrigin;
  /** Where the checkpoint was read, when one was: the local cache folder, the shared store, or a local folder store. */
  checkpointFrom?: CheckpointOrigin;
  /** Milliseconds spent rebuilding (load, restore, replay), when rebuilt. */
  restoreMs?: number;
}

export type ModelOrigin = 'live' | 'restored' | 'fresh';
export type CheckpointOrigin = 'cache' | 'shared' | 'local';

/** Checks an input's shape before it is sent to a thread; throws a RangeError naming the problem. */
export function validateScoreInput(input: HtmScoreInput): void {
  const problem = findProblem(input);
  if (problem !== undefined) throw new RangeError(`HTM score input for device ${JSON.stringify(input.deviceId)} field ${JSON.stringify(input.field)}: ${problem}`);
}

function findProblem(input: HtmScoreInput): string | undefined {
  if (typeof input.deviceId !== 'string' || input.deviceId === '') return 'deviceId must be a non-empty string';
  if (typeof input.field !== 'string' || input.field === '') return 'field must be a non-empty string';
  if (!Number.isSafeInteger(input.checkpointVersion) || input.checkpointVersion < 0) return `checkpointVersion must be a whole number ≥ 0, got ${input.checkpointVersion}`;
  if (!Array.isArray(input.readings)) return 'readings must be an array';
  if (!Number.isInteger(input.newCount) || input.newCount < 0 || input.newCount > input.readings.length) {
    return `newCount must be a whole number in [0, ${input.readings.length}], got ${input.newCount}`;
  }
  if (!Number.isInteger(input.checkpointEvery) || input.checkpointEvery < 1) return `checkpointEvery must be a whole number ≥ 1, got ${input.checkpointEvery}`;
  for (let index = 0; index < input.readings.length; index++) {
    const reading = input.readings[index];
    // Values are checked by HtmModel.compute itself; here only what would break the protocol.
    if (!Array.isArray(reading) || reading.length !== 2 || typeof reading[0] !== 'number' || typeof reading[1] !== 'number') {
      return `readings[${index}] must be [ts, value] numbers`;
    }
  }
  return undefined;
}
