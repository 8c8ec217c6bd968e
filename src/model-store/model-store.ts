/**
 * Where HTM model checkpoints live. A model's state is megabytes, far too big for Temporal
 * history, so a device workflow records only a checkpoint *version* (the model's
 * `readingsApplied` when it was saved) plus the readings applied since; the bytes are here.
 *
 * `LocalDirectoryModelStore` serves one machine. Several workers that may score the same
 * device (a Temporal activity can be retried on another worker) share a store: a PostgreSQL
 * table keyed by (device, field, version) (`PostgresModelStore`) or an S3 bucket
 * (`S3ModelStore`), each behind a local folder as its cache (`CachedModelStore`).
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
  /** Set by a cached store: whether its local folder or the shared store served the load. */
  source?: 'cache' | 'shared';
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
  /** Releases connections (a database pool, sockets); the store is not used afterwards. */
  close?(): Promise<void>;
}

/**
 * A store described as plain data, so that each scoring thread can open its own (a store
 * object cannot be posted to a worker thread): secrets travel in it as plain strings.
 */
export type ModelStoreSpec = LocalDirectorySpec | SharedStoreSpec | CachedStoreSpec;

export interface LocalDirectorySpec {
  kind: 'local-directory';
  dir: string;
  keepVersions?: number;
}

export interface PostgresStoreSpec {
  kind: 'postgres';
  /** node-pg's connection string, its password in it. */
  connectionString: string;
  /** TLS as node-pg takes it (no functions: `verifyHostname` false is libpq's verify-ca). */
  tls: false | { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean; verifyHostname: boolean };
  keepVersions?: number;
}

export interface S3StoreSpec {
  kind: 's3';
  bucket: string;
  /** Object names start with it (no leading or trailing '/'); '' for the bucket's root. */
  prefix: string;
  /** The client's settings, read from the standard AWS variables (model-store-settings.ts); what is absent the SDK resolves itself (profiles, roles). */
  client: {
    endpoint?: string;
    region?: string;
    forcePathStyle: boolean;
    /** Checksums only where S3 requires them: S3-compatible servers refuse the newer headers. */
    checksumsWhenRequired: boolean;
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  };
  keepVersions?: number;
}

export type SharedStoreSpec = PostgresStoreSpec | S3StoreSpec;

/** A shared store with a local folder in front of it as a cache. */
export interface CachedStoreSpec {
  kind: 'cached';
  cacheDir: string;
  shared: SharedStoreSpec;
  keepVersions?: number;
}

export function describeKey(key: ModelKey): string {
  return `device ${JSON.stringify(key.deviceId)} field ${JSON.stringify(key.field)}`;
}

export function assertValidVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`model version must be a whole number ≥ 0, got ${version}`);
}
