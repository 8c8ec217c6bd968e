import type { Config } from '../config';
import { describeAlertmanagerSecurity } from '../security/alertmanager-security';
import { alertmanagerHealthy, alertmanagerPaths, startAlertmanager, stopAlertmanager } from './alertmanager';
import { createKafka } from '../kafka/client';
import { describeKafkaSecurity } from '../security/kafka-security';
import { describePostgresSecurity } from '../security/postgres-ssl';
import { describeTemporalSecurity } from '../security/temporal-security';
import { ensureTopics } from '../kafka/topics';
import { kafkaHealthy, kafkaPaths, startKafka, stopKafka } from './kafka';
import { migrate } from '../sink/migrate';
import { externalPostgres, postgresHealthy, postgresPaths, startPostgres, stopPostgres } from './postgres';
import { runningPid } from './processes';
import { s3ServerEndpoint, s3ServerHealthy, s3ServerPaths, startS3Server, stopS3Server } from './s3-server';
import { prepareModelStore } from '../connections/model-store';
import { ensureSearchAttributes, stopTemporal, temporalHealthy } from './temporal';
import { temporalBackend } from './temporal-backend';
import { stopTemporalServer } from './temporal-server';

export interface ServiceStatus {
  name: string;
  /** Address, brokers or host:port/database: never a password. */
  where: string;
  /** How Vigil reaches it: `plaintext`, `TLS, API key`, `SASL_SSL SCRAM-SHA-512 as vigil`, …: never a secret. */
  security: string;
  managed: boolean;
  pid: number | undefined;
  healthy: boolean;
  /** Why it is not healthy: the one line of its connection failure. */
  problem?: string;
}

/**
 * Brings up what Vigil needs: the local Temporal and Kafka unless the environment points at
 * existing servers, the local S3 server when asked (VIGIL_S3_SERVER=local), then Vigil's
 * topics, the sink's tables and a PostgreSQL model store's table. Idempotent: running services
 * are left as they are.
 */
export async function servicesUp(config: Config, say: (line: string) => void): Promise<void> {
  const temporalServer = config.temporal.managed ? temporalBackend(config) : undefined;
  const postgresUp = config.postgres.managed ? startPostgres(config) : externalPostgres(config);
  const s3 = config.s3Server.managed ? startS3Server(config) : undefined;
  s3?.catch(() => undefined); // awaited below: not unhandled if the others fail first
  const [temporal, kafka, postgres, alertmanager] = await Promise.all([
    // The production server keeps its state in the local PostgreSQL: it starts once that answers.
    temporalServer
      ? config.temporal.backend === 'server'
        ? postgresUp.then(() => temporalServer.start(say))
        : temporalServer.start(say)
      : temporalHealthy(config).then(() => 'external' as const),
    config.kafka.managed ? startKafka(config) : kafkaHealthy(config).then(() => 'external' as const),
    postgresUp,
    // Not needed to detect anything: an external one that does not answer is reported, not fatal.
    config.alerting.managed ? startAlertmanager(config, say) : alertmanagerHealthy(config).then(() => 'external' as const, (error: unknown) => `not answering (${(error as Error).message})`),
  ]);
  const ui = temporalServer && config.temporal.backend === 'server' ? 'over TLS (the production server has no UI)' : `UI ${config.temporal.uiUrl}`;
  say(`${temporalServer?.name ?? 'Temporal'} ${temporal}: ${config.temporal.address} (namespace ${config.temporal.namespace}), ${ui}`);
  say(`Kafka ${kafka}: ${config.kafka.brokers.join(',')}${config.kafka.managed ? `, SASL_SSL on 127.0.0.1:${config.kafka.saslPort}` : ''}`);
  say(`PostgreSQL ${postgres}: ${config.postgres.url}`);
  say(`Alertmanager ${alertmanager}: ${config.alerting.alertmanagerUrl}${config.alerting.managed ? ` (routing: ${config.alerting.routingFile})` : ''}`);
  if (s3) say(`S3 server (S3Proxy) ${await s3}: ${s3ServerEndpoint(config)}`);
  const migrated = await migrate(config);
  if (migrated.length > 0) say(`Applied migrations: ${migrated.join(', ')}`);
  // The model store's table (PostgreSQL) is made here too, so a worker finds it ready; an S3 bucket on the local server was made above.
  if (config.modelStore.location.kind === 'postgres') {
    const applied = await prepareModelStore(config);
    if (applied.length > 0) say(`Applied model store migrations: ${applied.join(', ')}`);
  }
  say(`Model store: ${config.modelStore.url}`);
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
  const [dev, server, kafka, postgres, alertmanager, s3] = await Promise.all([stopTemporal(config), stopTemporalServer(config), stopKafka(config), stopPostgres(config), stopAlertmanager(config), stopS3Server(config)]);
  if (server) say('Temporal server stopped');
  if (dev || !server) say(`Temporal dev server ${dev ? 'stopped' : 'was not running'}`);
  say(`Kafka ${kafka ? 'stopped' : 'was not running'}`);
  say(`PostgreSQL ${postgres ? 'stopped' : 'was not running'}`);
  say(`Alertmanager ${alertmanager ? 'stopped' : 'was not running'}`);
  if (s3 || config.s3Server.managed) say(`S3 server ${s3 ? 'stopped' : 'was not running'}`);
}

