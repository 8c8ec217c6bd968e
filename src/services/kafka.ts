import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { createKafka } from '../kafka/client';
import { certificateFiles, certificatesDir, ensureCertificates } from './certificates';
import { type BrokerSettings, brokerProperties, propertiesText, SCRAM_MECHANISMS } from './kafka-properties';
import { alterScramArgs, ensureScramPassword, formatScramArgs, runKafkaTool, SCRAM_USER, scramConfigFile, scramLogin, scramPasswordFile } from './kafka-sasl';
import { ConnectionFailure } from '../security/connection-failure';
import { fetchJars, type MavenService, pinnedVersion, pomFileOf } from './maven';
import { kafkaProblem } from '../security/kafka-problems';
import {
  type ManagedProcess,
  portOpen,
  runningPid,
  startDetached,
  stopProcess,
  waitUntil,
} from './processes';

const kafkaJars: MavenService = { folder: 'kafka', property: 'kafka', what: 'the local Kafka broker' };
const log4jFile = path.join(path.dirname(pomFileOf(kafkaJars)), 'log4j.properties');

export function kafkaPaths(config: Config) {
  const dir = path.join(config.home, 'kafka');
  return {
    dir,
    libs: path.join(dir, 'libs'),
    data: path.join(dir, 'data'),
    properties: path.join(dir, 'server.properties'),
    process: { name: 'Kafka broker', pidFile: path.join(dir, 'kafka.pid'), logFile: path.join(dir, 'kafka.log') } satisfies ManagedProcess,
  };
}

/** Copies the broker's jars from Maven Central into the state folder, once per pinned version. */
export function installKafka(config: Config): string {
  const paths = kafkaPaths(config);
  const marker = path.join(paths.libs, `.kafka-${pinnedVersion(kafkaJars)}`);
  if (fs.existsSync(marker)) return paths.libs;
  fetchJars(kafkaJars, paths.libs);
  fs.writeFileSync(marker, '');
  return paths.libs;
}

function brokerHostPort(config: Config) {
  const [host = '127.0.0.1', port = '9092'] = (config.kafka.brokers[0] ?? '').split(':');
  return { host, port: Number(port) };
}

function brokerSettings(config: Config): BrokerSettings {
  const { host, port } = brokerHostPort(config);
  return { host, port, saslPort: config.kafka.saslPort, dataDir: kafkaPaths(config).data, keystorePem: certificateFiles(certificatesDir(config.home)).serverPem };
}

function writeServerProperties(config: Config): void {
  fs.writeFileSync(kafkaPaths(config).properties, propertiesText(brokerProperties(brokerSettings(config))));
}

/** Whether the running broker was started with the properties these settings give. */
export function runningWithCurrentSettings(config: Config): boolean {
  const file = kafkaPaths(config).properties;
  return fs.existsSync(file) && fs.readFileSync(file, 'utf8') === propertiesText(brokerProperties(brokerSettings(config)));
}

/**
 * The SCRAM user can log in on the SASL_SSL listener. Storage formatted before that listener
 * existed has no such user: it is added through the plaintext listener (kafka-configs).
 */
