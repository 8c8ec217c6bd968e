/**
 * HTM affinity benchmark: how often a device's HTM scoring finds its live model in the worker
 * that runs it (a cache hit) rather than rebuilding it from the shared model store, with 1 and
 * with 3 workers (three "hosts": a cache folder each, one shared store), with affinity (each
 * worker's own task queue, the default) and, for comparison, without it (VIGIL_HTM_AFFINITY=false:
 * every scoring on the shared queue, wherever a worker polls first).
 *
 * Each run: N devices produce canonical readings at R readings/s (HTM on every field), a warm-up,
 * then a measured window in which the workers' `vigil_htm_scoring_calls_total{model}` counters
 * are read before and after: hit rate = live / (live + restored). With --kill, the worker holding
 * most models is then killed with SIGKILL and the rate is measured again while its devices move.
 *
 *   npm run bench:affinity [-- --devices 100 --rate 1000 --warmup 30 --seconds 60 --store postgres --kill]
 *
 * Writes bench/results/affinity.json and affinity.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../src/config';
import { connectTemporalClient } from '../src/connections/temporal';
import { createKafka } from '../src/kafka/client';
import { ensureTopics } from '../src/kafka/topics';
import { servicesDown, servicesStatus, servicesUp } from '../src/services';
import { deleteTopicsWithPrefix, terminateRunningOn } from '../test/support/cleanup';
import { ensureTestBucket, sharedStoreEnv } from '../test/support/model-stores';
import { fetchMetrics, freePort, sumSeries } from '../test/support/vigil-process';
import { spawnScript, startVigil, stopVigil, type VigilProcess } from './e2e/children';
import type { ProducerPlan } from './e2e/producer';

const resultsDir = path.join(__dirname, 'results');
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const program = new Command('bench:affinity')
  .addOption(new Option('--devices <n>', 'devices producing').default(100).argParser(Number))
  .addOption(new Option('--rate <n>', 'readings per second, all devices together').default(1000).argParser(Number))
  .addOption(new Option('--warmup <s>', 'seconds before measuring').default(30).argParser(Number))
  .addOption(new Option('--seconds <s>', 'measured seconds').default(60).argParser(Number))
  .addOption(new Option('--store <kind>', 'the shared model store').choices(['postgres', 's3']).default('postgres'))
  .addOption(new Option('--runs <list>', 'runs, as workers:affinity (on|off)').default('1:on,3:on,3:off'))
  .option('--kill', 'after the measured window, kill the worker holding most models and measure again')
  .addOption(new Option('--kill-seconds <s>', 'seconds measured after the kill').default(40).argParser(Number))
  .option('--out <name>', 'results file name, without extension', 'affinity');

interface Options {
  devices: number;
  rate: number;
  warmup: number;
  seconds: number;
  store: 'postgres' | 's3';
  runs: string;
  kill?: boolean;
  killSeconds: number;
  out: string;
}

type Counts = { live: number; restored: number; fresh: number };

interface Window {
  seconds: number;
  calls: Counts;
  /** live / (live + restored); null when nothing could have hit. */
  hitRate: number | null;
  /** Checkpoint reads from the shared store. */
  sharedLoads: number;
}

interface RunResult {
  workers: number;
  affinity: boolean;
  steady: Window;
  /** Models each worker held at the end of the steady window. */
  modelsPerWorker: number[];
  afterKill?: Window;
}

interface Worker {
  name: string;
  process: VigilProcess;
  metricsUrl: string;
}

async function countsOf(workers: Worker[]): Promise<{ calls: Counts; sharedLoads: number; models: number[] }> {
  const calls: Counts = { live: 0, restored: 0, fresh: 0 };
  let sharedLoads = 0;
  const models: number[] = [];
  for (const worker of workers) {
    if (worker.process.exit) {
      models.push(0);
      continue;
    }
    const metrics = await fetchMetrics(worker.metricsUrl);
    for (const model of ['live', 'restored', 'fresh'] as const) calls[model] += sumSeries(metrics, (s) => s === `vigil_htm_scoring_calls_total{model="${model}"}`);
    sharedLoads += sumSeries(metrics, (s) => s === 'vigil_htm_checkpoint_loads_total{from="shared"}');
    models.push(sumSeries(metrics, (s) => s === 'vigil_htm_models_live'));
  }
  return { calls, sharedLoads, models };
}

