import type { ConnectionOptions } from 'node:tls';
import { Pool, type PoolClient } from 'pg';
import { frame, unframe } from './checkpoint-frame';
import { assertValidVersion, type ModelKey, type ModelStore, type PostgresStoreSpec, type SaveOptions, type StoredModel } from './model-store';
import { keepVersionsOf } from './retention';

/** node-pg's settings for a store's database (the TLS options rebuilt from plain data). */
export function postgresPoolSettings(spec: Pick<PostgresStoreSpec, 'connectionString' | 'tls'>): { connectionString: string; ssl: false | ConnectionOptions } {
  const { tls } = spec;
  if (tls === false) return { connectionString: spec.connectionString, ssl: false };
  const identity = tls.verifyHostname ? {} : { checkServerIdentity: () => undefined };
  return { connectionString: spec.connectionString, ssl: { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized, ...identity } };
}

/** The table `migrations/model-store/` creates: one row per (device, field, version). */
export const CHECKPOINTS_TABLE = 'vigil_model_checkpoints';

/**
 * Checkpoints in a PostgreSQL table, shared by every worker that reaches the database.
 *
 * - A save is one transaction: the row of the version (replaced if it exists), then retention's
 *   deletes. A reader sees the old rows or the new ones, never a partial checkpoint; the
 *   frame's SHA-256 (checkpoint-frame.ts) catches anything else.
 * - Retention keeps the newest `keepVersions` versions plus `options.keepVersion`, as the local
 *   folder does.
 */
export class PostgresModelStore implements ModelStore {
  private readonly pool: Pool;
  private readonly keepVersions: number;

  constructor(spec: Omit<PostgresStoreSpec, 'kind'>, options: { maxConnections?: number } = {}) {
    this.keepVersions = keepVersionsOf(spec.keepVersions);
    this.pool = new Pool({
      ...postgresPoolSettings(spec),
      max: options.maxConnections ?? 2,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
    });
    // A connection the server drops while idle: the next query opens another.
    this.pool.on('error', () => undefined);
  }

  async load(key: ModelKey, version?: number): Promise<StoredModel | undefined> {
    if (version !== undefined) assertValidVersion(version);
    const { rows } = await this.pool.query<{ version: string; checkpoint: Buffer }>(
      version === undefined
        ? `SELECT version, checkpoint FROM ${CHECKPOINTS_TABLE} WHERE device_id = $1 AND field = $2 ORDER BY version DESC LIMIT 1`
        : `SELECT version, checkpoint FROM ${CHECKPOINTS_TABLE} WHERE device_id = $1 AND field = $2 AND version = $3`,
      version === undefined ? [key.deviceId, key.field] : [key.deviceId, key.field, version],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const found = Number(row.version);
    return { version: found, bytes: unframe(row.checkpoint, key, found, `table ${CHECKPOINTS_TABLE}`) };
  }

  async save(key: ModelKey, version: number, bytes: Uint8Array, options: SaveOptions = {}): Promise<void> {
    assertValidVersion(version);
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO ${CHECKPOINTS_TABLE} (device_id, field, version, checkpoint) VALUES ($1, $2, $3, $4)
         ON CONFLICT (device_id, field, version) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, saved_at = now()`,
        [key.deviceId, key.field, version, frame(bytes)],
      );
      // Everything older than the newest `keepVersions`, but the version the caller trusts.
      await client.query(
        `DELETE FROM ${CHECKPOINTS_TABLE} WHERE device_id = $1 AND field = $2 AND version IS DISTINCT FROM $4::bigint AND version < (
           SELECT coalesce(min(version), 0) FROM (
             SELECT version FROM ${CHECKPOINTS_TABLE} WHERE device_id = $1 AND field = $2 ORDER BY version DESC LIMIT $3
           ) AS newest
         )`,
        [key.deviceId, key.field, this.keepVersions, options.keepVersion ?? null],
      );
    });
  }

  /** The versions stored for a key, oldest first. */
  async versions(key: ModelKey): Promise<number[]> {
    const { rows } = await this.pool.query<{ version: string }>(`SELECT version FROM ${CHECKPOINTS_TABLE} WHERE device_id = $1 AND field = $2 ORDER BY version`, [key.deviceId, key.field]);
    return rows.map((row) => Number(row.version));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
