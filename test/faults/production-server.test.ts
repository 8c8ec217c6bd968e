import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config';
import { certificateFiles, certificatesDir } from '../../src/services/certificates';
import { SCRAM_USER, scramPasswordFile } from '../../src/services/kafka-sasl';
import { startTemporalServer, stopTemporalServer, temporalServerPaths } from '../../src/services/temporal-server';
import { expectSurvived, faultRun, streamInChunks, survivesWorkerKill } from '../support/faults';
import { artifactsDir, usePipeline, waitFor } from '../support/pipeline';
import { flagged, waitUntilDrained } from '../support/sensor-run';
import { postgresRefusingPasswords, temporalCloudRefusingApiKeys } from '../support/stand-in-servers';

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

let server: Config;
let started: 'started' | 'running' | undefined;

beforeAll(async () => {
  if (!ours) return;
  server = loadConfig({ ...process.env, ...secured });
  // The first build takes minutes; the suite started it at the beginning (global-setup.ts).
  started = await startTemporalServer(server, (line) => process.stderr.write(`[temporal-server] ${line}\n`));
}, 20 * 60_000);

afterAll(async () => {
  if (started === 'started') await stopTemporalServer(server);
});

describe.skipIf(!ours)('the production Temporal server over mutual TLS, Kafka over SASL_SSL (SCRAM): the pipeline end to end and its faults', () => {

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
    await survivesWorkerKill(newPipeline('prod-worker-kill', secured));
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
});

/** The test CA's material (test/fixtures/tls): another CA than the local one, and a client certificate it signed. */
const fixtures = path.resolve(__dirname, '../fixtures/tls');
const wrongSaslPassword = 'not-the-scram-password-4e1d9';
const wrongApiKey = 'not-a-valid-api-key-7c2b0f3a9d';
const wrongPostgresPassword = 'not-the-db-password-81af';

/** Runs `vigil <command>` as an operator would, with `env` over the secured settings; its output also goes to a log file for the secrets test below. */
/**
 * How long a command may run before the test stops it: a client that retries a refusal instead of
 * saying it would run until then. Not a speed check (the machine's load sets the time).
 */
const GIVE_UP_AFTER_MS = 60_000;

async function vigilWith(name: string, command: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string; killed: boolean }> {
  const root = path.resolve(__dirname, '../..');
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...secured,
    LOG_LEVEL: 'warn',
    VIGIL_TASK_QUEUE: `prod-credentials-${name}`,
    VIGIL_WORKER_METRICS_PORT: '0',
    VIGIL_WORKER_SDK_METRICS_PORT: '0',
    VIGIL_SINK_METRICS_PORT: '0',
    VIGIL_INGEST_METRICS_PORT: '0',
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  const run = await new Promise<{ code: number; stdout: string; stderr: string; killed: boolean }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), command], { cwd: root, env: childEnv, timeout: GIVE_UP_AFTER_MS }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, killed: error?.killed === true }),
    );
  });
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.writeFileSync(path.join(artifactsDir, `prod-credentials-${name}.log`), `$ vigil ${command}\n${run.stdout}${run.stderr}`);
  return run;
}

/** One line naming the server, then the setting to check; no stack; the process exits by itself, without retrying until it is stopped. */
function expectOneLine(run: { code: number; stdout: string; stderr: string; killed: boolean }, line: RegExp, secrets: string[] = []): void {
  expect(run.killed, `exited by itself (it was still running after ${GIVE_UP_AFTER_MS / 1000} s)`).toBe(false);
  expect(run.stderr, 'exactly one line on stderr').toMatch(/^vigil: [^\n]+\n$/);
  expect(run.stderr).toMatch(line);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  for (const secret of secrets) expect(run.stderr).not.toContain(secret);
  expect([run.code, run.stdout]).toEqual([1, '']);
}