function windowOf(before: Awaited<ReturnType<typeof countsOf>>, after: Awaited<ReturnType<typeof countsOf>>, seconds: number): Window {
  const calls = { live: after.calls.live - before.calls.live, restored: after.calls.restored - before.calls.restored, fresh: after.calls.fresh - before.calls.fresh };
  const hitsPossible = calls.live + calls.restored;
  return { seconds, calls, hitRate: hitsPossible === 0 ? null : calls.live / hitsPossible, sharedLoads: after.sharedLoads - before.sharedLoads };
}

async function run(options: Options, workerCount: number, affinity: boolean): Promise<RunResult> {
  const runName = `aff-${workerCount}w-${affinity ? 'on' : 'off'}-${Date.now().toString(36)}`;
  const prefix = `${runName}.`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...sharedStoreEnv(options.store, runName),
    VIGIL_TOPIC_PREFIX: prefix,
    VIGIL_TASK_QUEUE: `${prefix}devices`,
    VIGIL_GROUP_ID: `${prefix}ingest`,
    VIGIL_INPUTS: `${prefix}readings=reading`,
    VIGIL_DETECTORS: '*=htm',
    VIGIL_HTM_AFFINITY: String(affinity),
    VIGIL_INGEST_METRICS_PORT: String(await freePort()),
    VIGIL_WORKER_SDK_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const kafka = createKafka(config, 'bench-affinity');
  await ensureTopics(kafka, config);
  const logDir = path.join(resultsDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const client = await connectTemporalClient(config);
  const workers: Worker[] = [];
  const others: VigilProcess[] = [];
  let producer: ReturnType<typeof spawnScript> | undefined;
  try {
    for (let i = 0; i < workerCount; i++) {
      const name = `w${i + 1}`;
      const port = await freePort();
      const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), `vigil-bench-${name}-`));
      const workerEnv = { ...env, VIGIL_WORKER_METRICS_PORT: String(port), VIGIL_MODEL_CACHE_DIR: cacheDir, VIGIL_WORKER_NAME: `${runName}-${name}` };
      const process = await startVigil('worker', workerEnv, path.join(logDir, `${runName}-worker-${name}.log`));
      workers.push({ name, process, metricsUrl: `http://127.0.0.1:${port}/metrics` });
    }
    others.push(await startVigil('ingest', env, path.join(logDir, `${runName}-ingest.log`)));
    const total = options.warmup + options.seconds + (options.kill ? options.killSeconds : 0) + 5;
    const plan: ProducerPlan = { topic: config.kafka.topics.readings, devicePrefix: `${runName}-d`, devices: options.devices, rate: options.rate, seconds: total, spikesPerSecond: 2, quietReadings: 50, seed: 25 };
    let sent = 0;
    producer = spawnScript('producer.ts', plan, env, (line) => (sent = (JSON.parse(line) as { sent: number }).sent));
    say(`${workerCount} worker(s), affinity ${affinity ? 'on' : 'off'}: warming up ${options.warmup} s`);
    await sleep(options.warmup * 1000);
    const before = await countsOf(workers);
    await sleep(options.seconds * 1000);
    const after = await countsOf(workers);
    const steady = windowOf(before, after, options.seconds);
    if (sent === 0 || steady.calls.live + steady.calls.restored === 0) throw new Error(`nothing was scored in the measured window (${sent} readings sent): see ${logDir}`);
    say(`  steady: ${JSON.stringify(steady.calls)}, hit rate ${steady.hitRate === null ? '–' : `${(steady.hitRate * 100).toFixed(2)} %`}, models per worker ${after.models.join('/')}, ${sent} readings sent`);
    const result: RunResult = { workers: workerCount, affinity, steady, modelsPerWorker: after.models };
    if (options.kill && workerCount > 1) {
      const busiest = after.models.indexOf(Math.max(...after.models));
      say(`  killing ${workers[busiest]!.name} (${after.models[busiest]} models) with SIGKILL`);
      const victim = workers[busiest]!.process;
      const gone = new Promise((resolve) => (victim.exit ? resolve(undefined) : victim.child.once('exit', resolve)));
      victim.child.kill('SIGKILL');
      await gone;
      const killedAt = await countsOf(workers);
      await sleep(options.killSeconds * 1000);
      result.afterKill = windowOf(killedAt, await countsOf(workers), options.killSeconds);
      say(`  after the kill: ${JSON.stringify(result.afterKill.calls)}, hit rate ${result.afterKill.hitRate === null ? '–' : `${(result.afterKill.hitRate * 100).toFixed(2)} %`}`);
    }
    return result;
  } finally {
    if (producer && producer.exitCode === null && producer.signalCode === null) {
      const stopped = new Promise((resolve) => producer!.once('exit', resolve));
      producer.kill('SIGTERM');
      await stopped;
    }
    await Promise.all([...workers.map((w) => stopVigil(w.process)), ...others.map(stopVigil)]);
    await terminateRunningOn(client, config.temporal.taskQueue, 'benchmark finished');
    await client.connection.close();
    await deleteTopicsWithPrefix(kafka, prefix);
  }
}

