import fs from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createActivities } from '../../src/activities';
import type { DeviceState } from '../../src/device-state';
import type { AnomalyEvent } from '../../src/events';
import { type SourcedReading, workflowIdFor } from '../../src/reading';
import { seededRandom } from '../../src/sample';
import { configureZScoreUpdate, type DeviceWorkflowInput, readingsSignal, stateQuery } from '../../src/workflows/definitions';
import type { deviceWorkflow } from '../../src/workflows/device';
import { defaultRule, referenceRun } from '../support/reference';
import { createLocalTemporal, temporalBinary, workflowsPath } from '../support/temporal';

const fixturesDir = path.resolve(__dirname, '../fixtures/histories');
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const published: AnomalyEvent[] = [];
/** Records what the workflow publishes; the Kafka side is covered by the end-to-end tests. */
const activities: ReturnType<typeof createActivities> = {
  async publishAnomalies(anomalies) {
    published.push(...anomalies);
  },
};

beforeAll(async () => {
  env = await createLocalTemporal();
  bundle = await bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
});
afterAll(async () => {
  await env?.teardown();
});

async function withWorker<T>(taskQueue: string, run: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
  return worker.runUntil(run());
}

function readingsFor(deviceId: string, count: number, spikes: number[], topic = 'wf-test'): SourcedReading[] {
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

function startArgs(deviceId: string, extra: Partial<DeviceWorkflowInput> = {}): [DeviceWorkflowInput] {
  return [{ deviceId, zscore: defaultRule, ...extra }];
}

async function waitForApplied(deviceId: string, count: number): Promise<DeviceState> {
  const handle = env.client.workflow.getHandle(workflowIdFor(deviceId));
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const state = await handle.query(stateQuery);
    if (state.readingsApplied >= count) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${deviceId} did not apply ${count} readings`);
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
        const handle = await env.client.workflow.signalWithStart<typeof deviceWorkflow, [{ readings: SourcedReading[] }]>('deviceWorkflow', {
          workflowId: workflowIdFor(deviceId),
          taskQueue: 'wf-can',
          args: startArgs(deviceId, { continueAsNewAfterEvents: 40 }),
          signal: readingsSignal,
          signalArgs: [{ readings: [...duplicate, ...batch] }],
        });
        firstRunId ??= handle.signaledRunId;
        // The first half goes one batch per workflow task, so the history grows past the
        // threshold for sure; the second half is a burst that races the continue-as-new.
        if (i < readings.length / 2) await waitForApplied(deviceId, i + batch.length);
      }
      const final = await waitForApplied(deviceId, readings.length);
      const first = await env.client.workflow.getHandle(workflowIdFor(deviceId), firstRunId).describe();
      expect(first.status.name).toBe('CONTINUED_AS_NEW');
      let runs = 0;
      for await (const _ of env.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(deviceId)}'` })) runs += 1;
      expect(runs).toBeGreaterThanOrEqual(3);
      return final;
    });
    expect(state.readingsApplied).toBe(300);
    expect(state.duplicatesSkipped).toBe(resent);
    expect(state.models).toEqual(reference.state.models);
    expect(state.anomalyCount).toBe(3);
    const mine = published.filter((a) => a.deviceId === deviceId);
    expect(mine.map((a) => a.eventId)).toEqual(reference.anomalies.map((a) => a.eventId));
    expect(mine.map((a) => a.source.offset)).toEqual([100, 200, 250]);
  });

  it('applies a valid z-score update from the next reading on and rejects an invalid one unchanged', async () => {
    const deviceId = 'wf-update';
    // 40 readings alternating 9 and 11: mean 10, stdev √(40/39) ≈ 1.0127.
    const warmup: SourcedReading[] = Array.from({ length: 40 }, (_, offset) => ({
      source: { topic: 'wf-test', partition: 0, offset },
      reading: { deviceId, ts: 1_700_000_000_000 + offset, values: { temp: offset % 2 === 0 ? 9 : 11 } },
    }));
    const probe = (offset: number): SourcedReading => ({
      source: { topic: 'wf-test', partition: 0, offset },
      reading: { deviceId, ts: 1_700_000_000_000 + offset, values: { temp: 13 } },
    });
    await withWorker('wf-update', async () => {
      const handle = await env.client.workflow.signalWithStart<typeof deviceWorkflow, [{ readings: SourcedReading[] }]>('deviceWorkflow', {
        workflowId: workflowIdFor(deviceId),
        taskQueue: 'wf-update',
        args: startArgs(deviceId),
        signal: readingsSignal,
        signalArgs: [{ readings: [...warmup, probe(40)] }],
      });
      let state = await waitForApplied(deviceId, 41);
      expect(state.anomalyCount).toBe(0); // z ≈ 2.96 < 4

      const before = state.zscore;
      for (const invalid of [{ rule: { k: -1 } }, { rule: { minSamples: 1 } }, { rule: { kk: 3 } }, { field: 'bad field!', rule: { k: 2 } }]) {
        await expect(handle.executeUpdate(configureZScoreUpdate, { args: [invalid as never] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      }
      state = await handle.query(stateQuery);
      expect(state.zscore).toEqual(before);

      const applied = await handle.executeUpdate(configureZScoreUpdate, { args: [{ field: 'temp', rule: { k: 2 } }] });
      expect(applied.fields.temp).toEqual({ k: 2 });
      await handle.signal(readingsSignal, { readings: [probe(41)] });
      state = await waitForApplied(deviceId, 42);
      expect(state.anomalyCount).toBe(1);
      expect(published.filter((a) => a.deviceId === deviceId).map((a) => [a.source.offset, a.rule.k])).toEqual([[41, 2]]);
    });
  });

  it('replays the recorded histories of these runs deterministically', async () => {
    let runs: Array<{ workflowId: string; runId: string }> = [];
    for (let attempt = 0; attempt < 50 && runs.length < 3; attempt += 1) {
      runs = [];
      for await (const run of env.client.workflow.list({ query: "WorkflowType = 'deviceWorkflow'" })) runs.push(run);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(runs.length).toBeGreaterThanOrEqual(3); // several runs of wf-can, one of wf-update
    const histories = await Promise.all(
      runs.map(async ({ workflowId, runId }) => ({ workflowId, history: await env.client.workflow.getHandle(workflowId, runId).fetchHistory() })),
    );
    if (process.env.RECORD_HISTORIES === '1') {
      // The CLI's JSON is the format `historyFromJSON` reads (and what operators export).
      fs.mkdirSync(fixturesDir, { recursive: true });
      for (const { workflowId, runId } of runs) {
        const json = execFileSync(temporalBinary, ['workflow', 'show', '--address', env.address, '-w', workflowId, '-r', runId, '-o', 'json']);
        fs.writeFileSync(path.join(fixturesDir, `${workflowId.replace(/\W+/g, '-')}-${runId.slice(0, 8)}.json`), json);
      }
    }
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      expect(result.error).toBeUndefined();
      replayed += 1;
    }
    expect(replayed).toBe(runs.length);
  });

  it('replays the committed histories of earlier versions: workflow changes stay compatible', async () => {
    const files = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(fixturesDir, file), 'utf8')));
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, file);
    }
  });
});
