import type { Config } from '../config';
import { createKafka } from '../kafka/client';
import { ensureTopics } from '../kafka/topics';
import { kafkaHealthy, kafkaPaths, startKafka, stopKafka } from './kafka';
import { migrate } from '../sink/migrate';
import { externalPostgres, postgresHealthy, postgresPaths, startPostgres, stopPostgres } from './postgres';
import { runningPid } from './processes';
import { ensureSearchAttributes, startTemporal, stopTemporal, temporalHealthy, temporalPaths } from './temporal';

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
  const [temporal, kafka, postgres] = await Promise.all([
    config.temporal.managed ? startTemporal(config) : temporalHealthy(config).then(() => 'external' as const),
    config.kafka.managed ? startKafka(config) : kafkaHealthy(config).then(() => 'external' as const),
    config.postgres.managed ? startPostgres(config) : externalPostgres(config),
  ]);
  say(`Temporal ${temporal}: ${config.temporal.address} (namespace ${config.temporal.namespace}), UI ${config.temporal.uiUrl}`);
  say(`Kafka ${kafka}: ${config.kafka.brokers.join(',')}`);
  say(`PostgreSQL ${postgres}: ${redactedUrl(config.postgres.url)}`);
  const migrated = await migrate(config);
  if (migrated.length > 0) say(`Applied migrations: ${migrated.join(', ')}`);
  const added = await ensureSearchAttributes(config);
  if (added.length > 0) say(`Registered search attributes: ${added.join(', ')}`);
  const created = await ensureTopics(createKafka(config, 'admin'), config);
  if (created.length > 0) say(`Created topics: ${created.join(', ')}`);
}

/** Stops the local services this project started; servers named by the environment are never touched. */
export async function servicesDown(config: Config, say: (line: string) => void): Promise<void> {
  const [temporal, kafka, postgres] = await Promise.all([stopTemporal(config), stopKafka(config), stopPostgres(config)]);
  say(`Temporal ${temporal ? 'stopped' : 'was not running'}`);
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
      name: 'temporal',
      where: config.temporal.address,
      managed: config.temporal.managed,
      pid: runningPid(temporalPaths(config).process),
      healthy: await healthy(temporalHealthy(config)),
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