describe.skipIf(!ours)('wrong credentials against the production Temporal server (TLS), Kafka (SASL_SSL) and PostgreSQL: one line naming the server and the setting, then exit', () => {
  it('a worker given another CA than the one that signed the production Temporal server\'s TLS certificate', async () => {
    const run = await vigilWith('temporal-wrong-ca', 'worker', { TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(fixtures, 'other-ca.pem') });
    expectOneLine(run, new RegExp(`^vigil: Temporal at 127\\.0\\.0\\.1:${serverPort}: .*TEMPORAL_TLS_SERVER_CA_CERT_PATH`));
  });

  it('a worker with a client certificate the production Temporal server does not trust (mTLS)', async () => {
    const run = await vigilWith('temporal-wrong-client-cert', 'worker', {
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(fixtures, 'other-client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(fixtures, 'other-client.key'),
    });
    expectOneLine(run, new RegExp(`^vigil: Temporal at 127\\.0\\.0\\.1:${serverPort}: .*TEMPORAL_TLS_CLIENT_CERT_PATH`));
  });

  it('a worker with a wrong API key, refused as Temporal Cloud refuses it (a stand-in frontend over TLS: the local server has no authorizer)', async () => {
    const cloud = await temporalCloudRefusingApiKeys();
    try {
      const run = await vigilWith('temporal-wrong-api-key', 'worker', {
        TEMPORAL_ADDRESS: `127.0.0.1:${cloud.port}`,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(fixtures, 'ca.pem'),
        TEMPORAL_TLS_CLIENT_CERT_PATH: undefined,
        TEMPORAL_TLS_CLIENT_KEY_PATH: undefined,
        TEMPORAL_API_KEY: wrongApiKey,
      });
      expectOneLine(run, new RegExp(`^vigil: Temporal at 127\\.0\\.0\\.1:${cloud.port}: the server did not accept the API key.*TEMPORAL_API_KEY`), [wrongApiKey]);
      // The key went out as Temporal Cloud expects it, with the namespace beside it.
      expect(cloud.calls[0]).toMatchObject({ authorization: `Bearer ${wrongApiKey}`, namespace: 'default' });
    } finally {
      await cloud.close();
    }
  });

  it('a worker with a wrong SASL (SCRAM-SHA-512) password on Kafka\'s SASL_SSL listener', async () => {
    const run = await vigilWith('kafka-wrong-sasl-password', 'worker', { KAFKA_SASL_PASSWORD_FILE: undefined, KAFKA_SASL_PASSWORD: wrongSaslPassword });
    expectOneLine(run, new RegExp(`^vigil: Kafka at 127\\.0\\.0\\.1:${suite.kafka.saslPort}: .*authentication failed.*KAFKA_SASL_PASSWORD`), [wrongSaslPassword]);
  });

  it('a worker given another CA than the one that signed Kafka\'s SASL_SSL listener certificate', async () => {
    const run = await vigilWith('kafka-wrong-ca', 'worker', { KAFKA_SSL_CA: path.join(fixtures, 'other-ca.pem') });
    expectOneLine(run, new RegExp(`^vigil: Kafka at 127\\.0\\.0\\.1:${suite.kafka.saslPort}: .*KAFKA_SSL_CA`));
  });

  it('the sink with a wrong PostgreSQL password (a stand-in server that checks it: the local cluster trusts loopback)', async () => {
    const postgres = await postgresRefusingPasswords();
    try {
      const run = await vigilWith('postgres-wrong-password', 'sink', { DATABASE_URL: `postgres://vigil:${wrongPostgresPassword}@127.0.0.1:${postgres.port}/vigil` });
      expectOneLine(run, new RegExp(`^vigil: PostgreSQL at 127\\.0\\.0\\.1:${postgres.port}/vigil: password authentication failed for user "vigil".*DATABASE_URL`), [wrongPostgresPassword]);
    } finally {
      await postgres.close();
    }
  });

  it('the sink asking for TLS (sslmode=require) from a PostgreSQL server without it', async () => {
    const url = new URL(suite.postgres.url);
    url.searchParams.set('sslmode', 'require');
    const run = await vigilWith('postgres-sslmode', 'sink', { DATABASE_URL: url.toString() });
    expectOneLine(run, new RegExp(`^vigil: PostgreSQL at 127\\.0\\.0\\.1:${url.port}/vigil: the server does not offer TLS; check sslmode in DATABASE_URL`));
  });
});

describe.skipIf(!ours)('no secret in any log the tests produce (production Temporal server over TLS, Kafka over SASL_SSL)', () => {
  it('writes no secret into any log: the SCRAM password, the wrong passwords and API key tried above and the private keys appear in no file of test-results/ nor in the servers\' logs', () => {
    const password = fs.readFileSync(scramPasswordFile(suite.home), 'utf8').trim();
    // Each base64 line of a key, without its PEM armour: a log would carry at least one whole line
    // of a key that leaked, whether as PEM text or JSON-escaped ("\n" between the lines).
    const keyLines = (what: string, file: string) =>
      fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----')).map((line, i) => [`${what}, line ${i + 2}`, line] as const);
    const secrets = Object.fromEntries([
      ['SCRAM password', password],
      ['wrong SCRAM password', wrongSaslPassword],
      ['wrong API key', wrongApiKey],
      ['wrong PostgreSQL password', wrongPostgresPassword],
      ...keyLines('client key', files.clientKey),
      ...keyLines('server key', files.serverKey),
      ...keyLines('CA key', files.caKey),
    ]);
    expect(Object.keys(secrets).length, 'the passwords and every line of the three keys').toBeGreaterThanOrEqual(10);
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
