import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import { loadConfig } from '../../src/config';
import { ensureTopics } from '../../src/kafka/topics';
import { readPid } from '../../src/services/processes';
import { temporalBackend } from '../../src/services/temporal-backend';
import { workflowIdFor } from '../../src/workflows/definitions';
import { type FloorState, floorStateQuery } from '../floor/definitions';
import { deleteTopicsWithPrefix, terminateRunningOn } from '../../test/support/cleanup';
import { fetchMetrics, freePort } from '../../test/support/vigil-process';
import { spawnScript, startVigil, stopVigil, type VigilProcess } from './children';
import { AppliedCounter, startFleet } from './fleet';
import { CpuMeter } from './process-cpu';
import { deviceIdOf, type ProducerPlan } from './producer';
import { percentile, scrape } from './scrape';
import { actionsPerDeviceHour, historyBytesOn, serverTasksPerSignal } from './temporal-costs';

/** What the same fleet costs with a device workflow that only records the offsets it applied. */
export interface FloorResult {
  readingsPerSecond: number;
  /** Append → applied by the workflow (each reading, at its workflow task's time). */
  latencyMs: { readings: number; p50: number | null; p99: number | null };
  signalsPerSecond: number;
  meanBatchSize: number | null;
  workflowTasksPerSignal: number | null;
  activitiesPerSignal: number | null;
  actionsPerDeviceHour: { total: number; byType: Record<string, number> } | null;
  historyBytesPerReading: number | null;
  cpuCores: Record<string, number>;
  applied: number;
  produced: number;
}

