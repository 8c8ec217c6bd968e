import { CachedModelStore } from './cached';
import { LocalDirectoryModelStore } from './local-directory';
import type { ModelStore, ModelStoreSpec, SharedStoreSpec } from './model-store';
import { PostgresModelStore } from './postgres';
import { S3ModelStore } from './s3';

export { CachedModelStore } from './cached';
export { ModelStoreCorruptError } from './checkpoint-frame';
export { keyDirectoryName, LocalDirectoryModelStore, type LocalDirectoryModelStoreOptions } from './local-directory';
export {
  describeKey,
  type CachedStoreSpec,
  type LocalDirectorySpec,
  type ModelKey,
  type ModelStore,
  type ModelStoreSpec,
  type PostgresStoreSpec,
  type S3StoreSpec,
  type SaveOptions,
  type SharedStoreSpec,
  type StoredModel,
} from './model-store';
export { CHECKPOINTS_TABLE, PostgresModelStore } from './postgres';
export { migrateModelStore } from './postgres-schema';
export { s3ClientOf, S3ModelStore, s3Sdk } from './s3';
export { modelStoreSpecOf, sharedStoreSpecOf } from './spec-from-settings';

/** Opens the store a spec describes (each scoring thread opens its own). */
export function openModelStore(spec: ModelStoreSpec, onCacheError?: (error: unknown) => void): ModelStore {
  switch (spec.kind) {
    case 'local-directory':
      return new LocalDirectoryModelStore(spec.dir, { keepVersions: spec.keepVersions });
    case 'cached':
      return new CachedModelStore(new LocalDirectoryModelStore(spec.cacheDir, { keepVersions: spec.keepVersions }), openSharedStore({ ...spec.shared, keepVersions: spec.keepVersions }), onCacheError);
    default:
      return openSharedStore(spec);
  }
}

function openSharedStore(spec: SharedStoreSpec): ModelStore {
  switch (spec.kind) {
    case 'postgres':
      return new PostgresModelStore(spec);
    case 's3':
      return new S3ModelStore(spec);
  }
}

