/**
 * The ceilings the pipeline is measured against, taken on the same machine in the same run:
 * what kafkajs alone reads from the very topic, and what the Temporal server alone accepts
 * as signalWithStart calls.
 */
import type { Kafka } from 'kafkajs';
import type { Config } from '../../src/config';
import { connectTemporalClient } from '../../src/connections/temporal';
import { terminateWorkflows } from '../../test/support/cleanup';

export interface Ceiling {
  count: number;
  seconds: number;
  perSecond: number;
}

/** Reads `topic` from the beginning to the given end offsets with a consumer that does nothing else. */
export async function rawConsumeRate(kafka: Kafka, topic: string, groupId: string, timeoutMs = 120_000): Promise<Ceiling> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const target = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 1024 * 1024, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let count = 0;
  let first: number | undefined;
  let last = 0;
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`raw consume read ${count}/${target} in ${timeoutMs} ms`)), timeoutMs);
    void consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        first ??= Date.now();
        count += batch.messages.length;
        last = Date.now();
        if (count >= target) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  try {
    await finished;
  } finally {
    await consumer.disconnect();
  }
  const seconds = (last - (first ?? last)) / 1000;
  return { count, seconds, perSecond: count / Math.max(seconds, 1e-3) };
}

/**
 * signalWithStart to `workflows` ids on a task queue no worker polls, `concurrency` calls at a
 * time for `seconds`: the server's own rate, with a payload the size of a typical signal.
 * The workflows are terminated afterwards.
 */
export async function signalWithStartRate(
  config: Config,
  options: { workflows: number; seconds: number; concurrency: number; payload: unknown; idPrefix: string },
): Promise<Ceiling> {
  const client = await connectTemporalClient(config);
  const { connection } = client;
  const taskQueue = `${options.idPrefix}ceiling`;
  let count = 0;
  let next = 0;
  const start = Date.now();
  const end = start + options.seconds * 1000;
  const lane = async () => {
    while (Date.now() < end) {
      const id = `${options.idPrefix}${next++ % options.workflows}`;
      await client.workflow.signalWithStart('ceilingWorkflow', { workflowId: id, taskQueue, args: [], signal: 'deliver', signalArgs: [options.payload] });
      count += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  const seconds = (Date.now() - start) / 1000;
  const ids = Array.from({ length: Math.min(options.workflows, next) }, (_, i) => `${options.idPrefix}${i}`);
  await terminateWorkflows(client, ids, 'benchmark ceiling done');
  await connection.close();
  return { count, seconds, perSecond: count / seconds };
}
