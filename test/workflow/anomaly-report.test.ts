import { describe, expect, it } from 'vitest';
import { isReportedTempAnomaly, type ReportRun } from '../../src/device/anomaly-report';
import type { SourcedItem } from '../../src/device/item';
import { seededRandom } from '../../src/samples';
import { stateQuery, workflowIdFor } from '../../src/workflows/definitions';
import { referenceRun, testDevice } from '../support/reference';
import { useWorkflowHarness } from '../support/workflow-harness';

const harness = useWorkflowHarness();
const queue = 'wf-report';
const T0 = Date.UTC(2024, 0, 8, 9, 0, 0);

/** Sensor readings at 1 Hz (temp about 20), with spikes at the given seconds. */
function sensorReadings(deviceId: string, seconds: number, spikes: Record<number, number>): SourcedItem[] {
  const random = seededRandom(5);
  return Array.from({ length: seconds }, (_, i) => ({
    source: { topic: 'sensor-raw', partition: 0, offset: i },
    reading: { deviceId, ts: T0 + i * 1000 + 200, values: { temp: spikes[i] ?? 20 + (random() * 2 - 1), hum: 50 } },
  }));
}

/** One row per window of each run: [start (seconds after T0), count, temp]. */
const rowsOf = (runs: ReportRun[]) => runs.flatMap(([a, b, count, temp]) => Array.from({ length: b - a + 1 }, (_, i) => [a + i - T0 / 1000, count, temp]));

/** The notebook's report by brute force over the reference run's anomalyTopic readings: every window [s, s+60) holding one, closed by `through`. */
function expectedRows(deviceId: string, items: SourcedItem[], through: number) {
  const anomalous = referenceRun(deviceId, items, testDevice(deviceId)).anomalies.filter(isReportedTempAnomaly).map((a) => [Math.floor((a.ts - T0) / 1000), a.value] as const);
  const rows: number[][] = [];
  for (let start = -59; start <= through; start += 1) {
    const inside = anomalous.filter(([second]) => second >= start && second < start + 60);
    if (inside.length > 0) rows.push([start, inside.length, Math.max(...inside.map(([, temp]) => temp))]);
  }
  return { rows, anomalous };
}

describe("the sensor notebook's anomaly report on a running device workflow", () => {
  it('hands the publisher each window once, when the watermark closes it, exactly as the notebook counts them', async () => {
    const deviceId = 'wf-report-sensor';
    const items = sensorReadings(deviceId, 200, { 60: 45, 61: 44, 100: 38 });
    await harness.withWorker(queue, async () => {
      for (let i = 0; i < items.length; i += 20) {
        await harness.deliver(queue, deviceId, items.slice(i, i + 20), { eventTime: { updateEveryMs: 1 } });
        await harness.waitForApplied(deviceId, i + 20);
      }
      // Windows still open wait for the watermark: the device sleeps (no timer firing over and over).
      const handle = harness.env.client.workflow.getHandle(workflowIdFor(deviceId));
      const length = async () => (await handle.describe()).historyLength;
      const before = await length();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await length()).toBe(before);
    });
    // The watermark is at 199 s: every window starting at or before 139 s is closed.
    const { rows, anomalous } = expectedRows(deviceId, items, 139);
    expect(anomalous.map(([second]) => second)).toEqual([60, 61, 100]);
    const reports = harness.reports.filter((r) => r.deviceId === deviceId);
    expect(rowsOf(reports.flatMap((r) => r.runs))).toEqual(rows);
    expect(rows.length).toBe(100); // windows 1…100: [1, 60] hold 60, [2, 61] 61 too, up to [100, 159]
    expect(reports.every((r) => r.topic === 'sensor-raw')).toBe(true);
  });

  it('closes the windows of a device that falls silent with its DISCONNECTED event', async () => {
    const deviceId = 'wf-report-silent';
    const items = sensorReadings(deviceId, 80, { 70: 45 });
    const connection = { disconnectAfterMs: 1500, retireAfterMs: 600_000 };
    await harness.withWorker(queue, async () => {
      await harness.deliver(queue, deviceId, items, { connection });
      await harness.waitForApplied(deviceId, items.length);
      const handle = harness.env.client.workflow.getHandle(workflowIdFor(deviceId));
      for (let waited = 0; (await handle.query(stateQuery)).connection.status !== 'DISCONNECTED' && waited < 100; waited += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      await harness.waitForApplied(deviceId, items.length);
    });
    expect(harness.deviceEvents.filter((e) => e.deviceId === deviceId).map((e) => e.type)).toEqual(['CONNECTED', 'DISCONNECTED']);
    // The watermark (79 s) closed windows up to 19 s; the silence closed the rest, 20…70, one run.
    const runs = harness.reports.filter((r) => r.deviceId === deviceId).map((r) => r.runs);
    expect(runs.map(rowsOf).map((rows) => [rows[0]?.[0], rows.at(-1)?.[0], rows.length])).toEqual([[11, 19, 9], [20, 70, 51]]);
    expect(rowsOf(runs.flat())).toEqual(expectedRows(deviceId, items, 70).rows);
  });
});
