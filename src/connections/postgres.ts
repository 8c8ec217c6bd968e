import { Client } from 'pg';
import type { Config } from '../config';
import { ConnectionFailure } from '../security/connection-failure';
import { postgresProblem } from '../security/postgres-problems';
import { postgresClientConfig } from '../security/postgres-ssl';

/** How long a connection to PostgreSQL may take to open. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 5000;

/**
 * The configuration of every pg Pool and Client (and node-pg-migrate): the URL with its
 * password, TLS with libpq's meaning of sslmode, a bounded connect. `database` names another
 * database of the same server.
 */
export function pgConfig(config: Config, options: { database?: string; connectionTimeoutMillis?: number } = {}) {
  return postgresClientConfig(config.postgres, { connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS, ...options });
}

/**
 * A connected client, or a ConnectionFailure: one line naming the server and the setting to
 * check. The caller ends the client.
 */
export async function connectPostgres(config: Config, options: { database?: string; connectionTimeoutMillis?: number } = {}): Promise<Client> {
  const client = new Client(pgConfig(config, options));
  // An error after connecting (the server going away) surfaces at the next query; unhandled, it would end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new ConnectionFailure(postgresProblem(error, config.postgres), error);
  }
  return client;
}

/** Runs `use` with a connected client and ends it afterwards. */
export async function withPostgres<T>(config: Config, use: (client: Client) => Promise<T>, options: { database?: string; connectionTimeoutMillis?: number } = {}): Promise<T> {
  const client = await connectPostgres(config, options);
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Checks at start that the database answers with the configured password and TLS. */
export async function checkPostgres(config: Config): Promise<void> {
  await withPostgres(config, (client) => client.query('select 1'));
}
