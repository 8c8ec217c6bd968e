import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config';
import { certificateFiles, certificatesDir, ensureCertificates } from '../../src/services/certificates';
import { SCRAM_USER, scramPasswordFile } from '../../src/services/kafka-sasl';
import { startTemporalServer, stopTemporalServer, temporalServerPaths } from '../../src/services/temporal-server';
import { expectSurvived, faultRun, streamInChunks } from '../support/faults';
import { artifactsDir, usePipeline, waitFor } from '../support/pipeline';
import { flagged, waitUntilDrained } from '../support/sensor-run';

/**
 * The pipeline against what a deployment runs: the production Temporal server (built from its Go
 * module, on the local PostgreSQL, 8 history shards) over mutual TLS, and Kafka over SASL_SSL
 * with SCRAM, both with the certificates the project makes. The server is the suite's own, on
 * ports of its own (the dev server's + 200) and its own database, started here and stopped after;
 * Kafka is the suite's broker, reached on its SASL_SSL listener only.
 */
const suite = loadConfig();
const serverPort = Number(process.env.VIGIL_TEST_SERVER_PORT ?? Number(suite.temporal.address.split(':')[1]) + 200);
const files = certificateFiles(certificatesDir(suite.home));

/** The settings every process and client of these tests gets: Temporal's and Kafka's own client variables. */
const secured: NodeJS.ProcessEnv = {
  VIGIL_TEMPORAL_BACKEND: 'server',
  VIGIL_TEMPORAL_PORT: String(serverPort),
  VIGIL_TEMPORAL_DATABASE: 'temporal_test',
  TEMPORAL_METRICS_URL: `http://127.0.0.1:${serverPort + 2}/metrics`,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.ca,
  TEMPORAL_TLS_CLIENT_CERT_PATH: files.clientCert,
  TEMPORAL_TLS_CLIENT_KEY_PATH: files.clientKey,
  TEMPORAL_TLS_SERVER_NAME: 'localhost',
  KAFKA_BROKERS: `127.0.0.1:${suite.kafka.saslPort}`,
  KAFKA_SSL_CA: files.ca,
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: SCRAM_USER,
  KAFKA_SASL_PASSWORD_FILE: scramPasswordFile(suite.home),
};

// The broker and PostgreSQL must be the ones `services up` runs: their SASL_SSL listener and the
// server's database are ours to use only then.
const ours = suite.kafka.managed && suite.postgres.managed;
const newPipeline = usePipeline();

describe.skipIf(!ours)('the production Temporal server over mutual TLS, Kafka over SASL_SSL (SCRAM): the pipeline end to end and its faults', () => {
  let server: Config;
  let started: 'started' | 'running' | undefined;

  beforeAll(async () => {
    server = loadConfig({ ...process.env, ...secured });
    // The first build takes minutes; the suite started it at the beginning (global-setup.ts).
    started = await startTemporalServer(server, (line) => process.stderr.write(`[temporal-server] ${line}\n`));
  }, 20 * 60_000);

  afterAll(async () => {
    if (started === 'started') await stopTemporalServer(server);
  });

  it('applies the 20-device run exactly on the production Temporal server over TLS and Kafka over SASL: the injected spikes and nothing else, every reading once, in order', async () => {
    const p = newPipeline('prod-exact', secured);
    const { sample, bad, messages, topic, processes } = await faultRun(p);
    await processes.start('worker');
    await processes.start('ingest');
    await streamInChunks(p, topic, messages, 10, () => undefined);
    const states = await waitUntilDrained(p, sample, bad.length, { stillHealthy: () => processes.expectNoCrash() });
    expectSurvived(p, processes, { sample, bad, sent: messages.length, states });
  });

  it('gives the same anomalies and models when the worker is killed with SIGKILL mid-stream (production Temporal server, TLS, SASL)', async () => {
    const p = newPipeline('prod-worker-kill', secured);
    const { sample, bad, messages, topic, processes } = await faultRun(p);
    const worker = await processes.start('worker');
    await processes.start('ingest');
    await streamInChunks(p, topic, messages, 10, async (chunk) => {
      if (chunk !== 3) return;
      await waitFor('some anomalies before the kill', () => flagged(p.anomalies).length >= 3, 120_000);
      expect(flagged(p.anomalies).length, 'the kill comes mid-stream').toBeLessThan(sample.spikes.length);
      processes.kill(worker);
    });
    await processes.start('worker');
    const states = await waitUntilDrained(p, sample, bad.length, { stillHealthy: () => processes.expectNoCrash() });
    expectSurvived(p, processes, { sample, bad, sent: messages.length, states });
  });

  it('recovers on its own when the production Temporal server restarts mid-stream, readings still arriving (TLS, SASL)', async () => {
    const p = newPipeline('prod-server-restart', secured);
    const { sample, bad, messages, topic, processes } = await faultRun(p);
    await processes.start('worker');
    await processes.start('ingest');
    let restarting: Promise<unknown> | undefined;
    try {
      await streamInChunks(p, topic, messages, 10, async (chunk) => {
        if (chunk !== 3) return;
        await waitFor('some anomalies before the restart', () => flagged(p.anomalies).length >= 3, 120_000);
        expect(flagged(p.anomalies).length, 'the restart comes mid-stream').toBeLessThan(sample.spikes.length);
        restarting = (async () => {
          try {
            expect(await stopTemporalServer(server), 'the server was running before the restart').toBe(true);
          } finally {
            expect(await startTemporalServer(server)).toBe('started');
          }
        })();
      });
      await restarting;
    } finally {
      await restarting?.catch(() => undefined);
      await startTemporalServer(server); // healthy for the tests after this one, whatever happened
    }
    const states = await waitUntilDrained(p, sample, bad.length, { stillHealthy: () => processes.expectNoCrash() });
    expectSurvived(p, processes, { sample, bad, sent: messages.length, states });
  });

  it('writes no secret into any log: the SCRAM password and the private keys appear in no file of test-results/ nor in the servers\' logs', () => {
    const password = fs.readFileSync(scramPasswordFile(suite.home), 'utf8').trim();
    // A key's base64 body, without its PEM armour: what a log would carry if one leaked.
    const keyBody = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter((line) => line && !line.startsWith('-----')).join('');
    const secrets = { 'SCRAM password': password, 'client key': keyBody(files.clientKey), 'server key': keyBody(files.serverKey), 'CA key': keyBody(files.caKey) };
    const logs = [
      ...fs.readdirSync(artifactsDir).filter((name) => name.endsWith('.log')).map((name) => path.join(artifactsDir, name)),
      path.join(suite.home, 'kafka', 'kafka.log'),
      temporalServerPaths(server).process.logFile,
      temporalServerPaths(server).schemaLog,
    ].filter((file) => fs.existsSync(file));
    expect(logs.length, 'the logs of the runs above').toBeGreaterThan(3);
    const leaks = logs.flatMap((file) => {
      const text = fs.readFileSync(file, 'utf8');
      return Object.entries(secrets).filter(([, secret]) => text.includes(secret)).map(([what]) => `${what} in ${file}`);
    });
    expect(leaks).toEqual([]);
  });
});
