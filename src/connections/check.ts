import type { Config } from '../config';
import { checkKafka } from './kafka';
import { checkPostgres } from './postgres';
import { openTemporalConnection } from './temporal';

export type Server = 'temporal' | 'kafka' | 'postgres';

const checks: Record<Server, (config: Config) => Promise<void>> = {
  temporal: async (config) => {
    const connection = await openTemporalConnection(config);
    await connection.close();
  },
  kafka: checkKafka,
  postgres: checkPostgres,
};

/**
 * What every process does first: checks, side by side and each bounded in time (under 10 s in
 * all), that the servers it needs answer with the configured credentials. The first failure (in
 * the order Temporal, Kafka, PostgreSQL) is thrown as its one line; the process then stops
 * before it made any long-running client, so nothing retries for ever.
 */
export async function checkConnections(config: Config, servers: Server[]): Promise<void> {
  const outcomes = await Promise.allSettled(servers.map((server) => checks[server](config)));
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
