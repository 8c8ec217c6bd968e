import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientConfig } from 'pg';
import { runner } from 'node-pg-migrate';

export interface MigrationLog {
  debug(message: string): void;
  warn(message: string): void;
  /** A failed migration; `warn` when absent. */
  error?(message: string): void;
}

/**
 * Applies a folder's migrations that a database has not had yet, recorded in a migrations table
 * of their own (the sink's tables and the model store's may share a database). Safe from several
 * processes at once: the runner holds an advisory lock, and one that finds it taken waits for the
 * other to finish. Returns the migrations applied.
 */
export async function runMigrations(databaseUrl: ClientConfig, dir: string, migrationsTable: string, log: MigrationLog): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await runner({
        databaseUrl,
        dir,
        migrationsTable,
        direction: 'up',
        count: Infinity,
        logger: { debug: () => {}, info: (message: string) => log.debug(message), warn: (message: string) => log.warn(message), error: (message: string) => (log.error ? log.error(message) : log.warn(message)) },
      });
      return applied.map((migration) => migration.name);
    } catch (error) {
      if (!/another migration is already running/i.test(String(error)) || attempt >= 30) throw error;
      await sleep(500);
    }
  }
}