export interface FloorRun {
  baseEnv: NodeJS.ProcessEnv;
  prefix: string;
  options: { devices: number; rate: number; warmup: number; seconds: number; spikesPerSecond: number };
  kafka: Kafka;
  client: Client;
  logDir: string;
  say: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DRAIN_LIMIT_MS = 300_000;

/**
 * The floor of the benchmark: the same fleet, rate, producer, ingest and Temporal server, with
 * each device running the floor workflow (bench/floor/) instead of Vigil's, on topics and a task
 * queue of its own with a worker of its own.
 */
export async function runFloor(run: FloorRun): Promise<FloorResult> {
  const { options, kafka, client, say } = run;
  const prefix = `${run.prefix}floor.`;
  const [ingestPort, workerPort, sdkPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...run.baseEnv,
    VIGIL_TOPIC_PREFIX: prefix,
    VIGIL_TASK_QUEUE: `${prefix}devices`,
    VIGIL_GROUP_ID: `${prefix}ingest`,
    VIGIL_INPUTS: `${prefix}readings=reading`,
    VIGIL_INGEST_METRICS_PORT: String(ingestPort),
    VIGIL_WORKER_METRICS_PORT: String(workerPort),
    VIGIL_WORKER_SDK_METRICS_PORT: String(sdkPort),
  };
  const config = loadConfig(env);
  await ensureTopics(kafka, config);
  const children: VigilProcess[] = [];
  let cores: Record<string, number> | undefined;
  try {
    const worker = await startVigil('worker', env, path.join(run.logDir, `${prefix}worker.log`), [], path.join(__dirname, '../floor/worker.ts'));
    const ingest = await startVigil('ingest', env, path.join(run.logDir, `${prefix}ingest.log`));
    children.push(worker, ingest);
    const plan: ProducerPlan = {
      topic: config.kafka.topics.readings, devicePrefix: `${prefix}d`, devices: options.devices, rate: options.rate,
      seconds: options.warmup + options.seconds, spikesPerSecond: options.spikesPerSecond, quietReadings: 40, seed: 2026,
    };
    const applied = new AppliedCounter(sdkPort);
    say(`floor: cold start of ${options.devices} floor workflows`);
    const coldStart = await startFleet(kafka, plan, applied);
    const produced = { sent: 0, done: false };
    const producer = spawnScript('producer.ts', plan, env, (line) => Object.assign(produced, JSON.parse(line)));
    const producerExit = new Promise<number | null>((resolve) => producer.once('exit', resolve));
    const start = Date.now();
    const pids = { producer: producer.pid, ingest: ingest.pid, worker: worker.pid, temporal: readPid(temporalBackend(config).process) };
    const cpu = new CpuMeter(new Map(Object.entries(pids).filter((entry): entry is [string, number] => entry[1] !== undefined)));
    const window: Array<{ ingest: Map<string, number>; server: Map<string, number> | undefined; applied: number; at: number }> = [];
    for (;;) {
      await sleep(1000 - ((Date.now() - start) % 1000));
      const t = (Date.now() - start) / 1000;
      if (window.length === 0 && t >= options.warmup) cpu.start();
      if ((window.length === 0 && t >= options.warmup) || (window.length === 1 && t >= options.warmup + options.seconds)) {
        window.push({ ingest: await scrape(ingestPort), server: await fetchMetrics(config.temporal.metricsUrl).catch(() => undefined), applied: await applied.read(), at: Date.now() });
      }
      if (window.length === 2 && !cores) cores = cpu.stop();
      if (produced.done && (await applied.read()) >= produced.sent + coldStart.readings) break;
      if (Date.now() > start + plan.seconds * 1000 + DRAIN_LIMIT_MS) {
        say('floor: not drained within the limit');
        break;
      }
    }
    await producerExit;
    const [from, to] = window as [(typeof window)[0], (typeof window)[0]];
    const seconds = (to.at - from.at) / 1000;
    const delta = (name: string) => (to.ingest.get(name) ?? 0) - (from.ingest.get(name) ?? 0);
    const signals = delta('vigil_signal_seconds_count');
    const states = await floorStates(client, plan);
    const appliedTotal = states.reduce((sum, s) => sum + s.applied, 0);
    const measured = states
      .flatMap((s) => s.latencies)
      .filter(([ts]) => ts >= start + options.warmup * 1000 && ts < start + (options.warmup + options.seconds) * 1000)
      .map(([ts, appliedAt]) => appliedAt - ts)
      .sort((a, b) => a - b);
    const history = await historyBytesOn(client, config.temporal.taskQueue);
    for (const child of children) await stopVigil(child);
    return {
      readingsPerSecond: (to.applied - from.applied) / seconds,
      latencyMs: { readings: measured.length, p50: percentile(measured, 50), p99: percentile(measured, 99) },
      signalsPerSecond: signals / seconds,
      meanBatchSize: signals > 0 ? delta('vigil_signal_batch_size_sum') / signals : null,
      ...serverTasksPerSignal(from.server, to.server, signals),
      actionsPerDeviceHour: actionsPerDeviceHour(from.server, to.server, seconds, options.devices),
      historyBytesPerReading: appliedTotal > 0 ? history.bytes / appliedTotal : null,
      cpuCores: cores ?? {},
      applied: appliedTotal,
      produced: produced.sent + coldStart.readings,
    };
  } finally {
    for (const child of children) child.child.kill('SIGKILL');
    await terminateRunningOn(client, config.temporal.taskQueue, 'benchmark floor finished').catch(() => undefined);
    await deleteTopicsWithPrefix(kafka, prefix).catch(() => undefined);
  }
}

async function floorStates(client: Client, plan: ProducerPlan): Promise<FloorState[]> {
  const states: FloorState[] = [];
  const ids = Array.from({ length: plan.devices }, (_, i) => deviceIdOf(plan.devicePrefix, i));
  for (let i = 0; i < ids.length; i += 50) {
    const batch = await Promise.all(ids.slice(i, i + 50).map((id) => client.workflow.getHandle(workflowIdFor(id)).query(floorStateQuery).catch(() => undefined)));
    states.push(...batch.filter((s): s is FloorState => s !== undefined));
  }
  return states;
}