/**
 * Whether each service answers, with the configured TLS and credentials; for one that does not,
 * the one line that says why (the setting to check). The three are asked side by side.
 */
export async function servicesStatus(config: Config): Promise<ServiceStatus[]> {
  const health = (check: () => Promise<boolean>) =>
    check().then(
      (healthy) => ({ healthy }),
      (error: unknown) => ({ healthy: false, problem: error instanceof Error ? error.message : String(error) }),
    );
  const [temporal, kafka, postgres, alertmanager] = await Promise.all([
    health(() => (config.temporal.managed ? temporalBackend(config).healthy() : temporalHealthy(config))),
    health(() => kafkaHealthy(config)),
    health(() => postgresHealthy(config)),
    health(() => alertmanagerHealthy(config)),
  ]);
  const s3Pid = runningPid(s3ServerPaths(config).process);
  // The local S3 server is listed when it is wanted (VIGIL_S3_SERVER=local) or runs.
  const s3 = config.s3Server.managed || s3Pid !== undefined ? [{ name: 's3', where: s3ServerEndpoint(config), security: 'S3Proxy, plaintext, loopback', managed: true, pid: s3Pid, ...(await health(() => s3ServerHealthy(config))) }] : [];
  return [
    {
      name: config.temporal.backend === 'server' ? 'temporal (production server)' : 'temporal',
      where: config.temporal.address,
      security: describeTemporalSecurity(config.temporal.security),
      managed: config.temporal.managed,
      pid: runningPid(temporalBackend(config).process),
      ...temporal,
    },
    {
      name: 'kafka',
      where: config.kafka.brokers.join(','),
      security: describeKafkaSecurity(config.kafka.security),
      managed: config.kafka.managed,
      pid: runningPid(kafkaPaths(config).process),
      ...kafka,
    },
    {
      name: 'postgres',
      where: config.postgres.url,
      security: describePostgresSecurity(config.postgres),
      managed: config.postgres.managed,
      pid: runningPid(postgresPaths(config).process),
      ...postgres,
    },
    {
      name: 'alertmanager',
      where: config.alerting.alertmanagerUrl,
      security: describeAlertmanagerSecurity(config.alerting.alertmanagerUrl, config.alerting.security),
      managed: config.alerting.managed,
      pid: config.alerting.managed ? runningPid(alertmanagerPaths(config.home).process) : undefined,
      ...alertmanager,
    },
    ...s3,
  ];
}
