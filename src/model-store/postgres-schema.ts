import path from 'node:path';
import type { PostgresStoreSpec } from './model-store';
import { type MigrationLog, runMigrations } from '../postgres-migrations';
import { postgresPoolSettings } from './postgres';

const migrationsDir = path.resolve(__dirname, '..', '..', 'migrations', 'model-store');

/**
 * Creates or updates the checkpoints table in the store's database: the sink's or another, so
 * with migrations and a migrations table of its own; safe from several workers at once.
 */
export async function migrateModelStore(spec: PostgresStoreSpec, log: MigrationLog = { debug() {}, warn() {} }): Promise<string[]> {
  return runMigrations(postgresPoolSettings(spec), migrationsDir, 'vigil_model_store_migrations', log);
}