function markdown(options: Options, results: RunResult[], machine: string): string {
  const pct = (rate: number | null) => (rate === null ? '–' : `${(rate * 100).toFixed(2)} %`);
  const lines = [
    '# HTM affinity: cache hit rate',
    '',
    `\`npm run bench:affinity -- --devices ${options.devices} --rate ${options.rate} --warmup ${options.warmup} --seconds ${options.seconds} --store ${options.store}${options.kill ? ` --kill --kill-seconds ${options.killSeconds}` : ''}\` on ${machine}.`,
    `HTM on every field (one per device), shared ${options.store} store, a cache folder per worker. A hit: the scoring worker held the live model; a miss: it restored it from a checkpoint and the readings since.`,
    '',
    '| workers | affinity | scorings (live / restored / fresh) | hit rate | models per worker | after killing the busiest worker |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => {
      const after = r.afterKill ? `${pct(r.afterKill.hitRate)} over ${r.afterKill.seconds} s (${r.afterKill.calls.live} / ${r.afterKill.calls.restored} / ${r.afterKill.calls.fresh}, ${r.afterKill.sharedLoads} checkpoints from the store)` : '–';
      return `| ${r.workers} | ${r.affinity ? 'on' : 'off'} | ${r.steady.calls.live} / ${r.steady.calls.restored} / ${r.steady.calls.fresh} | ${pct(r.steady.hitRate)} | ${r.modelsPerWorker.join(' / ')} | ${after} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<Options>();
  const runs = options.runs.split(',').map((entry) => {
    const [workers, affinity] = entry.split(':');
    return { workers: Number(workers), affinity: affinity !== 'off' };
  });
  const config = loadConfig({ ...process.env, VIGIL_S3_SERVER: options.store === 's3' ? 'local' : process.env.VIGIL_S3_SERVER });
  const wereRunning = (await servicesStatus(config)).every((s) => s.healthy);
  await servicesUp(config, say);
  if (options.store === 's3') await ensureTestBucket();
  const results: RunResult[] = [];
  try {
    for (const { workers, affinity } of runs) results.push(await run(options, workers, affinity));
  } finally {
    if (!wereRunning) await servicesDown(config, say);
  }
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`;
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, `${options.out}.json`), `${JSON.stringify({ options, machine, results }, null, 2)}\n`);
  const report = markdown(options, results, machine);
  fs.writeFileSync(path.join(resultsDir, `${options.out}.md`), report);
  process.stdout.write(report);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:affinity failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
