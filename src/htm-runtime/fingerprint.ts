import { createHash, type Hash } from 'node:crypto';
import type { HtmParamsInput } from '../htm';
import type { HtmReading } from './types';

/**
 * Digests of "these params, then these readings", taken before and after the new readings in
 * one pass. The readings-applied count alone says a cached model is at the right *position*;
 * the digest also proves it saw the same readings, so a caller whose history differs from an
 * earlier attempt's (or whose params changed) gets a rebuild instead of a silently wrong model.
 */
export function readingsFingerprints(params: HtmParamsInput, readings: readonly HtmReading[], oldCount: number): { beforeNew: string; afterNew: string } {
  const hash = createHash('sha256').update(JSON.stringify(params));
  updateWithReadings(hash, readings, 0, oldCount);
  const beforeNew = hash.copy().digest('base64');
  updateWithReadings(hash, readings, oldCount, readings.length);
  return { beforeNew, afterNew: hash.digest('base64') };
}

/** The fingerprint of a model just checkpointed: nothing applied since. */
export function checkpointFingerprint(params: HtmParamsInput): string {
  return readingsFingerprints(params, [], 0).afterNew;
}

function updateWithReadings(hash: Hash, readings: readonly HtmReading[], from: number, to: number): void {
  if (to <= from) return;
  // The raw float64 bits, so that nothing is lost to formatting (-0 and 0 differ, for one).
  const values = new Float64Array(2 * (to - from));
  for (let index = from; index < to; index++) {
    const [ts, value] = readings[index]!;
    values[2 * (index - from)] = ts;
    values[2 * (index - from) + 1] = value;
  }
  hash.update(new Uint8Array(values.buffer));
}
