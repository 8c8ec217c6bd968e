import { LocalDirectoryModelStore } from './local-directory';
import type { ModelStore, ModelStoreSpec } from './model-store';

export { keyDirectoryName, LocalDirectoryModelStore, ModelStoreCorruptError, type LocalDirectoryModelStoreOptions } from './local-directory';
export { describeKey, type ModelKey, type ModelStore, type ModelStoreSpec, type SaveOptions, type StoredModel } from './model-store';

/** Opens the store a spec describes (each scoring thread opens its own). */
export function openModelStore(spec: ModelStoreSpec): ModelStore {
  switch (spec.kind) {
    case 'local-directory':
      return new LocalDirectoryModelStore(spec.dir, { keepVersions: spec.keepVersions });
  }
}
