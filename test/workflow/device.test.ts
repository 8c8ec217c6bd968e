import fs from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { SourcedItem } from '../../src/device/item';
import { workflowIdFor, configureZScoreUpdate, deliverSignal, type DeliveryBatch, deliveryOf, stateQuery } from '../../src/workflows/definitions';
import { seededRandom } from '../../src/samples';
import type { deviceWorkflow } from '../../src/workflows/device';
import { referenceRun } from '../support/reference';
import { temporalBinary } from '../support/temporal';
import { useWorkflowHarness } from '../support/workflow-harness';

const fixturesDir = path.resolve(__dirname, '../fixtures/histories');
const harness = useWorkflowHarness();
const { published } = harness;
const withWorker = harness.withWorker;
const startArgs = harness.startArgs;
const waitForApplied = harness.waitForApplied;

function readingsFor(deviceId: string, count: number, spikes: number[], topic = 'wf-test'): SourcedItem[] {
  const random = seededRandom(7);
  return Array.from({ length: count }, (_, offset) => ({
    source: { topic, partition: 0, offset },
    reading: {
      deviceId,
      ts: 1_700_000_000_000 + offset * 1000,
      values: { temp: 20 + (random() * 2 - 1) + (spikes.includes(offset) ? 15 : 0) },
    },
  }));
}

