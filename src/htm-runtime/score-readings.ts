import { performance } from 'node:perf_hooks';
import { HtmModel, type HtmResult } from '../htm';
import { describeKey, type ModelKey, type ModelStore } from '../model-store';
import { checkpointFingerprint, readingsFingerprints } from './fingerprint';
import type { ModelCache } from './model-cache';
import type { CheckpointOrigin, HtmScoreInput, HtmScoreOutput } from './types';

/** The checkpoint a caller named is not in the store: the model cannot be rebuilt exactly. */
export class HtmCheckpointMissingError extends Error {
  override readonly name = 'HtmCheckpointMissingError';
}

export interface ScoreContext {
  cache: ModelCache;
  store: ModelStore;
}

/**
 * Scores the new readings of one (device, field) with a model in exactly the state of an
 * uninterrupted run, whatever this thread's cache holds:
 *
 * - The cached model is used only if it descends from `checkpointVersion`, has applied
 *   exactly `checkpointVersion + old readings` readings, and those were these params and
 *   readings (fingerprint). Anything else (no model; a model ahead because an earlier
 *   attempt's result was lost; behind; another history) is dropped and rebuilt: checkpoint
 *   `checkpointVersion` from the store (or a fresh model for 0), then the old readings
 *   replayed with their results discarded.
 * - When `readings.length >= checkpointEvery` the model is saved as version
 *   `readingsApplied` and stays cached as descending from it.
 * - On any error the model is not put back: a half-applied batch is never reused.
 *
 * Runs on a scoring thread; the thread serialises calls, so no two touch one model at once.
 */
export async function scoreReadings(input: HtmScoreInput, context: ScoreContext): Promise<HtmScoreOutput> {
  const key: ModelKey = { deviceId: input.deviceId, field: input.field };
  const cacheId = JSON.stringify([input.deviceId, input.field]);
  const oldCount = input.readings.length - input.newCount;
  const fingerprints = readingsFingerprints(input.params, input.readings, oldCount);

  const cached = context.cache.take(cacheId);
  const usable =
    cached !== undefined &&
    cached.checkpointVersion === input.checkpointVersion &&
    cached.model.readingsApplied === input.checkpointVersion + oldCount &&
    cached.fingerprint === fingerprints.beforeNew;

  let model: HtmModel;
  let restoreMs: number | undefined;
  let checkpointFrom: CheckpointOrigin | undefined;
  if (usable) {
    model = cached.model;
  } else {
    const started = performance.now();
    ({ model, from: checkpointFrom } = await loadCheckpoint(input, key, context.store));
    for (let index = 0; index < oldCount; index++) {
      const [ts, value] = input.readings[index]!;
      model.compute(ts, value);
    }
    restoreMs = performance.now() - started;
  }

  const results: HtmResult[] = [];
  for (let index = oldCount; index < input.readings.length; index++) {
    const [ts, value] = input.readings[index]!;
    results.push(model.compute(ts, value));
  }

  let checkpointVersion = input.checkpointVersion;
  let fingerprint = fingerprints.afterNew;
  if (input.readings.length >= input.checkpointEvery) {
    checkpointVersion = model.readingsApplied;
    await context.store.save(key, checkpointVersion, model.snapshot(), { keepVersion: input.checkpointVersion });
    fingerprint = checkpointFingerprint(input.params);
  }
  context.cache.put(cacheId, { model, checkpointVersion, fingerprint });
  if (restoreMs === undefined) return { results, checkpointVersion, rebuilt: false, model: 'live' };
  // A new model with nothing before its new readings: no cache could have held it.
  const origin = input.checkpointVersion === 0 && oldCount === 0 ? 'fresh' : 'restored';
  return { results, checkpointVersion, rebuilt: true, model: origin, restoreMs, ...(checkpointFrom === undefined ? {} : { checkpointFrom }) };
}

async function loadCheckpoint(input: HtmScoreInput, key: ModelKey, store: ModelStore): Promise<{ model: HtmModel; from?: CheckpointOrigin }> {
  if (input.checkpointVersion === 0) return { model: HtmModel.create(input.params) };
  const stored = await store.load(key, input.checkpointVersion);
  if (stored === undefined) {
    throw new HtmCheckpointMissingError(
      `HTM checkpoint version ${input.checkpointVersion} of ${describeKey(key)} is not in the model store: ` +
        'the model cannot be rebuilt exactly (was the store wiped, or is this worker using another store?)',
    );
  }
  const model = HtmModel.restore(stored.bytes);
  if (model.readingsApplied !== input.checkpointVersion) {
    throw new Error(`HTM checkpoint version ${input.checkpointVersion} of ${describeKey(key)} holds a model that applied ${model.readingsApplied} readings`);
  }
  return { model, from: stored.source ?? 'local' };
}
