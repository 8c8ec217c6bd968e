import type { Config } from '../config';
import { createKafka } from '../kafka/client';
import { ensureTopics } from '../kafka/topics';
import { kafkaHealthy, kafkaPaths, startKafka, stopKafka } from './kafka';
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
  const [temporal, kafka] = await Promise.all([
    config.temporal.managed ? startTemporal(config) : temporalHealthy(config).then(() => 'external' as const),
    config.kafka.managed ? startKafka(config) : kafkaHealthy(config).then(() => 'external' as const),
  ]);
  say(`Temporal ${temporal}: ${config.temporal.address} (namespace ${config.temporal.namespace}), UI ${config.temporal.uiUrl}`);
  say(`Kafka ${kafka}: ${config.kafka.brokers.join(',')}`);
  const added = await ensureSearchAttributes(config);
  if (added.length > 0) say(`Registered search attributes: ${added.join(', ')}`);
  const created = await ensureTopics(createKafka(config, 'admin'), config);
  if (created.length > 0) say(`Created topics: ${created.join(', ')}`);
}

/** Stops the local services this project started; servers named by the environment are never touched. */
export async function servicesDown(config: Config, say: (line: string) => void): Promise<void> {
  const [temporal, kafka] = await Promise.all([stopTemporal(config), stopKafka(config)]);
  say(`Temporal ${temporal ? 'stopped' : 'was not running'}`);
  say(`Kafka ${kafka ? 'stopped' : 'was not running'}`);
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
  ];
}
