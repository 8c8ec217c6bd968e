import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runner } from 'node-pg-migrate';
import type { Config } from '../config';
import { pgConfig } from '../connections/postgres';
import { logger } from '../logger';

const migrationsDir = path.resolve(__dirname, '..', '..', 'migrations');

/**
 * Brings the sink's tables up to date. Safe from several processes at once: the runner holds an
 * advisory lock, and a process that finds it taken waits for the other one to finish.
 */
export async function migrate(config: Config): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(config);
    } catch (error) {
      if (!/another migration is already running/i.test(String(error)) || attempt >= 30) throw error;
      await sleep(500);
    }
  }
}

async function migrateOnce(config: Config): Promise<string[]> {
  const log = logger.child({ component: 'migrate' });
  const applied = await runner({
    databaseUrl: pgConfig(config),
    dir: migrationsDir,
    migrationsTable: 'vigil_migrations',
    direction: 'up',
    count: Infinity,
    logger: { debug: () => {}, info: (msg: string) => log.debug(msg), warn: (msg: string) => log.warn(msg), error: (msg: string) => log.error(msg) },
  });
  return applied.map((migration) => migration.name);
}
