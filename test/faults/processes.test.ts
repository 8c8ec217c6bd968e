import { describe, expect, it } from 'vitest';
import { type Pipeline, usePipeline, waitFor } from '../support/pipeline';
import { expectSurvived, faultRun, freezeTemporal, ingestBacklog, streamInChunks, survivesWorkerKill } from '../support/faults';
import { waitUntilDrained } from '../support/sensor-run';

const newPipeline = usePipeline();

/**
 * The ingest killed with SIGKILL while signals are in flight, and restarted. The pipeline can
 * signal a whole chunk between two looks at the ingest, so the server is frozen while chunk 3
 * arrives: its signals cannot complete, and the kill finds them in flight.
 */
async function survivesIngestKill(p: Pipeline, keyed: boolean): Promise<void> {
  const { sample, bad, messages, topic, processes } = await faultRun(p, { keyed });
  await processes.start('worker');
  const ingest = await processes.start('ingest');
  let temporal: ReturnType<typeof freezeTemporal> | undefined;
  try {
    await streamInChunks(p, topic, messages, 10, async (chunk) => {
      if (chunk === 2) temporal = freezeTemporal(p.config);
      if (chunk !== 3) return;
      // Taken but neither signalled nor dead-lettered yet: what a crash must not lose or double.
      await waitFor('messages in flight in the ingest', async () => (await ingestBacklog(p)) > 0, 60_000);
      processes.kill(ingest);
      temporal?.thaw();
      await processes.start('ingest');
    });
  } finally {
    temporal?.thaw();
  }
  const states = await waitUntilDrained(p, sample, bad.length, { stillHealthy: () => processes.expectNoCrash() });
  expectSurvived(p, processes, { sample, bad, sent: messages.length, states, keyed });
}

/** A second ingest and worker join mid-stream (same group and task queue), and the first ones stop with SIGTERM. */
async function survivesRebalance(p: Pipeline, keyed: boolean): Promise<void> {
  const { sample, bad, messages, topic, processes } = await faultRun(p, { keyed });
  const firstWorker = await processes.start('worker');
  const firstIngest = await processes.start('ingest');
  await streamInChunks(p, topic, messages, 10, async (chunk) => {
    // Same consumer group and task queue: the partitions and the workflow tasks are shared out anew.
    if (chunk === 2) await Promise.all([processes.start('ingest'), processes.start('worker')]);
    if (chunk === 5) await processes.stop(firstIngest);
    if (chunk === 7) await processes.stop(firstWorker);
  });
  const states = await waitUntilDrained(p, sample, bad.length, { stillHealthy: () => processes.expectNoCrash() });
  expectSurvived(p, processes, { sample, bad, sent: messages.length, states, keyed });
  const secondIngest = await p.metrics('ingest');
  expect(secondIngest.get(`vigil_ingest_messages_total{topic="${topic}"}`), 'the second ingest took over partitions').toBeGreaterThan(0);
}

describe('faults: worker and ingest processes', () => {
  it('gives the same anomalies and final models when the worker is killed with SIGKILL mid-stream and restarted', async () => {
    await survivesWorkerKill(newPipeline('fault-worker-kill'));
  });

  it('applies every reading once when the ingest is killed with SIGKILL while signals are in flight, and restarted', async () => {
    await survivesIngestKill(newPipeline('fault-ingest-kill'), true);
  });

  it('keeps every reading once and in order when a second ingest and worker join mid-stream and the first ones stop with SIGTERM', async () => {
    await survivesRebalance(newPipeline('fault-rebalance'), true);
  });

  // Unkeyed input: each device's readings spread over every partition, put in event-time order by the device.
  it('unkeyed: applies every reading once, in event-time order, when the ingest is killed with SIGKILL mid-stream and restarted', async () => {
    await survivesIngestKill(newPipeline('fault-unkeyed-ingest-kill'), false);
  });

  it('unkeyed: keeps every reading once and in event-time order across a rebalance of ingests and workers', async () => {
    await survivesRebalance(newPipeline('fault-unkeyed-rebalance'), false);
  });

  // Longer: the last readings wait for the device's silence (VIGIL_DISCONNECT_AFTER_MS, 60 s) after the restart's catch-up.
  it('unkeyed: gives the same anomalies and final models when the worker is killed with SIGKILL mid-stream', async () => {
    await survivesWorkerKill(newPipeline('fault-unkeyed-worker-kill'), { keyed: false });
  }, 420_000);
});
