import { describe, expect, it } from 'vitest';
import type { SourcedItem } from '../../src/device/item';
import { HtmModel } from '../../src/htm';
import { useWorkflowHarness } from '../support/workflow-harness';

const harness = useWorkflowHarness();
const queue = 'wf-htm';
const T0 = Date.UTC(2017, 0, 1);
const STEP = 3600_000;
const htm = { threshold: 0.5, checkpointEvery: 150, ranges: { pm25: { min: 0, max: 60 } } };

/** A noisy daily pattern, hourly, with one value far outside everything seen. */
function series(count: number, spikeAt: number): number[] {
  return Array.from({ length: count }, (_, i) => (i === spikeAt ? 300 : Math.round((20 + 10 * Math.sin((2 * Math.PI * i) / 24) + ((i * 7919) % 13) / 4) * 100) / 100));
}
const item = (deviceId: string, i: number, value: number): SourcedItem => ({ source: { topic: 'epa-raw', partition: 0, offset: i }, reading: { deviceId, ts: T0 + i * STEP, values: { pm25: value } } });

describe('HTM on a device workflow', () => {
  it('publishes the enriched record of every reading exactly as one uninterrupted model scores it, across checkpoints and a worker crash', async () => {
    const deviceId = 'wf-epa-monitor';
    const values = series(420, 400);
    await harness.withWorker(queue, async () => {
      for (let start = 0; start < 200; start += 50) {
        await harness.deliver(queue, deviceId, values.slice(start, start + 50).map((v, k) => item(deviceId, start + k, v)), { htm, judging: { pm25: ['htm'] } });
        await harness.waitForApplied(deviceId, start + 50);
      }
    });
    // The worker dies: its threads and live models are gone; the model store and the workflow stay.
    await harness.restartScorer();
    await harness.withWorker(queue, async () => {
      for (let start = 200; start < values.length; start += 70) {
        await harness.deliver(queue, deviceId, values.slice(start, start + 70).map((v, k) => item(deviceId, start + k, v)), { htm, judging: { pm25: ['htm'] } });
        await harness.waitForApplied(deviceId, Math.min(values.length, start + 70));
      }
      const state = await harness.waitForApplied(deviceId, values.length);
      // Batches of 50, 50, 50 | 50, 70, 70 | 70, 10: a checkpoint once 150 readings wait since the last.
      expect(state.memories.htm.pm25?.checkpointVersion).toBe(340);
      expect(state.memories.htm.pm25?.sinceCheckpoint).toHaveLength(values.length - 340);
    });

    const model = HtmModel.create({ valueMin: 0, valueMax: 60 });
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
});
