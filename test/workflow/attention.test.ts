import { WithStartWorkflowOperation } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import type { ThresholdRuleInput } from '../../src/detectors/threshold';
import { addValue } from '../../src/detectors/welford';
import { describeDevice } from '../../src/operator/describe';
import { acknowledgeAnomaly, changeMaintenance, markFalseAlarm, snoozeDevice, unsnoozeDevice } from '../../src/workflow-client/attention';
import { runningDevicesQuery, updateFailure } from '../../src/workflow-client/devices';
import { setMaintenanceUpdate, setThresholdsUpdate, stateQuery, workflowIdFor } from '../../src/workflows/definitions';
import type { deviceWorkflow } from '../../src/workflows/device';
import { fieldReadings, useWorkflowHarness } from '../support/workflow-harness';

const harness = useWorkflowHarness();
const queue = 'wf-attention';

/** 40 readings alternating 9 and 11 (mean 10, stdev ≈ 1): past the z-score warm-up, never stuck. */
const warmup = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 9 : 11));
const zscoreSteps = (deviceId: string) => harness.eventsOf(deviceId).filter((e) => e.detector === 'zscore').map((e) => [e.status, e.value, e.suppressed]);
const stateOf = (deviceId: string) => harness.env.client.workflow.getHandle(workflowIdFor(deviceId)).query(stateQuery);
const rejection = (run: Promise<unknown>) => run.then(() => 'accepted', (e: unknown) => updateFailure(e));

function setThresholds(taskQueue: string, deviceId: string, field: string, rule: ThresholdRuleInput) {
  return harness.env.client.workflow.executeUpdateWithStart(setThresholdsUpdate, {
    args: [{ layer: 'own', changes: [{ field, rule }], by: 'test' }],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof deviceWorkflow>('deviceWorkflow', {
      workflowId: workflowIdFor(deviceId), taskQueue, workflowIdConflictPolicy: 'USE_EXISTING', args: harness.startArgs(deviceId),
    }),
  });
}

