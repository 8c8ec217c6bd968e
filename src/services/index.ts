import type { Config } from '../config';
import { createKafka } from '../kafka/client';
import { ensureTopics } from '../kafka/topics';
import { kafkaHealthy, kafkaPaths, startKafka, stopKafka } from './kafka';
import { migrate } from '../sink/migrate';
import { externalPostgres, postgresHealthy, postgresPaths, startPostgres, stopPostgres } from './postgres';
import { runningPid } from './processes';
import { ensureSearchAttributes, stopTemporal, temporalHealthy } from './temporal';
import { temporalBackend } from './temporal-backend';
import { stopTemporalServer } from './temporal-server';

export interface ServiceStatus {
  name: string;
  where: string;
  managed: boolean;
  pid: number | undefined;
  healthy: boolean;
}

/**
 * Brings up what Vigil needs: the local Temporal and Kafka unless the environment points at
 * existing servers, then Vigil's topics. Idempotent: running services are left as they are.
 */
export async function servicesUp(config: Config, say: (line: string) => void): Promise<void> {
  const temporalServer = config.temporal.managed ? temporalBackend(config) : undefined;
  const postgresUp = config.postgres.managed ? startPostgres(config) : externalPostgres(config);
  const [temporal, kafka, postgres] = await Promise.all([
    // The production server keeps its state in the local PostgreSQL: it starts once that answers.
    temporalServer
      ? config.temporal.backend === 'server'
        ? postgresUp.then(() => temporalServer.start(say))
        : temporalServer.start(say)
      : temporalHealthy(config).then(() => 'external' as const),
    config.kafka.managed ? startKafka(config) : kafkaHealthy(config).then(() => 'external' as const),
    postgresUp,
  ]);
  const ui = temporalServer && config.temporal.backend === 'server' ? 'over TLS (the production server has no UI)' : `UI ${config.temporal.uiUrl}`;
  say(`${temporalServer?.name ?? 'Temporal'} ${temporal}: ${config.temporal.address} (namespace ${config.temporal.namespace}), ${ui}`);
  say(`Kafka ${kafka}: ${config.kafka.brokers.join(',')}${config.kafka.managed ? `, SASL_SSL on 127.0.0.1:${config.kafka.saslPort}` : ''}`);
  say(`PostgreSQL ${postgres}: ${redactedUrl(config.postgres.url)}`);
  const migrated = await migrate(config);
  if (migrated.length > 0) say(`Applied migrations: ${migrated.join(', ')}`);
  if (config.temporal.backend !== 'server' || !config.temporal.managed) {
    const added = await ensureSearchAttributes(config);
    if (added.length > 0) say(`Registered search attributes: ${added.join(', ')}`);
  }
  const created = await ensureTopics(createKafka(config, 'admin'), config);
  if (created.length > 0) say(`Created topics: ${created.join(', ')}`);
}

/**
 * Stops the local services this project started (either Temporal backend, whichever runs);
 * servers named by the environment are never touched.
 */
export async function servicesDown(config: Config, say: (line: string) => void): Promise<void> {
  const [dev, server, kafka, postgres] = await Promise.all([stopTemporal(config), stopTemporalServer(config), stopKafka(config), stopPostgres(config)]);
  if (server) say('Temporal server stopped');
  if (dev || !server) say(`Temporal dev server ${dev ? 'stopped' : 'was not running'}`);
  say(`Kafka ${kafka ? 'stopped' : 'was not running'}`);
  say(`PostgreSQL ${postgres ? 'stopped' : 'was not running'}`);
}

/** A database URL fit for logs: the password, if any, is masked. */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

export async function servicesStatus(config: Config): Promise<ServiceStatus[]> {
  const healthy = (check: Promise<boolean>) => check.catch(() => false);
  return [
    {
      name: config.temporal.backend === 'server' ? 'temporal (production server)' : 'temporal',
      where: config.temporal.address,
      managed: config.temporal.managed,
      pid: runningPid(temporalBackend(config).process),
      healthy: await healthy(config.temporal.managed ? temporalBackend(config).healthy() : temporalHealthy(config)),
    },
    {
      name: 'kafka',
      where: config.kafka.brokers.join(','),
      managed: config.kafka.managed,
      pid: runningPid(kafkaPaths(config).process),
      healthy: await healthy(kafkaHealthy(config)),
    },
    {
      name: 'postgres',
      where: redactedUrl(config.postgres.url),
      managed: config.postgres.managed,
      pid: runningPid(postgresPaths(config).process),
      healthy: await healthy(postgresHealthy(config)),
    },
  ];
}
