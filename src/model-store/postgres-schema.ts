import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runner } from 'node-pg-migrate';
import type { PostgresStoreSpec } from './model-store';
import { postgresPoolSettings } from './postgres';

const migrationsDir = path.resolve(__dirname, '..', '..', 'migrations', 'model-store');

/**
 * Creates or updates the checkpoints table in the store's database: the sink's or another, so
 * with migrations and a migrations table of its own. Safe from several workers at once (the
 * runner's advisory lock; one that finds it taken waits). Returns the migrations applied.
 */
export async function migrateModelStore(spec: PostgresStoreSpec, log: { debug(message: string): void; warn(message: string): void } = { debug() {}, warn() {} }): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await runner({
        databaseUrl: postgresPoolSettings(spec),
        dir: migrationsDir,
        migrationsTable: 'vigil_model_store_migrations',
        direction: 'up',
        count: Infinity,
        logger: { debug: () => {}, info: (message: string) => log.debug(message), warn: (message: string) => log.warn(message), error: (message: string) => log.warn(message) },
      });
      return applied.map((migration) => migration.name);
    } catch (error) {
      if (!/another migration is already running/i.test(String(error)) || attempt >= 30) throw error;
      await sleep(500);
    }
  }
}