describe('operators’ attention on a running device workflow', () => {
  it('snoozes a field: its anomalies are recorded as suppressed until the snooze ends; a bad snooze changes nothing', async () => {
    const deviceId = 'wf-snooze';
    const client = () => harness.env.client;
    let until = 0;
    await harness.withWorker(queue, async () => {
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', warmup));
      await harness.waitForApplied(deviceId, 40);
      const before = Date.now();
      const snoozed = await snoozeDevice(client(), deviceId, { field: 'temp', forMs: 2 * 3600_000, by: 'test', reason: 'calibration' });
      expect(snoozed).toMatchObject({ field: 'temp', by: 'test', reason: 'calibration' });
      expect(snoozed.until - snoozed.at).toBe(2 * 3600_000);
      expect(snoozed.at).toBeGreaterThanOrEqual(before - 1000);
      until = snoozed.until;
      for (const invalid of [{ forMs: 0, by: 'test' }, { forMs: 31 * 24 * 3600_000, by: 'test' }, { forMs: 1000 }, { field: 'bad field!', forMs: 1000, by: 'test' }]) {
        await expect(snoozeDevice(client(), deviceId, invalid as never)).rejects.toThrow(/invalid snooze/);
      }
      expect((await stateOf(deviceId)).attention.snoozes).toEqual([snoozed]);

      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [45, 10], 40));
      await harness.waitForApplied(deviceId, 42);
      expect(await unsnoozeDevice(client(), deviceId, { by: 'test', reason: 'done' })).toBe(1);
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [46, 10], 42));
      const state = await harness.waitForApplied(deviceId, 44);
      expect(state.attention.snoozes).toEqual([]);
      expect(state.counters.anomalyCount).toBe(2); // detected either way
    });
    const suppressed = { kind: 'snooze', until, reason: 'calibration' };
    expect(zscoreSteps(deviceId)).toEqual([
      ['raised', 45, suppressed],
      ['resolved', 10, suppressed],
      ['raised', 46, undefined],
      ['resolved', 10, undefined],
    ]);
  });

  it('puts devices in a maintenance window by pattern, running ones and ones that start later, and not others', async () => {
    const fleetQueue = 'wf-attention-fleet';
    const config = { temporal: { taskQueue: fleetQueue } } as Config;
    const [a, b, other] = ['wf-mw-a', 'wf-mw-b', 'wf-other'];
    const now = Date.now();
    const window = { id: 'mw-1', devices: 'wf-mw-*', start: now - 60_000, end: now + 3600_000, reason: 'pump swap', by: 'test' };
    await harness.withWorker(fleetQueue, async () => {
      await harness.deliver(fleetQueue, a, fieldReadings(a, 'temp', warmup));
      await harness.waitForApplied(a, 40);
      // The window reaches the running devices that visibility lists.
      for (let i = 0; i < 50; i += 1) {
        const running = [];
        for await (const run of harness.env.client.workflow.list({ query: runningDevicesQuery(config) })) running.push(run.workflowId);
        if (running.includes(workflowIdFor(a))) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const added = await changeMaintenance(harness.env.client, config, { add: window, by: 'test', reason: 'scripted' });
      expect(added).toEqual({ windows: [window], devices: [a], refused: [] });
      expect(await rejection(changeMaintenance(harness.env.client, config, { add: { ...window, id: 'mw-bad', end: window.start }, by: 'test' }))).toMatch(/invalid maintenance window: .*must end after it starts/);
      // A device refuses a window that is not for it.
      expect(await rejection(harness.env.client.workflow.getHandle(workflowIdFor(a)).executeUpdate(setMaintenanceUpdate, { args: [{ add: { ...window, id: 'mw-x', devices: 'pump-*' }, by: 'test' }] }))).toMatch(/the window mw-x is for pump-\*, not this device/);

      // b and other start after the window was set: b takes it from the fleet, other does not match.
      await harness.deliver(fleetQueue, b, fieldReadings(b, 'temp', warmup));
      await harness.deliver(fleetQueue, other, fieldReadings(other, 'temp', warmup));
      await harness.waitForApplied(b, 40);
      await harness.waitForApplied(other, 40);
      for (const device of [a, b, other]) await harness.deliver(fleetQueue, device, fieldReadings(device, 'temp', [45], 40));
      for (const device of [a, b, other]) await harness.waitForApplied(device, 41);
      expect((await stateOf(b)).attention.maintenance).toEqual([window]);
      expect((await stateOf(other)).attention.maintenance).toEqual([]);

      const removed = await changeMaintenance(harness.env.client, config, { remove: 'mw-1', by: 'test' });
      expect(removed).toEqual({ windows: [], devices: [a, b], refused: [] });
      expect((await stateOf(a)).attention.maintenance).toEqual([]);
    });
    const inMaintenance = { kind: 'maintenance', until: window.end, reason: 'pump swap' };
    expect([a, b, other].map((device) => zscoreSteps(device))).toEqual([[['raised', 45, inMaintenance]], [['raised', 45, inMaintenance]], [['raised', 45, undefined]]]);
  });

  it('acknowledges an open anomaly (who, when, note), and refuses one that is not open', async () => {
    const deviceId = 'wf-ack';
    await harness.withWorker(queue, async () => {
      await setThresholds(queue, deviceId, 'cpu', { low: null, high: 80 });
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'cpu', [70, 95, 96]));
      await harness.waitForApplied(deviceId, 3);
      const anomalyId = harness.eventsOf(deviceId)[0]!.anomalyId;
      expect(await rejection(acknowledgeAnomaly(harness.env.client, deviceId, { anomalyId: 'nope', by: 'alice' }))).toBe('no open anomaly nope on this device (acknowledge an open one; see device show)');
      const before = Date.now();
      const ack = await acknowledgeAnomaly(harness.env.client, deviceId, { anomalyId, by: 'alice', note: 'looking at it' });
      expect(ack).toEqual({ by: 'alice', at: expect.any(Number), note: 'looking at it' });
      expect(ack.at).toBeGreaterThanOrEqual(before - 1000);
      const state = await stateOf(deviceId);
      expect(state.attention.acknowledged).toEqual({ [anomalyId]: ack });
      expect(describeDevice(state)).toContain(`threshold:cpu: ${anomalyId}, raised at ${new Date(1_700_000_001_000).toISOString()}, 1 updates, peak 96; acknowledged by alice at ${new Date(ack.at).toISOString()}: looking at it`);

      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'cpu', [50], 3));
      const resolved = await harness.waitForApplied(deviceId, 4);
      expect(resolved.attention.acknowledged).toEqual({}); // forgotten with the anomaly
      expect(await rejection(acknowledgeAnomaly(harness.env.client, deviceId, { anomalyId, by: 'alice' }))).toMatch(/^no open anomaly/);
    });
    expect(harness.eventsOf(deviceId).map((e) => [e.status, e.value])).toEqual([['raised', 95], ['updated', 96], ['resolved', 50]]);
  });

  it('learns from a false alarm: z-score takes the value into its model, a threshold suggests the bound, flatline records it', async () => {
    const [zscore, threshold, stuck] = ['wf-fa-zscore', 'wf-fa-threshold', 'wf-fa-flatline'];
    await harness.withWorker(queue, async () => {
      await harness.deliver(queue, zscore, fieldReadings(zscore, 'temp', [...warmup, 45, 10]));
      await setThresholds(queue, threshold, 'cpu', { low: null, high: 80 });
      await harness.deliver(queue, threshold, fieldReadings(threshold, 'cpu', [70, 95, 50]));
      await harness.deliver(queue, stuck, fieldReadings(stuck, 'temp', [...warmup, ...Array.from({ length: 30 }, () => 7)]));
      const before = await harness.waitForApplied(zscore, 42);
      await harness.waitForApplied(threshold, 3);
      await harness.waitForApplied(stuck, 70);
      const raised = (deviceId: string, detector: string) => harness.eventsOf(deviceId).find((e) => e.detector === detector && e.status === 'raised')!;

      const model = before.memories.zscore.temp!.model;
      const learnt = await markFalseAlarm(harness.env.client, zscore, { anomalyId: raised(zscore, 'zscore').anomalyId, by: 'bob', note: 'door open' });
      expect(learnt).toMatchObject({ detector: 'zscore', field: 'temp', value: 45, by: 'bob', note: 'door open', lesson: 'model' });
      expect((await stateOf(zscore)).memories.zscore.temp!.model).toEqual(addValue(model, 45));
      expect(await rejection(markFalseAlarm(harness.env.client, zscore, { anomalyId: raised(zscore, 'zscore').anomalyId, by: 'bob' }))).toMatch(/already marked as a false alarm/);
      expect(await rejection(markFalseAlarm(harness.env.client, zscore, { anomalyId: 'nope', by: 'bob' }))).toMatch(/no recent anomaly nope/);

      const suggested = await markFalseAlarm(harness.env.client, threshold, { anomalyId: raised(threshold, 'threshold').anomalyId, by: 'bob' });
      expect(suggested).toMatchObject({ detector: 'threshold', field: 'cpu', value: 95, lesson: 'suggestion', suggestion: { side: 'high', bound: 95 } });

      const flat = raised(stuck, 'flatline');
      const recorded = await markFalseAlarm(harness.env.client, stuck, { anomalyId: flat.anomalyId, by: 'bob' });
      expect(recorded).toMatchObject({ detector: 'flatline', field: 'temp', value: 7, lesson: 'recorded' });
      const state = await stateOf(stuck);
      // Still open: marking it acknowledged it; the memo lists it for the board.
      expect(state.attention.acknowledged[flat.anomalyId]).toMatchObject({ by: 'bob', note: 'false alarm' });
      expect(state.attention.falseAlarms.map((f) => [f.detector, f.lesson])).toEqual([['flatline', 'recorded']]);
      expect(describeDevice(state)).toContain(`${flat.anomalyId}: flatline temp = 7, marked by bob`);
    });
  });
});
