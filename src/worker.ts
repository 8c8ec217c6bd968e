import type { Client } from '@temporalio/client';
import { DefaultLogger, type LogLevel, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import type { Config } from './config';
import { checkConnections } from './connections/check';
import { connectTemporalWorker } from './connections/temporal';
import { HtmScorer } from './htm-runtime';
import { createIdempotentProducer, createKafka } from './kafka/client';
import { portToBind } from './listen-port';
import { logger } from './logger';
import { serveMetrics, workerMetrics } from './metrics';
import { connectTemporalClient } from './connections/temporal';
import { runningDevicesQuery } from './workflow-client/devices';
import { sharedWorkflowModules, workflowsPath } from './workflow-bundle';

const log = logger.child({ component: 'worker' });

let runtimeInstalled = false;

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
  const producer = createIdempotentProducer(createKafka(config, 'worker'));
  await producer.connect();
  const connection = await connectTemporalWorker(config);
  // Activities that read other workflows (the fleet defaults) use an ordinary client.
  const client = await connectTemporalClient(config);
  const scorer = new HtmScorer({ store: { kind: 'local-directory', dir: config.modelStoreDir }, threads: config.htmThreads, cacheSize: config.htmCacheSize });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath,
    bundlerOptions: { preloadModules: sharedWorkflowModules },
    maxConcurrentWorkflowTaskExecutions: config.worker.workflowTasks,
    // SDK 1.24 ignores `maxConcurrentWorkflowTaskPolls` (it still type-checks): the poller behaviour is what counts.
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: config.worker.workflowTaskPolls },
    activities: createActivities(producer, client, config, scorer),
    ...overrides,
  });
  const close = async () => {
    await scorer.close();
    await producer.disconnect();
    await client.connection.close();
    await connection.close();
  };
  return { worker, close, client, scorer };
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
  const metrics = await serveMetrics(config.metrics.workerPort, 'VIGIL_WORKER_METRICS_PORT');
  const { worker, close, client, scorer } = await createWorker(config, overrides);
  const counting = setInterval(() => {
    countDevices(config, client).catch((error: unknown) => log.warn({ err: error }, 'device count failed'));
    workerMetrics.htmModels.set(scorer.stats.modelsCached);
  }, 15_000);
  void countDevices(config, client).catch(() => undefined);
  log.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
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