describe('device workflow', () => {
  it('continues as new under a low threshold and applies every reading exactly once', async () => {
    const deviceId = 'wf-can';
    const readings = readingsFor(deviceId, 300, [100, 200, 250]);
    const reference = referenceRun(deviceId, readings);
    let resent = 0;
    const state = await withWorker('wf-can', async () => {
      let firstRunId: string | undefined;
      for (let i = 0; i < readings.length; i += 10) {
        const batch = readings.slice(i, i + 10);
        // Every fifth batch also re-delivers the previous one, as the ingest does after a crash.
        const duplicate = i > 0 && (i / 10) % 5 === 0 ? readings.slice(i - 10, i) : [];
        resent += duplicate.length;
        const handle = await harness.env.client.workflow.signalWithStart<typeof deviceWorkflow, [DeliveryBatch]>('deviceWorkflow', {
          workflowId: workflowIdFor(deviceId),
          taskQueue: 'wf-can',
          args: startArgs(deviceId, { continueAsNewAfterEvents: 40 }),
          signal: deliverSignal,
          signalArgs: [deliveryOf([...duplicate, ...batch])],
        });
        firstRunId ??= handle.signaledRunId;
        // The first half goes one batch per workflow task, so the history grows past the
        // threshold for sure; the second half is a burst that races the continue-as-new.
        if (i < readings.length / 2) await waitForApplied(deviceId, i + batch.length);
      }
      const final = await waitForApplied(deviceId, readings.length);
      const first = await harness.env.client.workflow.getHandle(workflowIdFor(deviceId), firstRunId).describe();
      expect(first.status.name).toBe('CONTINUED_AS_NEW');
      let runs = 0;
      for await (const _ of harness.env.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(deviceId)}'` })) runs += 1;
      expect(runs).toBeGreaterThanOrEqual(3);
      return final;
    });
    expect(state.counters.readingsApplied).toBe(300);
    expect(state.counters.duplicatesSkipped).toBe(resent);
    expect(state.memories.zscore).toEqual(reference.state.memories.zscore);
    expect(state.counters.anomalyCount).toBe(3);
    const mine = published.filter((a) => a.deviceId === deviceId);
    expect(mine.map((a) => a.eventId)).toEqual(reference.anomalies.map((a) => a.eventId));
    // Each isolated spike is raised, then resolved by the next normal reading.
    expect(mine.map((a) => [a.status, a.source.offset])).toEqual([
      ['raised', 100], ['resolved', 101], ['raised', 200], ['resolved', 201], ['raised', 250], ['resolved', 251],
    ]);
  });

  it('publishes every anomaly step once when signals keep racing the tasks that publish and continue as new', async () => {
    const deviceId = 'wf-can-race';
    const spikes = Array.from({ length: 14 }, (_, k) => 20 + k * 20);
    const readings = readingsFor(deviceId, 300, spikes);
    const reference = referenceRun(deviceId, readings);
    harness.publishDelayMs = 150;
    try {
      await withWorker('wf-can-race', async () => {
        // Small batches, sent faster than the slow publications finish: signals arrive while tasks that publish (and continue as new) run.
        for (let i = 0; i < readings.length; i += 5) {
          await harness.env.client.workflow.signalWithStart<typeof deviceWorkflow, [DeliveryBatch]>('deviceWorkflow', {
            workflowId: workflowIdFor(deviceId),
            taskQueue: 'wf-can-race',
            args: startArgs(deviceId, { continueAsNewAfterEvents: 20 }),
            signal: deliverSignal,
            signalArgs: [deliveryOf(readings.slice(i, i + 5))],
          });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await waitForApplied(deviceId, readings.length);
      });
    } finally {
      harness.publishDelayMs = 0;
    }
    let runs = 0;
    for await (const _ of harness.env.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(deviceId)}'` })) runs += 1;
    expect(runs, 'it continued as new, more than once').toBeGreaterThanOrEqual(3);
    expect(published.filter((a) => a.deviceId === deviceId).map((a) => a.eventId)).toEqual(reference.anomalies.map((a) => a.eventId));
  });

  it('works a backlog down before continuing as new, so the next run carries at most one slice of it', async () => {
    const deviceId = 'wf-can-backlog';
    const readings = readingsFor(deviceId, 3200, [1000, 2000]);
    const reference = referenceRun(deviceId, readings);
    const state = await withWorker('wf-can-backlog', async () => {
      // Eight signals of 400 at once: a backlog of thousands when the first run has to continue as new.
      for (let i = 0; i < readings.length; i += 400) {
        await harness.deliver('wf-can-backlog', deviceId, readings.slice(i, i + 400), { continueAsNewAfterEvents: 10 });
      }
      return waitForApplied(deviceId, readings.length);
    });
    expect(state.counters.readingsApplied).toBe(readings.length);
    expect(state.memories.zscore).toEqual(reference.state.memories.zscore);
    const carried: number[] = [];
    for await (const run of harness.env.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(deviceId)}'` })) {
      const history = await harness.env.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      const input = JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')) as { pending?: SourcedItem[] };
      carried.push(input.pending?.length ?? 0);
    }
    expect(carried.length, 'it continued as new').toBeGreaterThan(1);
    expect(Math.max(...carried), `items carried into each run: ${carried.join(', ')}`).toBeLessThanOrEqual(500);
  });

  it('applies a valid z-score update from the next reading on and rejects an invalid one unchanged', async () => {
    const deviceId = 'wf-update';
    // 40 readings alternating 9 and 11: mean 10, stdev √(40/39) ≈ 1.0127.
    const warmup: SourcedItem[] = Array.from({ length: 40 }, (_, offset) => ({
      source: { topic: 'wf-test', partition: 0, offset },
      reading: { deviceId, ts: 1_700_000_000_000 + offset, values: { temp: offset % 2 === 0 ? 9 : 11 } },
    }));
    const probe = (offset: number): SourcedItem => ({
      source: { topic: 'wf-test', partition: 0, offset },
      reading: { deviceId, ts: 1_700_000_000_000 + offset, values: { temp: 13 } },
    });
    await withWorker('wf-update', async () => {
      const handle = await harness.env.client.workflow.signalWithStart<typeof deviceWorkflow, [DeliveryBatch]>('deviceWorkflow', {
        workflowId: workflowIdFor(deviceId),
        taskQueue: 'wf-update',
        args: startArgs(deviceId),
        signal: deliverSignal,
        signalArgs: [deliveryOf([...warmup, probe(40)])],
      });
      let state = await waitForApplied(deviceId, 41);
      expect(state.counters.anomalyCount).toBe(0); // z ≈ 2.96 < 4

      const before = state.settings.detectors.zscore;
      for (const invalid of [
        { rule: { k: -1 }, by: 'test' },
        { rule: { minSamples: 1 }, by: 'test' },
        { rule: { kk: 3 }, by: 'test' },
        { field: 'bad field!', rule: { k: 2 }, by: 'test' },
        { rule: { k: 2 } }, // no author: every change says who made it
      ]) {
        await expect(handle.executeUpdate(configureZScoreUpdate, { args: [invalid as never] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      }
      state = await handle.query(stateQuery);
      expect(state.settings.detectors.zscore).toEqual(before);

      const applied = await handle.executeUpdate(configureZScoreUpdate, { args: [{ field: 'temp', rule: { k: 2 }, by: 'test' }] });
      expect(applied.fields.temp).toEqual({ k: 2 });
      await handle.signal(deliverSignal, deliveryOf([probe(41)]));
      state = await waitForApplied(deviceId, 42);
      expect(state.counters.anomalyCount).toBe(1);
      expect(published.filter((a) => a.deviceId === deviceId).map((a) => [a.status, a.source.offset, a.explanation.kind === 'zscore' && a.explanation.k])).toEqual([['raised', 41, 2]]);
    });
  });

  it('replays the recorded histories of these runs deterministically', async () => {
    // Every device of the tests above: visibility may lag behind the last of them.
    const devices = ['device:wf-can', 'device:wf-can-backlog', 'device:wf-can-race', 'device:wf-update'];
    let runs: Array<{ workflowId: string; runId: string }> = [];
    for (let attempt = 0; attempt < 50 && !devices.every((id) => runs.some((run) => run.workflowId === id)); attempt += 1) {
      runs = [];
      for await (const run of harness.env.client.workflow.list({ query: "WorkflowType = 'deviceWorkflow'" })) runs.push(run);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect([...new Set(runs.map((run) => run.workflowId))].sort()).toEqual(devices); // several runs of wf-can and wf-can-race, one each of the others
    const fetched = await Promise.all(
      runs.map(async ({ workflowId, runId }) => ({ workflowId, runId, history: await harness.env.client.workflow.getHandle(workflowId, runId).fetchHistory() })),
    );
    // A run caught before its first workflow task has nothing to replay, and replaying such a
    // history never finishes: only runs with a completed workflow task are checked or recorded.
    const histories = fetched.filter(({ history }) => history.events?.some((event) => event.workflowTaskCompletedEventAttributes));
    expect(histories.length).toBeGreaterThanOrEqual(3);
    if (process.env.RECORD_HISTORIES === '1') {
      // The CLI's JSON is the format `historyFromJSON` reads (and what operators export).
      fs.mkdirSync(fixturesDir, { recursive: true });
      for (const { workflowId, runId } of histories) {
        const json = execFileSync(temporalBinary, ['workflow', 'show', '--address', harness.env.address, '-w', workflowId, '-r', runId, '-o', 'json']);
        fs.writeFileSync(path.join(fixturesDir, `${workflowId.replace(/\W+/g, '-')}-${runId.slice(0, 8)}.json`), json);
      }
    }
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: harness.bundle }, histories)) {
      expect(result.error).toBeUndefined();
      replayed += 1;
    }
    expect(replayed).toBe(histories.length);
  });

  it('replays the committed histories of earlier versions: workflow changes stay compatible', async () => {
    const files = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(fixturesDir, file), 'utf8')));
      await Worker.runReplayHistory({ workflowBundle: harness.bundle }, history, file);
    }
  });
});
