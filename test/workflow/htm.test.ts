import { NativeConnection, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { ownScoringQueue } from '../../src/activities/scoring-queue';
import { HtmScorer } from '../../src/htm-runtime';
import { workflowIdFor } from '../../src/workflows/definitions';
import type { SourcedItem } from '../../src/device/item';
import { HtmModel } from '../../src/htm';
import { useWorkflowHarness } from '../support/workflow-harness';

const harness = useWorkflowHarness();
const queue = 'wf-htm';
const T0 = Date.UTC(2017, 0, 1);
const STEP = 3600_000;
const htm = { threshold: 0.5, checkpointEvery: 150, temporalMemory: 'plain' as const, ranges: { pm25: { min: 0, max: 60 } } };

/** A noisy daily pattern, hourly, with one value far outside everything seen. */
function series(count: number, spikeAt: number): number[] {
  return Array.from({ length: count }, (_, i) => (i === spikeAt ? 300 : Math.round((20 + 10 * Math.sin((2 * Math.PI * i) / 24) + ((i * 7919) % 13) / 4) * 100) / 100));
}
const item = (deviceId: string, i: number, value: number): SourcedItem => ({ source: { topic: 'epa-raw', partition: 0, offset: i }, reading: { deviceId, ts: T0 + i * STEP, values: { pm25: value } } });

describe('HTM on a device workflow', () => {
  it.each(['plain', 'backtracking'] as const)('with the %s temporal memory, publishes the enriched record of every reading exactly as one uninterrupted model scores it, across checkpoints and a worker crash', async (temporalMemory) => {
    const deviceId = `wf-epa-monitor-${temporalMemory}`;
    const settings = { htm: { ...htm, temporalMemory }, judging: { pm25: ['htm' as const] } };
    const values = series(420, 400);
    await harness.withWorker(queue, async () => {
      for (let start = 0; start < 200; start += 50) {
        await harness.deliver(queue, deviceId, values.slice(start, start + 50).map((v, k) => item(deviceId, start + k, v)), settings);
        await harness.waitForApplied(deviceId, start + 50);
      }
    });
    // The worker dies: its threads and live models are gone; the model store and the workflow stay.
    await harness.restartScorer();
    await harness.withWorker(queue, async () => {
      for (let start = 200; start < values.length; start += 70) {
        await harness.deliver(queue, deviceId, values.slice(start, start + 70).map((v, k) => item(deviceId, start + k, v)), settings);
        await harness.waitForApplied(deviceId, Math.min(values.length, start + 70));
      }
      const state = await harness.waitForApplied(deviceId, values.length);
      // Batches of 50, 50, 50 | 50, 70, 70 | 70, 10: a checkpoint once 150 readings wait since the last.
      expect(state.memories.htm.pm25?.checkpointVersion).toBe(340);
      expect(state.memories.htm.pm25?.sinceCheckpoint).toHaveLength(values.length - 340);
    });

    const model = HtmModel.create({ temporalMemory, valueMin: 0, valueMax: 60 });
    const reference = values.map((v, i) => model.compute(T0 + i * STEP, v));
    const published = harness.enriched.filter((e) => e.deviceId === deviceId);
    expect(published.map((e) => e.ts)).toEqual(values.map((_, i) => T0 + i * STEP));
    expect(published.map((e) => [e.anomaly, e.likelihood, e.logLikelihood, e.score, e.prediction, e.predictionNext])).toEqual(
      reference.map((r) => [r.rawScore, r.likelihood, r.logLikelihood, r.score, r.prediction, r.predictionNext]),
    );
    const htmAnomalies = harness.eventsOf(deviceId).filter((e) => e.detector === 'htm');
    const raisedAt = reference.flatMap((r, i) => (r.score >= 0.5 && r.rawScore !== null ? [i] : []));
    expect(raisedAt).toContain(400); // the spike leaves the range seen: NAB's spatial anomaly
    expect(htmAnomalies.filter((e) => e.status !== 'resolved').map((e) => e.ts)).toEqual(raisedAt.map((i) => T0 + i * STEP));
  });

  it('scores a device on the worker that holds its live model, and falls back to another when that worker is gone', async () => {
    const deviceId = 'wf-epa-affinity';
    const values = series(360, 300);
    // Two workers, as two processes run them: a connection each, a worker on the shared queue and one on its own, a scorer (threads, live models) of its own.
    const workers = await Promise.all(
      ['alpha', 'beta'].map(async (name) => {
        const connection = await NativeConnection.connect({ address: harness.env.address });
        const scorer = new HtmScorer({ store: { kind: 'local-directory', dir: harness.modelDir }, threads: 1 });
        const own = ownScoringQueue(queue, name);
        const activities = harness.activities(scorer, own);
        const shared = await Worker.create({ connection, taskQueue: queue, workflowBundle: harness.bundle, activities });
        const mine = await Worker.create({ connection, taskQueue: own, activities: { scoreHtm: activities.scoreHtm } });
        return { name, connection, scorer, own, shared, mine, running: Promise.all([shared.run(), mine.run()]) };
      }),
    );
    const stop = async (worker: (typeof workers)[number]) => {
      for (const w of [worker.shared, worker.mine]) if (w.getState() === 'RUNNING') w.shutdown();
      await worker.running;
    };
    try {
      const deliverRange = async (from: number, to: number) => {
        for (let start = from; start < to; start += 30) {
          await harness.deliver(queue, deviceId, values.slice(start, Math.min(to, start + 30)).map((v, k) => item(deviceId, start + k, v)), { htm, judging: { pm25: ['htm'] } });
          await harness.waitForApplied(deviceId, Math.min(to, start + 30));
        }
      };
      await deliverRange(0, 180);
      // Six scorings: a fresh model, then its live model five times, all on the worker that took the first.
      const holder = workers.find((w) => w.scorer.stats.calls > 0)!;
      const other = workers.find((w) => w !== holder)!;
      expect(holder.scorer.stats.models).toEqual({ live: 5, restored: 0, fresh: 1 });
      expect(other.scorer.stats.calls).toBe(0);
      const { raw } = await harness.env.client.workflow.getHandle(workflowIdFor(deviceId)).describe();
      expect(raw.pendingActivities ?? []).toHaveLength(0);

      // The holder dies: the next scoring waits on its queue until it is taken for gone, then the other worker rebuilds the model exactly.
      await stop(holder);
      await deliverRange(180, values.length);
      expect(other.scorer.stats.models).toEqual({ live: 5, restored: 1, fresh: 0 });
      expect(holder.scorer.stats.calls).toBe(6);

      // Where each scoring was sent, as the history records it: the shared queue, the holder's own
      // (the last attempt there timed out unstarted), the shared queue again, then the other's own.
      const history = await harness.env.client.workflow.getHandle(workflowIdFor(deviceId)).fetchHistory();
      const sentTo = (history.events ?? []).flatMap((event) => {
        const scheduled = event.activityTaskScheduledEventAttributes;
        return scheduled?.activityType?.name === 'scoreHtm' ? [scheduled.taskQueue?.name] : [];
      });
      expect(sentTo).toEqual([queue, ...Array(6).fill(holder.own), queue, ...Array(5).fill(other.own)]);
    } finally {
      await Promise.all(workers.map(stop));
      await Promise.all(workers.map((w) => w.scorer.close()));
      await Promise.all(workers.map((w) => w.connection.close()));
    }
    const model = HtmModel.create({ valueMin: 0, valueMax: 60 });
    const reference = values.map((v, i) => model.compute(T0 + i * STEP, v));
    const published = harness.enriched.filter((e) => e.deviceId === deviceId);
    expect(published.map((e) => e.ts)).toEqual(values.map((_, i) => T0 + i * STEP));
    expect(published.map((e) => [e.anomaly, e.likelihood, e.score, e.prediction])).toEqual(reference.map((r) => [r.rawScore, r.likelihood, r.score, r.prediction]));
  });
});
