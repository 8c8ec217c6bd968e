import type { HtmModel } from '../htm';

/** A live model and what it has seen, so it is reused only at exactly the state a call expects. */
export interface CachedModel {
  model: HtmModel;
  /** The checkpoint the model's state descends from. */
  checkpointVersion: number;
  /** `readingsFingerprint` of the params and the readings applied since that checkpoint. */
  fingerprint: string;
}

/**
 * Least-recently-used models of one thread, bounded by count (each is megabytes with NAB's
 * default parameters). A Map iterates in insertion order, so re-inserting on use keeps the
 * least recently used first.
 */
export class ModelCache {
  private readonly entries = new Map<string, CachedModel>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`model cache capacity must be a whole number ≥ 1, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Removes and returns the entry: a caller that fails midway must not leave a half-updated model behind. */
  take(id: string): CachedModel | undefined {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    return entry;
  }

  put(id: string, entry: CachedModel): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
  }
}
