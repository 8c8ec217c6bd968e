import type { Client } from '@temporalio/client';
import { DefaultLogger, type LogLevel, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { ownScoringQueue } from './activities/scoring-queue';
import { prepareModelStore } from './connections/model-store';
import { modelStoreSpecOf } from './model-store';
import type { Config } from './config';
import { checkConnections } from './connections/check';
import { connectTemporalWorker } from './connections/temporal';
import { HtmScorer } from './htm-runtime';
import { createKafka, createProducer } from './kafka/client';
import { portToBind } from './listen-port';
import { logger } from './logger';
import { serveMetrics, workerMetrics } from './metrics';
import { connectTemporalClient } from './connections/temporal';
import { runningDevicesQuery } from './workflow-client/devices';
import { sharedWorkflowModules, workflowsPath } from './workflow-bundle';

const log = logger.child({ component: 'worker' });

let runtimeInstalled = false;

/** How long a stopping worker waits for the tasks in hand before it leaves them to another worker. */
const SHUTDOWN_FORCE_TIME = '20 seconds';

/**
 * The SDK's own logs at our level, and its metrics (once per process: the runtime is a
 * singleton). Its native runtime binds the metrics port itself, so a taken one is found first.
 */
async function installRuntime(config: Config): Promise<void> {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<NonNullable<Config['logLevel']>, LogLevel> = {
    trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR',
  };
  const sdkPort = await portToBind(config.metrics.sdkPort, '127.0.0.1', 'VIGIL_WORKER_SDK_METRICS_PORT');
  if (sdkPort > 0) log.info({ sdkMetrics: `http://127.0.0.1:${sdkPort}/metrics` }, 'SDK metrics served');
  Runtime.install({
    logger: new DefaultLogger(levels[config.logLevel ?? 'info']),
    ...(sdkPort > 0 ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkPort}`, useSecondsForDurations: true } } } } : {}),
  });
}

/**
 * A worker for the device workflows and their activities, with one Kafka producer for the process.
 * `overrides` are for benchmarks that compare the worker's own options.
 */
export async function createWorker(config: Config, overrides: Partial<WorkerOptions> = {}) {
  await installRuntime(config);
  // Wrong settings stop the worker here, in one line, before any client retries.
  await checkConnections(config, ['temporal', 'kafka']);
  const producer = createProducer(createKafka(config, 'worker'));
  await producer.connect();
  const connection = await connectTemporalWorker(config);
  // Activities that read other workflows (the fleet defaults) use an ordinary client.
  const client = await connectTemporalClient(config);
  // A shared store gets its table (PostgreSQL) or must have its bucket (S3) before any scoring.
  const migrated = await prepareModelStore(config, { debug: (message) => log.debug(message), warn: (message) => log.warn(message) });
  if (migrated.length > 0) log.info({ migrations: migrated }, 'model store migrated');
  const scorer = new HtmScorer({ store: modelStoreSpecOf(config.modelStore), threads: config.htmThreads, cacheSize: config.htmCacheSize });
  const ownQueue = config.htmAffinity ? ownScoringQueue(config.temporal.taskQueue, config.workerName) : undefined;
  const activities = createActivities(producer, client, config, scorer, ownQueue);
  const shared = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath,
    bundlerOptions: { preloadModules: sharedWorkflowModules },
    maxConcurrentWorkflowTaskExecutions: config.worker.workflowTasks,
    // SDK 1.24 ignores `maxConcurrentWorkflowTaskPolls` (it still type-checks): the poller behaviour is what counts.
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: config.worker.workflowTaskPolls },
    activities,
    // A stop waits for the tasks in hand, a publication among them; one that cannot finish (Kafka
    // away) must not keep the worker from stopping: after this, what is in hand is left to another
    // worker, which runs it again with the same records.
    shutdownForceTime: SHUTDOWN_FORCE_TIME,
    ...overrides,
  });
  // This worker's own queue: HTM scoring of the devices whose live models it holds (workflows/scoring-route.ts).
  const own = ownQueue === undefined ? undefined : await Worker.create({ connection, namespace: config.temporal.namespace, taskQueue: ownQueue, activities: { scoreHtm: activities.scoreHtm }, shutdownForceTime: SHUTDOWN_FORCE_TIME });
  const worker = new WorkerSet(shared, own);
  const close = async () => {
    await scorer.close();
    await producer.disconnect();
    await client.connection.close();
    await connection.close();
  };
  return { worker, close, client, scorer, ownQueue };
}

/**
 * A worker process's Temporal workers, run and stopped together: the shared task queue's
 * (workflows and every activity) and, with HTM affinity, its own queue's (HTM scoring only).
 */
export class WorkerSet {
  constructor(
    readonly shared: Worker,
    readonly own: Worker | undefined,
  ) {}

  private get all(): Worker[] {
    return this.own === undefined ? [this.shared] : [this.shared, this.own];
  }

  /** Runs them until they are shut down (SIGINT/SIGTERM, or `shutdown`); one that fails stops the other. */
  async run(): Promise<void> {
    const runs = this.all.map((worker) => worker.run());
    try {
      await Promise.all(runs);
    } catch (error) {
      this.shutdown();
      await Promise.allSettled(runs);
      throw error;
    }
  }

  /** Every one of them polls (readiness). */
  get running(): boolean {
    return this.all.every((worker) => worker.getState() === 'RUNNING');
  }

  shutdown(): void {
    for (const worker of this.all) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  async runUntil<T>(until: () => Promise<T>): Promise<T> {
    const running = this.run();
    try {
      return await until();
    } finally {
      this.shutdown();
      await running;
    }
  }

  getStatus(): ReturnType<Worker['getStatus']> {
    return this.shared.getStatus();
  }
}

/** Devices by connection status, from visibility: right however many workers there are. */
async function countDevices(config: Config, client: Client): Promise<void> {
  for (const status of ['NEW', 'CONNECTED', 'DISCONNECTED']) {
    const { count } = await client.workflow.count(runningDevicesQuery(config, `ConnectionStatus = '${status}'`));
    workerMetrics.devices.set({ status }, count);
  }
}

/**
 * `vigil worker`: runs until SIGINT/SIGTERM (the SDK shuts down gracefully on both). `overrides`
 * are for the benchmark's floor worker, which runs its own workflows.
 */
export async function runWorker(config: Config, overrides: Partial<WorkerOptions> = {}): Promise<void> {
  let workers: WorkerSet | undefined;
  const metrics = await serveMetrics(config.metrics.workerPort, { setting: 'VIGIL_WORKER_METRICS_PORT', host: config.metrics.host, ready: () => workers?.running ?? false });
  const { worker, close, client, scorer, ownQueue } = await createWorker(config, overrides);
  workers = worker;
  const counting = setInterval(() => {
    countDevices(config, client).catch((error: unknown) => log.warn({ err: error }, 'device count failed'));
    workerMetrics.htmModels.set(scorer.modelsCached);
  }, 15_000);
  void countDevices(config, client).catch(() => undefined);
  log.info({ taskQueue: config.temporal.taskQueue, ownQueue, modelStore: config.modelStore.url }, 'worker running');
  try {
    await worker.run();
  } finally {
    clearInterval(counting);
    log.info('worker stopping: closing the scorer, the producer and the connections');
    await close();
    await metrics.close();
    log.info('worker stopped');
  }
}