async function ensureScramUser(config: Config, classpath: string, password: string): Promise<void> {
  const paths = kafkaPaths(config);
  const endpoint = { host: brokerHostPort(config).host, port: config.kafka.saslPort, ca: certificateFiles(certificatesDir(config.home)).ca };
  let login = await scramLogin(endpoint, SCRAM_USER, password);
  if (login === 'refused') {
    const configFile = path.join(path.dirname(scramPasswordFile(config.home)), 'kafka-scram.properties');
    const { host, port } = brokerHostPort(config);
    try {
      for (const mechanism of SCRAM_MECHANISMS) {
        fs.writeFileSync(configFile, scramConfigFile(mechanism, password), { mode: 0o600 });
        runKafkaTool(`Adding the SCRAM user ${SCRAM_USER} (${mechanism}) to the Kafka broker`, ['-cp', classpath, `-Dlog4j.configuration=file:${log4jFile}`, ...alterScramArgs(`${host}:${port}`, SCRAM_USER, configFile)], paths.dir, password);
      }
    } finally {
      fs.rmSync(configFile, { force: true });
    }
  }
  const deadline = Date.now() + 30_000;
  while ((login = await scramLogin(endpoint, SCRAM_USER, password)) !== 'ok') {
    if (Date.now() > deadline) {
      throw new Error(`Kafka broker: the SCRAM user ${SCRAM_USER} cannot log in on the SASL_SSL listener 127.0.0.1:${config.kafka.saslPort} (${login}); see ${paths.process.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Whether the brokers answer (with the configured TLS and SASL) and have a controller; a broker
 * that cannot be reached or refuses the credentials throws its one line.
 */
export async function kafkaHealthy(config: Config): Promise<boolean> {
  const { host, port } = brokerHostPort(config);
  const context = { brokers: config.kafka.brokers, security: config.kafka.security, managed: config.kafka.managed };
  if (config.kafka.managed && !(await portOpen(host, port))) {
    throw new ConnectionFailure({ server: 'Kafka', where: context.brokers.join(','), what: 'does not answer', hint: 'start it: bin/vigil services up' });
  }
  const kafka = createKafka(config, 'health', true, { retry: { retries: Math.max(0, config.kafka.brokers.length - 1), initialRetryTime: 100, maxRetryTime: 500 } });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch (error) {
    throw new ConnectionFailure(kafkaProblem(error, context), error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Starts the single-node KRaft broker (formatting its storage the first time), then creates the topics. */
export async function startKafka(config: Config): Promise<'started' | 'running'> {
  const paths = kafkaPaths(config);
  const { host, port } = brokerHostPort(config);
  let outcome: 'started' | 'running' = 'running';
  const libs = installKafka(config);
  const classpath = `${libs}/*`;
  const password = ensureScramPassword(config.home);
  if (runningPid(paths.process) === undefined) {
    for (const [taken, what] of [[port, 'its plaintext listener'], [port + 1, 'its controller'], [config.kafka.saslPort, 'its SASL_SSL listener']] as const) {
      if (await portOpen(host, taken)) {
        throw new Error(`Port ${taken} (the Kafka broker's, ${what}) is taken by another process; stop it, set VIGIL_KAFKA_PORT / VIGIL_KAFKA_SASL_PORT to other ports, or set KAFKA_BROKERS to use that broker.`);
      }
    }
    ensureCertificates(certificatesDir(config.home));
    writeServerProperties(config);
    if (!fs.existsSync(path.join(paths.data, 'meta.properties'))) {
      const format = ['kafka.tools.StorageTool', 'format', `--cluster-id=${randomBytes(16).toString('base64url')}`, '-c', paths.properties, ...formatScramArgs(SCRAM_USER, password)];
      runKafkaTool('Formatting the Kafka storage', ['-cp', classpath, `-Dlog4j.configuration=file:${log4jFile}`, ...format], paths.dir, password);
    }
    const jvm = [
      '-Xms256m', '-Xmx1g', '-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20',
      '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true',
      `-Dkafka.logs.dir=${paths.dir}`, `-Dlog4j.configuration=file:${log4jFile}`,
    ];
    startDetached(paths.process, 'java', [...jvm, '-cp', classpath, 'kafka.Kafka', paths.properties], paths.dir);
    outcome = 'started';
  } else if (!runningWithCurrentSettings(config)) {
    // A broker started by an earlier version (before the SASL_SSL listener) or on other ports.
    throw new Error(`The running Kafka broker was started with other settings than these (${paths.properties}); restart it: bin/vigil services down && bin/vigil services up`);
  }
  await waitUntil(paths.process, 'a ready broker', () => kafkaHealthy(config), 90_000);
  await ensureScramUser(config, classpath, password);
  return outcome;
}

export async function stopKafka(config: Config): Promise<boolean> {
  return stopProcess(kafkaPaths(config).process, 30_000);
}
