/**
 * Where HTM model checkpoints live. A model's state is megabytes, far too big for Temporal
 * history, so a device workflow records only a checkpoint *version* (the model's
 * `readingsApplied` when it was saved) plus the readings applied since; the bytes are here.
 *
 * `LocalDirectoryModelStore` serves one machine. Several workers that may score the same
 * device (a Temporal activity can be retried on another worker) need a shared store: S3, a
 * database table keyed by (deviceId, field, version), … implementing this same interface.
 * What any implementation must guarantee:
 * - `load` never returns a partially written or corrupt checkpoint (it returns it whole,
 *   returns undefined, or throws);
 * - `save` of a version that exists already replaces it (a retried activity re-saves the
 *   same version with the same bytes: the model is deterministic);
 * - the checkpoint a workflow trusts is still loadable while newer ones are being written by
 *   attempts whose results were lost (see `SaveOptions.keepVersion`).
 */
export interface ModelKey {
  deviceId: string;
  field: string;
}

export interface StoredModel {
  version: number;
  bytes: Uint8Array;
}

export interface SaveOptions {
  /**
   * An older version that retention must not delete: the checkpoint the saved state was
   * built from, which the caller's workflow still trusts until it learns about `version`.
   */
  keepVersion?: number;
}

export interface ModelStore {
  /**
   * The checkpoint of exactly `version` when given (undefined if that version is not
   * stored), else the newest one (undefined if the key has none).
   */
  load(key: ModelKey, version?: number): Promise<StoredModel | undefined>;
  save(key: ModelKey, version: number, bytes: Uint8Array, options?: SaveOptions): Promise<void>;
}

/**
 * A store described as plain data, so that each scoring thread can open its own (a store
 * object cannot be posted to a worker thread). Shared stores add their own kinds here.
 */
export type ModelStoreSpec = { kind: 'local-directory'; dir: string; keepVersions?: number };

export function describeKey(key: ModelKey): string {
  return `device ${JSON.stringify(key.deviceId)} field ${JSON.stringify(key.field)}`;
}

export function assertValidVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`model version must be a whole number ≥ 0, got ${version}`);
}
