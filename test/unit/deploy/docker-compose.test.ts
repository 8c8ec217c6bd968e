import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config';
import { topicSpecs } from '../../../src/kafka/topics';

const root = path.resolve(__dirname, '../../..');
// No Docker runs here: the file is read as Compose reads it (YAML, anchors resolved) and its set-up checked.
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const { services } = compose;
const vigilServices = ['vigil-setup', 'worker', 'ingest', 'sink'];
const configOf = (service: string) => loadConfig(services[service].environment);

describe('docker-compose.yml, as Compose would run it', () => {
  it('runs two workers, two ingests and the sink from the image the Dockerfile builds', () => {
    expect(services.worker.deploy.replicas).toBe(2);
    expect(services.ingest.deploy.replicas).toBe(2);
    expect(services.sink.deploy?.replicas ?? 1).toBe(1);
    for (const name of vigilServices) {
      expect(services[name], name).toMatchObject({ image: 'vigil:local', build: '.' });
      expect(services[name].volumes, `${name} shares no disk`).toBeUndefined();
    }
    expect(services.worker.command).toEqual(['worker']);
    expect(services.ingest.command).toEqual(['ingest']);
    expect(services.sink.command).toEqual(['sink']);
    expect(services['vigil-setup'].command).toEqual(['services', 'up']);
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--import", "tsx", "src\/cli\.ts"\]$/m);
    for (const needed of ['src', 'migrations', 'tsconfig.json', 'package-lock.json']) expect(dockerfile, needed).toMatch(new RegExp(`^COPY .*\\b${needed.replace('.', '\\.')}\\b`, 'm'));
  });

  it('points every Vigil process at the stack’s Temporal (on PostgreSQL), Kafka and PostgreSQL, with the model store shared through PostgreSQL', () => {
    expect(services.temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    const kafkaListeners = String(services.kafka.environment.KAFKA_ADVERTISED_LISTENERS);
    for (const name of vigilServices) {
      const config = configOf(name);
      expect(config.temporal).toMatchObject({ address: 'temporal:7233', managed: false });
      expect(kafkaListeners).toContain(`PLAINTEXT://${config.kafka.brokers[0]}`);
      expect(config.kafka.managed).toBe(false);
      expect(new URL(config.postgres.url).host).toBe(`postgresql:${services.postgresql.ports[0].split(':').at(-1)}`);
      expect(config.modelStore.location).toMatchObject({ kind: 'postgres', sinkDatabase: true });
      expect(config.metrics.host).toBe('0.0.0.0');
    }
  });

  it('starts Vigil once the servers are healthy and set up, and calls a process healthy when its /readyz says ready', () => {
    expect(services['vigil-setup'].depends_on).toEqual({
      postgresql: { condition: 'service_healthy' },
      kafka: { condition: 'service_healthy' },
      'temporal-search-attributes': { condition: 'service_completed_successfully' },
    });
    for (const [name, port] of [['worker', 'workerPort'], ['ingest', 'ingestPort'], ['sink', 'sinkPort']] as const) {
      expect(services[name].depends_on, name).toEqual({ 'vigil-setup': { condition: 'service_completed_successfully' } });
      expect(services[name].restart).toBe('unless-stopped');
      const probe = services[name].healthcheck.test.join(' ');
      expect(probe, name).toContain(`http://127.0.0.1:${configOf(name).metrics[port]}/readyz`);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
    }
  });

  it('creates in kafka-init every topic Vigil needs, as many partitions as Vigil makes them', () => {
    const created = new Map([...String(services['kafka-init'].command[0]).matchAll(/^\s*create (\S+) --partitions (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
    const needed = topicSpecs(loadConfig({}));
    expect(Object.fromEntries(created)).toEqual(Object.fromEntries(needed.map((spec) => [spec.topic, spec.numPartitions])));
  });
});
