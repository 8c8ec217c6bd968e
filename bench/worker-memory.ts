/**
 * The worker's memory and CPU per cached device workflow: one worker in this process, `--devices`
 * device workflows started with `--readings` readings each, all kept in the worker's cache.
 * Prints the figures and writes bench/results/worker-memory[-unshared].json.
 *
 *   npm run bench:memory [-- --devices 500] [-- --readings 40] [-- --unshared]
 *
 * `--unshared` bundles the workflows as before modules were shared (src/workflow-bundle.ts):
 * every cached workflow then evaluates zod, the schemas and the detectors for itself.
 * Needs the local services (`bin/vigil services up`) or the servers the environment names.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { createKafka } from '../src/kafka/client';
import { ensureTopics } from '../src/kafka/topics';
import type { SourcedItem } from '../src/device/item';
import { createWorker } from '../src/worker';
import { deliverSignal, deliveryOf, deviceStart, stateQuery, workflowIdFor } from '../src/workflows/definitions';
import { floorStateQuery } from './floor/definitions';
import { floorWorkflowsPath } from './floor/worker';
import { deleteTopicsWithPrefix, terminateRunningOn } from '../test/support/cleanup';

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const residentBytes = () => process.memoryUsage().rss;
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function main(): Promise<void> {
  const devices = argument('devices', 500);
  const readings = argument('readings', 40);
  const unshared = process.argv.includes('--unshared');
  const floor = process.argv.includes('--floor');
  const run = `bench-memory-${Date.now()}`;
  const config = loadConfig({
    ...process.env,
    VIGIL_TOPIC_PREFIX: `${run}.`,
    VIGIL_TASK_QUEUE: `${run}.devices`,
    VIGIL_WORKER_METRICS_PORT: '0',
    VIGIL_WORKER_SDK_METRICS_PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const kafka = createKafka(config, 'bench-memory');
  await ensureTopics(kafka, config);
  const { worker, close, client } = await createWorker(config, {
    maxCachedWorkflows: devices + 100,
    ...(floor ? { workflowsPath: floorWorkflowsPath } : {}),
    ...(unshared ? { bundlerOptions: {} } : {}),
  });
  const settings = config.device;
  const startDevices = async (from: number, count: number) => {
    for (let i = from; i < from + count; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, from + count - i) }, async (_, k) => {
          const deviceId = `${run}-d${i + k}`;
          const items: SourcedItem[] = Array.from({ length: readings }, (_, n) => ({
            source: { topic: config.kafka.topics.readings, partition: 0, offset: (i + k) * readings + n },
            reading: { deviceId, ts: 1_765_000_000_000 + n * 1000, values: { temp: 20 + ((n * 7) % 5) / 10 } },
          }));
          await client.workflow.signalWithStart('deviceWorkflow', { ...deviceStart(deviceId, settings, config.temporal.taskQueue), signal: deliverSignal, signalArgs: [deliveryOf(items)] });
        }),
      );
    }
    for (let i = from; i < from + count; i += 1) {
      for (;;) {
        const handle = client.workflow.getHandle(workflowIdFor(`${run}-d${i}`));
        const applied = floor ? (await handle.query(floorStateQuery)).applied : (await handle.query(stateQuery)).counters.readingsApplied;
        if (applied >= readings) break;
        await sleep(100);
      }
    }
  };
  const settle = async () => {
    global.gc?.();
    await sleep(3000);
    global.gc?.();
    return { rss: residentBytes(), cached: worker.getStatus().numCachedWorkflows };
  };
  const warmup = 20;
  let result: Record<string, unknown> = {};
  try {
    await worker.runUntil(async () => {
      await startDevices(0, warmup);
      const before = await settle();
      const cpuBefore = cpuMs();
      const startedAt = Date.now();
      await startDevices(warmup, devices);
      const seconds = (Date.now() - startedAt) / 1000;
      const cpu = cpuMs() - cpuBefore;
      const after = await settle();
      const cachedAdded = after.cached - before.cached;
      result = {
        workflow: floor ? 'floorWorkflow' : 'deviceWorkflow', devices, readings, sharedModules: !unshared,
        cachedWorkflows: after.cached,
        residentBytesBefore: before.rss, residentBytesAfter: after.rss,
        workerBytesPerCachedWorkflow: cachedAdded > 0 ? Math.round((after.rss - before.rss) / cachedAdded) : null,
        workerCpuMsPerDevice: cpu / devices,
        secondsToStart: seconds,
      };
    });
  } finally {
    await close();
    await terminateRunningOn(client, config.temporal.taskQueue, 'benchmark finished').catch(() => undefined);
    await deleteTopicsWithPrefix(kafka, `${run}.`).catch(() => undefined);
  }
  const kb = (bytes: unknown) => (typeof bytes === 'number' ? `${Math.round(bytes / 1024)} KB` : 'n/a');
  console.log(`worker memory, ${devices} device workflows of ${readings} readings, modules ${unshared ? 'per workflow' : 'shared'}:`);
  console.log(`  cached workflows ${String(result.cachedWorkflows)}; resident ${kb(result.residentBytesBefore)} → ${kb(result.residentBytesAfter)}`);
  console.log(`  per cached device workflow: ${kb(result.workerBytesPerCachedWorkflow)}; worker CPU per device start ${(result.workerCpuMsPerDevice as number).toFixed(1)} ms`);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `worker-memory${unshared ? '-unshared' : ''}.json`), `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(`bench:memory failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
