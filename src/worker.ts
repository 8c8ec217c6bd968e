import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, type LogLevel, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import type { Config } from './config';
import { createIdempotentProducer, createKafka } from './kafka/client';
import { logger } from './logger';

const log = logger.child({ component: 'worker' });

let runtimeInstalled = false;

/** The SDK's own logs at our level (once per process: the runtime is a singleton). */
function installRuntime(config: Config): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<NonNullable<Config['logLevel']>, LogLevel> = {
    trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR',
  };
  Runtime.install({ logger: new DefaultLogger(levels[config.logLevel ?? 'info']) });
}

/** A worker for the device workflows and their activities, with one Kafka producer for the process. */
export async function createWorker(config: Config) {
  installRuntime(config);
  const producer = createIdempotentProducer(createKafka(config, 'worker'));
  await producer.connect();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // Activities that read other workflows (the fleet defaults) use an ordinary client.
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities(producer, client, config),
  });
  const close = async () => {
    await producer.disconnect();
    await clientConnection.close();
    await connection.close();
  };
  return { worker, close };
}

/** `vigil worker`: runs until SIGINT/SIGTERM (the SDK shuts down gracefully on both). */
export async function runWorker(config: Config): Promise<void> {
  const { worker, close } = await createWorker(config);
  log.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  try {
    await worker.run();
  } finally {
    await close();
  }
}
