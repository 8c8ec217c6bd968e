import { CachedModelStore } from './cached';
import { LocalDirectoryModelStore } from './local-directory';
import type { ModelStore, ModelStoreSpec, SharedStoreSpec } from './model-store';
import { PostgresModelStore } from './postgres';

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
      return lazily(import('./s3').then(({ S3ModelStore }) => new S3ModelStore(spec)));
  }
}

/** A store opened when first used: the S3 store's module (the AWS SDK, which is big) is loaded only for an S3 store, since every command loads this one. */
function lazily(opening: Promise<ModelStore>): ModelStore {
  opening.catch(() => undefined); // a failure to open surfaces at the first use, not as an unhandled rejection
  return {
    load: async (key, version) => (await opening).load(key, version),
    save: async (key, version, bytes, options) => (await opening).save(key, version, bytes, options),
    close: async () => (await opening).close?.(),
  };
}
