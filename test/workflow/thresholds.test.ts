import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { ThresholdRuleInput } from '../../src/detectors/threshold';
import { workflowIdFor, fleetWorkflowId, pushModelUpdate, setDefaultThresholdsUpdate, setDetectorsUpdate, setThresholdsUpdate, stateQuery } from '../../src/workflows/definitions';
import type { deviceWorkflow } from '../../src/workflows/device';
import type { fleetWorkflow } from '../../src/workflows/fleet';
import { formatDefaultsOf } from '../../src/device/settings';
import { formats } from '../../src/formats';
import { defaultRule } from '../support/reference';
import { fieldReadings, useWorkflowHarness } from '../support/workflow-harness';

const harness = useWorkflowHarness();
const queue = 'wf-thresholds';

/** Applies thresholds as `vigil thresholds apply` does: update-with-start, before any reading. */
function setThresholds(deviceId: string, field: string, rule: ThresholdRuleInput, extra = {}) {
  return harness.env.client.workflow.executeUpdateWithStart(setThresholdsUpdate, {
    args: [{ layer: 'own', changes: [{ field, rule }], by: 'test', reason: 'scripted' }],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof deviceWorkflow>('deviceWorkflow', {
      workflowId: workflowIdFor(deviceId),
      taskQueue: queue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: harness.startArgs(deviceId, extra),
    }),
  });
}

/** [status, value] of each threshold event of a device, in publication order. */
const thresholdEvents = (deviceId: string) =>
  harness.eventsOf(deviceId).filter((e) => e.detector === 'threshold').map((e) => [e.status, e.value]);

// Seed 001's cpu thresholds (0 … 80), one reading a second: violations at 85, 90, 95, 96, 97.
const cpu = [70, 85, 90, 75, 95, 96, 97, 60, 50];

