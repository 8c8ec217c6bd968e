import type { LocalDirectoryModelStore } from './local-directory';
import type { ModelKey, ModelStore, SaveOptions, StoredModel } from './model-store';

/**
 * A shared store (the truth, which every worker reaches) with a local folder in front of it.
 *
 * - `save` writes the shared store first, then the cache: a version in a cache is always in
 *   the shared store, and a save that failed there fails (the activity retries it).
 * - Every load says which side served it (`StoredModel.source`), for metrics.
 * - `load(key, version)` reads the cache first: a version is never saved with other bytes (a
 *   model is deterministic, a re-save replaces it with the same bytes), so a cached version is
 *   the shared one. A miss, or a cache that cannot be read (a corrupt file, a full disk), goes
 *   to the shared store, and what it returns is cached.
 * - `load(key)` (the newest) asks the shared store: another worker may have saved a newer one.
 *
 * The cache is only a cache: losing the folder (a new host, a wiped disk) costs reads, never a
 * model. Its own retention keeps each key's newest versions, as the shared store does.
 */
export class CachedModelStore implements ModelStore {
  constructor(
    readonly cache: LocalDirectoryModelStore,
    readonly shared: ModelStore,
    private readonly onCacheError: (error: unknown) => void = () => undefined,
  ) {}

  async load(key: ModelKey, version?: number): Promise<StoredModel | undefined> {
    if (version !== undefined) {
      const cached = await this.cache.load(key, version).catch((error: unknown) => {
        this.onCacheError(error);
        return undefined;
      });
      if (cached !== undefined) {
        return { ...cached, source: 'cache' };
      }
    }
    const stored = await this.shared.load(key, version);
    if (stored !== undefined) {
      await this.cache.save(key, stored.version, stored.bytes).catch(this.onCacheError);
    }
    return stored === undefined ? undefined : { ...stored, source: 'shared' };
  }

  async save(key: ModelKey, version: number, bytes: Uint8Array, options: SaveOptions = {}): Promise<void> {
    await this.shared.save(key, version, bytes, options);
    await this.cache.save(key, version, bytes, options).catch(this.onCacheError);
  }

  async close(): Promise<void> {
    await this.shared.close?.();
  }
}
