import path from 'node:path';
import type { Config } from '../config';
import { pgConfig } from '../connections/postgres';
import { logger } from '../logger';
import { runMigrations } from '../postgres-migrations';

const migrationsDir = path.resolve(__dirname, '..', '..', 'migrations');

/**
 * Brings the sink's tables up to date. Safe from several processes at once: the runner holds an
 * advisory lock, and a process that finds it taken waits for the other one to finish.
 */
export async function migrate(config: Config): Promise<string[]> {
  const log = logger.child({ component: 'migrate' });
  return runMigrations(pgConfig(config), migrationsDir, 'vigil_migrations', { debug: (m) => log.debug(m), warn: (m) => log.warn(m), error: (m) => log.error(m) });
}