describe('thresholds on a running device workflow', () => {
  it.each([
    ['each', { rule: 'each' }, [['raised', 85], ['updated', 90], ['resolved', 75], ['raised', 95], ['updated', 96], ['updated', 97], ['resolved', 60]]],
    ['at-least-N-in-window', { rule: 'at-least-N-in-window', n: 3, windowMs: 60_000 }, [['raised', 95], ['updated', 96], ['updated', 97]]],
    ['N-consecutive', { rule: 'N-consecutive', n: 3 }, [['raised', 97], ['resolved', 60]]],
  ] as const)('applies seed 001’s %s rule to a scripted sequence exactly', async (name, rule, expected) => {
    const deviceId = `wf-rule-${name}`;
    await harness.withWorker(queue, async () => {
      await setThresholds(deviceId, 'cpu', { low: 0, high: 80, ...rule });
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'cpu', cpu));
      await harness.waitForApplied(deviceId, cpu.length + 0);
    });
    expect(thresholdEvents(deviceId)).toEqual(expected);
  });

  it('resolves only at the clear level (hysteresis)', async () => {
    const deviceId = 'wf-hysteresis';
    const values = [70, 95, 85, 89, 91, 81, 79, 92];
    await harness.withWorker(queue, async () => {
      await setThresholds(deviceId, 'cpu', { low: null, high: 90, clearBelow: 80 });
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'cpu', values));
      await harness.waitForApplied(deviceId, values.length);
    });
    // 85, 89 and 81 are below the high but above the clear level: the anomaly stays open.
    expect(thresholdEvents(deviceId)).toEqual([['raised', 95], ['updated', 91], ['resolved', 79], ['raised', 92]]);
  });

  it('changes the verdict from the next reading on after a live update, and rejects an invalid one unchanged', async () => {
    const deviceId = 'wf-live-update';
    await harness.withWorker(queue, async () => {
      await setThresholds(deviceId, 'temp', { low: null, high: 100 });
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [95, 99]));
      const before = await harness.waitForApplied(deviceId, 2);
      for (const invalid of [{ low: 50, high: 10 }, { low: null, high: null }, { low: null, high: 1, rule: 'sometimes' }, { low: null, high: 1, n: 0 }]) {
        await expect(setThresholds(deviceId, 'temp', invalid as ThresholdRuleInput)).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      }
      const rejected = await setThresholds(deviceId, 'temp', { low: 50, high: 10 }).catch((e: WorkflowUpdateFailedError) => e.cause?.message);
      expect(rejected).toMatch(/low must not be greater than high/);
      expect((await harness.env.client.workflow.getHandle(workflowIdFor(deviceId)).query(stateQuery)).settings.detectors.threshold).toEqual(before.settings.detectors.threshold);

      await setThresholds(deviceId, 'temp', { low: null, high: 90 });
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [95], 2));
      await harness.waitForApplied(deviceId, 3);
    });
    // 95 and 99 passed under high 100; the same 95 is an anomaly under high 90.
    expect(thresholdEvents(deviceId)).toEqual([['raised', 95]]);
  });

  it('makes the changes the whole layer with replace, and removes a threshold with a null rule', async () => {
    const deviceId = 'wf-replace';
    await harness.withWorker(queue, async () => {
      await setThresholds(deviceId, 'cpu', { low: 0, high: 80 });
      await setThresholds(deviceId, 'mem', { low: 0, high: 70 });
      const handle = harness.env.client.workflow.getHandle(workflowIdFor(deviceId));
      const replaced = await handle.executeUpdate(setThresholdsUpdate, { args: [{ layer: 'own', changes: [{ field: 'cpu', rule: { low: 0, high: 90 } }], replace: true, by: 'test' }] });
      expect(Object.keys(replaced.own)).toEqual(['cpu']);
      expect(replaced.own.cpu?.high).toBe(90);
      const removed = await handle.executeUpdate(setThresholdsUpdate, { args: [{ layer: 'own', changes: [{ field: 'cpu', rule: null }], by: 'test' }] });
      expect(removed.own).toEqual({});
    });
  });

  it('changes which detectors judge a field by Update, and rejects an unknown detector unchanged', async () => {
    const deviceId = 'wf-detectors';
    await harness.withWorker(queue, async () => {
      await setThresholds(deviceId, 'cpu', { low: 0, high: 80 });
      const handle = harness.env.client.workflow.getHandle(workflowIdFor(deviceId));
      // 30 readings around 50 teach z-score nothing while the threshold alone judges cpu.
      const calm = Array.from({ length: 30 }, (_, i) => 50 + (i % 2));
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'cpu', calm));
      await harness.waitForApplied(deviceId, calm.length);
      await expect(handle.executeUpdate(setDetectorsUpdate, { args: [{ field: 'cpu', detectors: ['astrology' as never], by: 'test' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      const judging = await handle.executeUpdate(setDetectorsUpdate, { args: [{ field: 'cpu', detectors: ['zscore'], by: 'test', reason: 'watch cpu for drift too' }] });
      expect(judging.fields).toEqual({ cpu: ['zscore'] });
      const calmAgain = Array.from({ length: 30 }, (_, i) => 50 + (i % 2));
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'cpu', [...calmAgain, 70], calm.length));
      await harness.waitForApplied(deviceId, calm.length + calmAgain.length + 1);
      await handle.executeUpdate(setDetectorsUpdate, { args: [{ field: 'cpu', detectors: null, by: 'test' }] });
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'cpu', [90], calm.length * 2 + 1));
      await harness.waitForApplied(deviceId, calm.length * 2 + 2);
    });
    // 70 is far from 50 ± 0.5 but under the threshold: z-score, once asked for, raises it; the
    // threshold alone again, 90 raises a threshold anomaly only.
    expect(harness.eventsOf(deviceId).filter((e) => e.status === 'raised').map((e) => [e.detector, e.value])).toEqual([
      ['zscore', 70],
      ['threshold', 90],
    ]);
  });

  it('replaces the z-score baseline when a model is pushed', async () => {
    const deviceId = 'wf-model-push';
    await harness.withWorker(queue, async () => {
      // The learn gate closed (it is open by default), so the pushed baseline stays what it was pushed as.
      const handle = await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [20, 21]), { zscore: { ...defaultRule, learnAnomalies: false } });
      await harness.waitForApplied(deviceId, 2);
      // Seed 000's model: n 100, mean 20, sample variance 1 (m2 = 99).
      await handle.executeUpdate(pushModelUpdate, { args: [{ field: 'temp', model: { n: 100, mean: 20, m2: 99 }, by: 'test' }] });
      await expect(handle.executeUpdate(pushModelUpdate, { args: [{ field: 'temp', model: { n: -1, mean: 0, m2: 0 }, by: 'test' }] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [23.9, 30], 2));
      const state = await harness.waitForApplied(deviceId, 4);
      // 23.9 (z 3.9) is learnt; 30 is anomalous and, by the learn gate, not. Without the pushed
      // model, n = 2 would be below minSamples and nothing would be judged at all.
      expect(state.memories.zscore.temp?.model.n).toBe(101);
    });
    const zscore = harness.eventsOf(deviceId).filter((e) => e.detector === 'zscore');
    expect(zscore.map((e) => [e.status, e.value])).toEqual([['raised', 30]]);
    expect(zscore[0]?.explanation).toMatchObject({ kind: 'zscore', n: 101, k: 4 });
  });

  it('starts a new device with the fleet’s `*` thresholds', async () => {
    const deviceId = 'wf-fleet-defaults';
    const fleetQueue = 'wf-thresholds-fleet';
    await harness.withWorker(fleetQueue, async () => {
      await harness.env.client.workflow.executeUpdateWithStart(setDefaultThresholdsUpdate, {
        args: [{ changes: [{ field: 'cpu', rule: { low: null, high: 80 } }], by: 'test', reason: 'scripted' }],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof fleetWorkflow>('fleetWorkflow', {
          workflowId: fleetWorkflowId(fleetQueue),
          taskQueue: fleetQueue,
          workflowIdConflictPolicy: 'USE_EXISTING',
          args: [{}],
        }),
      });
      await harness.deliver(fleetQueue, deviceId, fieldReadings(deviceId, 'cpu', cpu));
      await harness.waitForApplied(deviceId, cpu.length);
    });
    expect(thresholdEvents(deviceId)).toEqual([['raised', 85], ['updated', 90], ['resolved', 75], ['raised', 95], ['updated', 96], ['updated', 97], ['resolved', 60]]);
    await harness.env.client.workflow.getHandle(fleetWorkflowId(fleetQueue)).terminate('test done');
  });

  it('gives a device started by an Update its format\'s rule (csv3: temp above 100) with its first readings', async () => {
    const deviceId = 'wf-csv3-late-format';
    const csv3 = formatDefaultsOf(formats.csv3);
    await harness.withWorker(queue, async () => {
      await setThresholds(deviceId, 'hum', { low: 10, high: 90 }); // started before any reading, with no format
      const before = await harness.env.client.workflow.getHandle(workflowIdFor(deviceId)).query(stateQuery);
      expect([before.settings.formats, before.settings.detectors.threshold.format]).toEqual([[], {}]);
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [99, 101, 550, 100, 10]), {}, csv3);
      const state = await harness.waitForApplied(deviceId, 5);
      expect([state.settings.formats, state.settings.detectors.threshold.format.temp?.high, state.settings.detectors.threshold.own.hum?.high]).toEqual([['csv3'], 100, 90]);
    });
    expect(thresholdEvents(deviceId)).toEqual([['raised', 101], ['updated', 550], ['resolved', 100]]);
  });

  it('measures silence from the newest reading\u2019s event time when so configured (as the host rules did), from arrival by default', async () => {
    const connection = { disconnectAfterMs: 60_000, retireAfterMs: 3_600_000 };
    const statusAfterOldReading = async (deviceId: string, silenceFrom: 'arrival' | 'event-time' | undefined) =>
      harness.withWorker(queue, async () => {
        // A reading stamped in 2023: by its event time the device has been silent for years.
        await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [20]), { connection: { ...connection, ...(silenceFrom ? { silenceFrom } : {}) } });
        await harness.waitForApplied(deviceId, 1);
        const handle = harness.env.client.workflow.getHandle(workflowIdFor(deviceId));
        await waitUntil(async () => silenceFrom !== 'event-time' || (await handle.query(stateQuery)).connection.status === 'DISCONNECTED', 10_000);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return (await handle.query(stateQuery)).connection.status;
      });
    expect(await statusAfterOldReading('wf-silence-event-time', 'event-time')).toBe('DISCONNECTED');
    expect(await statusAfterOldReading('wf-silence-arrival', undefined)).toBe('CONNECTED');
  });

  it('reports DISCONNECTED after silence and CONNECTED again on data, then retires after long silence', async () => {
    const deviceId = 'wf-connection';
    const connection = { disconnectAfterMs: 1500, retireAfterMs: 4000 };
    const handle = harness.env.client.workflow.getHandle(workflowIdFor(deviceId));
    const final = await harness.withWorker(queue, async () => {
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [20]), { connection });
      await harness.waitForApplied(deviceId, 1);
      await waitUntil(async () => (await handle.query(stateQuery)).connection.status === 'DISCONNECTED', 10_000);
      await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [21], 1), { connection });
      await harness.waitForApplied(deviceId, 2);
      return handle.result(); // completes when retired
    });
    expect(harness.deviceEvents.filter((e) => e.deviceId === deviceId).map((e) => e.type)).toEqual(['CONNECTED', 'DISCONNECTED', 'CONNECTED', 'DISCONNECTED', 'RETIRED']);
    expect(final.counters.readingsApplied).toBe(2);
    const retired = await handle.describe();
    expect(retired.status.name).toBe('COMPLETED');

    // A retired device that reports again starts afresh.
    const fresh = await harness.withWorker(queue, async () => {
      const started = await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [22], 2), { connection });
      expect(started.signaledRunId).not.toBe(retired.runId);
      return harness.waitForApplied(deviceId, 1);
    });
    expect(fresh.counters.readingsApplied).toBe(1);
    expect(fresh.memories.zscore.temp?.model.n).toBe(1);
  });
});

