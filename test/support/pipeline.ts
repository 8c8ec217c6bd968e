import { type ChildProcess, execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { afterEach } from 'vitest';
import { type Config, loadConfig } from '../../src/config';
import { connectTemporalClient } from '../../src/connections/temporal';
import type { DeviceState } from '../../src/device/state';
import { type Aggregate, aggregateSchema } from '../../src/contracts/aggregates';
import { type AnomalyEvent, anomalyEventSchema } from '../../src/contracts/anomalies';
import { type DeviceEvent, deviceEventSchema } from '../../src/contracts/device-events';
import { createKafka } from '../../src/kafka/client';
import { runConsumer } from '../../src/kafka/consumer';
import { ensureTopics } from '../../src/kafka/topics';
import { deviceState } from '../../src/operator/devices';
import { deleteTopicsWithPrefix, terminateRunningOn } from './cleanup';
import { fetchMetrics, startVigilProcess } from './vigil-process';

const root = path.resolve(__dirname, '../..');
export const artifactsDir = path.join(root, 'test-results');

/**
 * An isolated slice of the shared local services for one test: its own topics, consumer
 * group and task queue, so tests never see each other's data.
 */
export class Pipeline {
  readonly env: NodeJS.ProcessEnv;
  readonly config: Config;
  readonly kafka;
  readonly anomalies: AnomalyEvent[] = [];
  readonly deviceEvents: DeviceEvent[] = [];
  readonly aggregates: Aggregate[] = [];
  readonly deadLetters: Array<{ key: string | undefined; value: Buffer | null; headers: Record<string, string> }> = [];
  /** The processes this pipeline started and that still run, with their command. */
  private readonly children = new Map<ChildProcess, string>();
  private readonly collectors: Array<{ disconnect(): Promise<void> }> = [];
  private client: Client | undefined;

  /** The log level of the processes this pipeline starts (`debug`: every publication is logged, for an audit). */
  processLogLevel: 'info' | 'debug' = 'info';

  /** Unique per test run: device ids, topics, group and task queue all start with it. */
  readonly runName: string;

  /** `env`: settings of this pipeline's processes and clients beyond the shared ones (another server, credentials). */
  constructor(readonly name: string, env: NodeJS.ProcessEnv = {}) {
    this.runName = `${name}-${Date.now().toString(36)}`;
    const prefix = `${this.runName}.`;
    this.env = {
      ...process.env,
      VIGIL_TOPIC_PREFIX: prefix,
      VIGIL_TASK_QUEUE: `${prefix}devices`,
      VIGIL_GROUP_ID: `${prefix}ingest`,
      VIGIL_SINK_GROUP_ID: `${prefix}sink`,
      VIGIL_INGEST_METRICS_PORT: '0',
      VIGIL_WORKER_METRICS_PORT: '0',
      VIGIL_WORKER_SDK_METRICS_PORT: '0',
      VIGIL_SINK_METRICS_PORT: '0',
      VIGIL_ALERTER_METRICS_PORT: '0',
      VIGIL_ALERTS_GROUP_ID: `${prefix}alerts`,
      LOG_LEVEL: 'warn',
      ...env,
    };
    this.config = loadConfig(this.env);
    this.kafka = createKafka(this.config, `test-${name}`);
  }

  async setUp(): Promise<void> {
    await ensureTopics(this.kafka, this.config);
    await this.collect(this.config.kafka.topics.anomalies, (message) => {
      this.anomalies.push(anomalyEventSchema.parse(JSON.parse(message.value?.toString('utf8') ?? 'null')));
    });
    await this.collect(this.config.kafka.topics.deviceEvents, (message) => {
      this.deviceEvents.push(deviceEventSchema.parse(JSON.parse(message.value?.toString('utf8') ?? 'null')));
    });
    await this.collect(this.config.kafka.topics.aggregates, (message) => {
      this.aggregates.push(aggregateSchema.parse(JSON.parse(message.value?.toString('utf8') ?? 'null')));
    });
    await this.collect(this.config.kafka.topics.dlq, (message) => {
      this.deadLetters.push({ key: message.key?.toString('utf8'), value: message.value, headers: headerStrings(message.headers) });
    });
    // With the configured TLS and credentials, as the processes under test connect.
    this.client = await connectTemporalClient(this.config);
  }

  /**
   * Collects a topic's messages once each: a consumer that rebalances re-reads from its last
   * commit, and those re-deliveries (same partition and offset) are the collector's, not the
   * pipeline's. A re-publication by the pipeline has a new offset and is still seen.
   */
  private async collect(topic: string, onMessage: (message: KafkaMessage) => void): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `${topic}.collector`, maxWaitTimeInMs: 100 });
    const seen = new Set<string>();
    // Kept running across a broker restart, as the product's own consumers are.
    await runConsumer(consumer, [{ topics: [topic], fromBeginning: true }], {
      eachMessage: async ({ partition, message }) => {
        const position = `${partition}:${message.offset}`;
        if (seen.has(position)) return;
        seen.add(position);
        onMessage(message);
      },
    }, `collector of ${topic}`);
    this.collectors.push(consumer);
  }

  /** Collects another topic's values (and keys), once per partition and offset, as they arrive. */
  async follow(topic: string, onValue: (value: string, key: string | undefined) => void): Promise<void> {
    await this.collect(topic, (message) => onValue(message.value?.toString('utf8') ?? '', message.key?.toString('utf8')));
  }

  /**
   * Starts `vigil <command>` as its own process and waits for its ready line. `as`: a process of
   * its own among several of one command (another "host"): settings over the pipeline's, and its
   * own log `<name>-<command>-<as.name>.log`.
   */
  async start(command: 'worker' | 'ingest' | 'board' | 'sink' | 'alerter', args: string[] = [], as?: { name: string; env: NodeJS.ProcessEnv }): Promise<ChildProcess> {
    fs.mkdirSync(path.join(artifactsDir, 'reports'), { recursive: true });
    return startVigilProcess(command, {
      env: { ...this.env, ...as?.env },
      args,
      // A process that will not stop can be asked where it is (SIGUSR2 writes a diagnostic report).
      nodeFlags: ['--report-on-signal', `--report-directory=${path.join(artifactsDir, 'reports')}`],
      logFile: this.logFileOf(command, as?.name),
      logLevel: this.processLogLevel,
      onSpawn: (child) => {
        this.children.set(child, command);
        child.once('exit', () => this.children.delete(child));
      },
    });
  }

  /** Where a process's output goes (`as`: one of several, see start); the file is appended to, run after run. */
  logFileOf(command: 'worker' | 'ingest' | 'board' | 'sink' | 'alerter', as?: string): string {
    return path.join(artifactsDir, `${this.name}-${command}${as === undefined ? '' : `-${as}`}.log`);
  }

  /** Runs a `vigil` command with this pipeline's environment; resolves with its exit code and output. */
  vigil(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), ...args], { cwd: root, env: this.env }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  /** Scrapes a process's Prometheus endpoint (its URL is in its log) into `name{labels}` → value; `as`: one of several (see start). */
  async metrics(command: 'worker' | 'ingest' | 'alerter', as?: string): Promise<Map<string, number>> {
    const log = fs.readFileSync(this.logFileOf(command, as), 'utf8');
    const url = [...log.matchAll(/"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/g)].at(-1)?.[1];
    if (!url) throw new Error(`${command} did not say where its metrics are`);
    return fetchMetrics(url);
  }

  /**
   * Sends each message exactly once, also across a broker restart: the producer is idempotent,
   * and keyless messages go to the partition they name, else 0. kafkajs retries a partly failed
   * send whole, and would spread keyless messages anew, which the broker sees as out-of-order sequences.
   */
  async send(messages: Array<{ key: Buffer | string | null; value: Buffer | string | null; partition?: number }>, topic: string): Promise<void> {
    // The test's input must hold each message once (in = out), so its producer is kafkajs's idempotent one.
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const placed = messages.map((message) => (message.key === null ? { ...message, partition: message.partition ?? 0 } : message));
    for (let i = 0; i < placed.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: placed.slice(i, i + 1000) });
    }
    await producer.disconnect();
  }

  async deviceState(deviceId: string): Promise<DeviceState> {
    if (!this.client) throw new Error('setUp first');
    return deviceState(this.client, deviceId);
  }

  topicFor(format: string): string {
    const input = this.config.kafka.inputs.find((i) => i.format === format);
    if (!input) throw new Error(`no input topic for ${format}`);
    return input.topic;
  }

  async statesOf(deviceIds: string[]): Promise<Map<string, DeviceState>> {
    return new Map(await Promise.all(deviceIds.map(async (id) => [id, await this.deviceState(id)] as const)));
  }

  /**
   * Stops the processes, ends this test's device workflows (they would live on) and deletes its
   * topics. A process still running a minute after SIGTERM is asked for a diagnostic report
   * (test-results/reports/), killed, and named in the error: not stopping is a defect.
   */
  async tearDown(): Promise<void> {
    const stuck: string[] = [];
    await Promise.all(
      [...this.children].map(async ([child, command]) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(resolve, 60_000, false))]);
        if (stopped) return;
        stuck.push(`${command} (pid ${child.pid})`);
        child.kill('SIGUSR2');
        await new Promise((resolve) => setTimeout(resolve, 3000));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await Promise.all(this.collectors.map((consumer) => consumer.disconnect()));
    if (this.client) {
      await terminateRunningOn(this.client, this.config.temporal.taskQueue, 'test finished');
      await this.client.connection.close();
    }
    await deleteTopicsWithPrefix(this.kafka, `${this.runName}.`);
    if (stuck.length > 0) throw new Error(`still running a minute after SIGTERM: ${stuck.join(', ')}; see test-results/reports/ and test-results/${this.name}-*.log`);
  }
}

/**
 * A fresh Pipeline per test, torn down after the test whatever happened in it. Returns the
 * function that creates it: `const newPipeline = usePipeline();` … `const p = newPipeline('name');`.
 */
export function usePipeline(): (name: string, env?: NodeJS.ProcessEnv) => Pipeline {
  let current: Pipeline | undefined;
  afterEach(async () => {
    await current?.tearDown();
    current = undefined;
  });
  return (name, env) => (current = new Pipeline(name, env));
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
}

/** Polls until `done` holds, or fails with what `describe` says of the last state. */
export async function waitFor(what: string, done: () => Promise<boolean> | boolean, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}. ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
