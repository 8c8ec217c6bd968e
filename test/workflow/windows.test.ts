import { describe, expect, it } from 'vitest';
import type { SourcedItem } from '../../src/device/item';
import { useWorkflowHarness } from '../support/workflow-harness';

const harness = useWorkflowHarness();
const queue = 'wf-windows';
const T0 = Date.UTC(2024, 0, 8, 9, 0, 0);
const MIN = 60_000;

const item = (offset: number, ts: number, usage: number): SourcedItem => ({ source: { topic: 'usage', partition: 0, offset }, reading: { deviceId: 'wf-meter', ts, values: { usage } } });

describe('event-time windows on a running device workflow', () => {
  it('publishes hourly updates, a final hour once its lateness runs out, and dead-letters a reading beyond it', async () => {
    const deviceId = 'wf-meter';
    await harness.withWorker(queue, async () => {
      // 09:00–09:50, then 10:10, then a late 09:55 (in time), then 11:05 closes 09:00, then a 09:59 (too late).
      const batches: SourcedItem[][] = [
        [0, 10, 20, 30, 40, 50].map((m, i) => item(i, T0 + m * MIN, 10 + i)),
        [item(6, T0 + 70 * MIN, 100)],
        [item(7, T0 + 55 * MIN, 16)],
        [item(8, T0 + 125 * MIN, 50)],
        [item(9, T0 + 59 * MIN, 999)],
      ];
      let sent = 0;
      for (const batch of batches) {
        // Window updates due after every batch: this test follows each step of the hour.
        await harness.deliver(queue, deviceId, batch, { eventTime: { allowedLatenessMs: 60 * MIN, updateEveryMs: 1 } });
        sent += batch.length;
        await harness.waitForApplied(deviceId, sent);
      }
      const state = await harness.waitForApplied(deviceId, 10);
      expect([state.counters.readingsApplied, state.counters.lateDropped]).toEqual([9, 1]);
    });
    const nine = harness.aggregates.filter((a) => a.kind === 'hourly' && a.windowStart === T0).map((a) => [a.count, a.avg, a.final]);
    expect(nine).toEqual([
      [6, 12.5, false],
      [7, (10 + 11 + 12 + 13 + 14 + 15 + 16) / 7, false],
      [7, (10 + 11 + 12 + 13 + 14 + 15 + 16) / 7, true],
    ]);
    expect(harness.lateLetters.map((l) => [l.source.offset, l.reading.values.usage])).toEqual([[9, 999]]);
    const lastMinute = harness.aggregates.filter((a) => a.kind === 'last-minute').at(-1);
    expect(lastMinute).toMatchObject({ field: 'usage', windowEnd: T0 + 125 * MIN, count: 1, max: 50 });
  });

  it('publishes open windows at most once per update interval, and the changes left over once the device goes quiet', async () => {
    const deviceId = 'wf-meter-quiet';
    const at = (offset: number, minute: number, usage: number): SourcedItem => ({ source: { topic: 'usage', partition: 0, offset }, reading: { deviceId, ts: T0 + minute * MIN, values: { usage } } });
    const hourly = () => harness.aggregates.filter((a) => a.deviceId === deviceId && a.kind === 'hourly').map((a) => [a.count, a.avg]);
    await harness.withWorker(queue, async () => {
      const settings = { eventTime: { allowedLatenessMs: 60 * MIN, updateEveryMs: 4_000 } };
      await harness.deliver(queue, deviceId, [at(0, 0, 10)], settings);
      await harness.waitForApplied(deviceId, 1);
      await harness.deliver(queue, deviceId, [at(1, 1, 20)], settings);
      await harness.waitForApplied(deviceId, 2);
      await harness.deliver(queue, deviceId, [at(2, 2, 30)], settings);
      await harness.waitForApplied(deviceId, 3);
      // The first batch published at once; the next two wait for the interval.
      expect(hourly()).toEqual([[1, 10]]);
      for (let waited = 0; hourly().length < 2 && waited < 100; waited += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    });
    expect(hourly()).toEqual([[1, 10], [3, 20]]);
    const lastMinute = harness.aggregates.filter((a) => a.deviceId === deviceId && a.kind === 'last-minute').at(-1);
    expect(lastMinute).toMatchObject({ count: 2, max: 30 });
  });

  it('publishes nothing for a batch that only changes open windows, and a closed hour at once', async () => {
    const deviceId = 'wf-meter-closing';
    const at = (offset: number, minute: number, usage: number): SourcedItem => ({ source: { topic: 'usage', partition: 0, offset }, reading: { deviceId, ts: T0 + minute * MIN, values: { usage } } });
    const hourly = () => harness.aggregates.filter((a) => a.deviceId === deviceId && a.kind === 'hourly').map((a) => [a.windowStart - T0, a.count, a.avg, a.final]);
    await harness.withWorker(queue, async () => {
      const settings = { eventTime: { allowedLatenessMs: 60 * MIN, updateEveryMs: 600_000 } };
      await harness.deliver(queue, deviceId, [at(0, 0, 10)], settings);
      await harness.waitForApplied(deviceId, 1);
      await harness.deliver(queue, deviceId, [at(1, 30, 20)], settings);
      await harness.waitForApplied(deviceId, 2);
      expect(hourly()).toEqual([[0, 1, 10, false]]); // the first batch's; the second waits
      // Two hours later the first hour's lateness has run out: it closes, and goes out with this batch.
      await harness.deliver(queue, deviceId, [at(2, 125, 30)], settings);
      await harness.waitForApplied(deviceId, 3);
    });
    expect(hourly()).toEqual([[0, 1, 10, false], [0, 2, 15, true], [2 * 60 * MIN, 1, 30, false]]);
  });
});