describe('the device loop\'s timer', () => {
  it('is started about once per disconnect period while readings keep coming, not once per batch, and still reports DISCONNECTED on silence', async () => {
    const deviceId = 'wf-timer';
    const connection = { disconnectAfterMs: 2000, retireAfterMs: 600_000 };
    const handle = harness.env.client.workflow.getHandle(workflowIdFor(deviceId));
    const batches = 12;
    await harness.withWorker(queue, async () => {
      for (let i = 0; i < batches; i += 1) {
        await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [20 + (i % 2) / 10], i), { connection });
        await harness.waitForApplied(deviceId, i + 1);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const busy = (await handle.fetchHistory()).events ?? [];
      const timersWhileBusy = busy.filter((event) => event.timerStartedEventAttributes).length;
      const signals = busy.filter((event) => event.workflowExecutionSignaledEventAttributes).length;
      expect(signals).toBe(batches);
      // Twelve batches over about four seconds: a timer per batch would be twelve; one kept is one or two, three at most.
      expect(timersWhileBusy).toBeGreaterThanOrEqual(1);
      expect(timersWhileBusy).toBeLessThanOrEqual(3);
      expect((await handle.query(stateQuery)).connection.status).toBe('CONNECTED');
      await waitUntil(async () => (await handle.query(stateQuery)).connection.status === 'DISCONNECTED', 10_000);
    });
    expect(harness.deviceEvents.filter((e) => e.deviceId === deviceId).map((e) => e.type)).toEqual(['CONNECTED', 'DISCONNECTED']);
    await handle.terminate('test done');
  });

  it('publishes once when a device goes quiet, its window changes and DISCONNECTED together, and publishes only with local activities', async () => {
    const deviceId = 'wf-quiet';
    const connection = { disconnectAfterMs: 2000, retireAfterMs: 600_000 };
    const handle = harness.env.client.workflow.getHandle(workflowIdFor(deviceId));
    const lastMinute = () => harness.aggregates.filter((a) => a.deviceId === deviceId && a.kind === 'last-minute');
    await harness.withWorker(queue, async () => {
      // The first batch publishes its windows at once (CONNECTED goes out); the next two change them within the update interval.
      for (let i = 0; i < 3; i += 1) {
        await harness.deliver(queue, deviceId, fieldReadings(deviceId, 'temp', [20 + i], i), { connection });
        await harness.waitForApplied(deviceId, i + 1);
      }
      const published = lastMinute().length;
      await waitUntil(async () => (await handle.query(stateQuery)).connection.status === 'DISCONNECTED', 10_000);
      await waitUntil(async () => harness.deviceEvents.some((e) => e.deviceId === deviceId && e.type === 'DISCONNECTED'), 5_000);
      expect(lastMinute().length, 'the window changes left over went out once, with DISCONNECTED').toBe(published + 1);
    });
    const events = (await handle.fetchHistory()).events ?? [];
    const signals = events.map((event, i) => (event.workflowExecutionSignaledEventAttributes ? i : -1)).filter((i) => i >= 0);
    const afterLastSignal = events.slice(signals.at(-1)! + 1);
    expect(afterLastSignal.filter((event) => event.markerRecordedEventAttributes).length, 'one publication after the last batch').toBe(1);
    // The timer kept while the batches came fires once early (its deadline had moved), then at the deadline.
    expect(afterLastSignal.filter((event) => event.timerFiredEventAttributes).length).toBeLessThanOrEqual(2);
    expect(events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'publishBatch'), 'no publication as a regular activity').toEqual([]);
    expect(events.filter((event) => event.markerRecordedEventAttributes).length, 'the first batch and the quiet device published, each once').toBe(2);
    expect(harness.deviceEvents.filter((e) => e.deviceId === deviceId).map((e) => e.type)).toEqual(['CONNECTED', 'DISCONNECTED']);
    await handle.terminate('test done');
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
