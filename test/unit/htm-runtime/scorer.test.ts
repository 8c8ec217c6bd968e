import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HtmModel, type HtmParamsInput } from '../../../src/htm';
import { HtmCheckpointMissingError, HtmScorer, type HtmScorerOptions } from '../../../src/htm-runtime';
import { LocalDirectoryModelStore } from '../../../src/model-store';
import { seededRandom } from '../../../src/samples';
import { directResults, exactResults, makeReadings, randomBatches, SimulatedWorkflow, smallBacktrackingParams, smallParams, smallRangeLearningParams } from './helpers';

const roots: string[] = [];
const scorers: HtmScorer[] = [];

function newStoreDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-htm-runtime-'));
  roots.push(dir);
  return dir;
}

function newScorer(dir: string, options: Partial<HtmScorerOptions> = {}): HtmScorer {
  const scorer = new HtmScorer({ store: { kind: 'local-directory', dir }, threads: 2, ...options });
  scorers.push(scorer);
  return scorer;
}

afterEach(async () => {
  await Promise.all(scorers.splice(0).map((scorer) => scorer.close()));
});

afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/** Two device ids whose models live on the same thread. */
function devicesSharingAThread(scorer: HtmScorer, field: string): [string, string] {
  const first = 'device-a';
  for (let index = 0; ; index++) {
    const candidate = `device-b${index}`;
    if (scorer.threadIndexFor(candidate, field) === scorer.threadIndexFor(first, field)) return [first, candidate];
  }
}

describe('HtmScorer', () => {
  it.each<[string, HtmParamsInput]>([
    ['a configured range', smallParams],
    ['a learnt range', smallRangeLearningParams],
  ])('with %s, scores 1,000 readings in random batches, checkpointing every 100, exactly as one uninterrupted model', async (_, params) => {
    const readings = makeReadings(1, 1000);
    const dir = newStoreDir();
    const scorer = newScorer(dir);
    const workflow = new SimulatedWorkflow('device-1', 'value', params, 100);
    let offset = 0;
    for (const size of randomBatches(2, readings.length, 60)) {
      const batch = readings.slice(offset, (offset += size));
      workflow.apply(batch, await scorer.score(workflow.input(batch)));
    }

    expect(exactResults(workflow.results)).toEqual(exactResults(directResults(params, readings)));
    // Only the first call found no model; every later one continued the live model.
    expect(scorer.stats).toMatchObject({ rebuilds: 1, readingsScored: 1000, modelsCached: 1 });
    expect(workflow.checkpointVersion).toBeGreaterThanOrEqual(900);
    const versions = await new LocalDirectoryModelStore(dir).versions({ deviceId: 'device-1', field: 'value' });
    expect(versions).toHaveLength(3);
    expect(versions.at(-1)).toBe(workflow.checkpointVersion);
  });

  it.each<[string, HtmParamsInput]>([
    ['plain', smallRangeLearningParams],
    ['backtracking', smallBacktrackingParams],
  ])('with the %s temporal memory, stays exact when threads crash, scorers are replaced and results are lost at random points', async (_, params) => {
    const readings = makeReadings(3, 1000);
    const dir = newStoreDir();
    const random = seededRandom(4);
    let scorer = newScorer(dir);
    const workflow = new SimulatedWorkflow('device-1', 'value', params, 100);
    const events = { restarts: 0, newScorers: 0, lostResults: 0 };
    // Disturbances strike at random points; their kinds take turns so that each one occurs.
    const kinds = ['restart threads', 'lose a result', 'replace the scorer', 'lose a result'] as const;
    let disturbances = 0;
    let offset = 0;
    while (offset < readings.length) {
      if (random() < 0.35) {
        const kind = kinds[disturbances++ % kinds.length];
        if (kind === 'restart threads') {
          await scorer.restartThreads();
          events.restarts++;
        } else if (kind === 'replace the scorer') {
          await scorer.close();
          scorer = newScorer(dir);
          events.newScorers++;
        } else {
          // The call ran (maybe saving a checkpoint) but its result never reached the
          // workflow; the workflow's next call may carry more readings than the lost one.
          await scorer.score(workflow.input(readings.slice(offset, offset + 1 + Math.floor(random() * 50))));
          events.lostResults++;
        }
      }
      const batch = readings.slice(offset, (offset += 1 + Math.floor(random() * 50)));
      workflow.apply(batch, await scorer.score(workflow.input(batch)));
    }

    expect(exactResults(workflow.results)).toEqual(exactResults(directResults(params, readings)));
    expect(events.restarts).toBeGreaterThanOrEqual(2);
    expect(events.newScorers).toBeGreaterThanOrEqual(2);
    expect(events.lostResults).toBeGreaterThanOrEqual(4);
    // The checkpoints the replaced scorers went on from hold the temporal memory they were made with.
    const newest = await new LocalDirectoryModelStore(dir).load({ deviceId: 'device-1', field: 'value' });
    expect(newest?.version).toBe(workflow.checkpointVersion);
    expect(HtmModel.restore(newest!.bytes).params.temporalMemory).toBe(params.temporalMemory ?? 'plain');
  });

  it('gives the same results to a retried call, before and after the checkpoint it saves', async () => {
    const readings = makeReadings(5, 260);
    const scorer = newScorer(newStoreDir());
    const workflow = new SimulatedWorkflow('device-1', 'value', smallParams, 100);
    const direct = exactResults(directResults(smallParams, readings));

    const first = readings.slice(0, 80);
    const firstInput = workflow.input(first);
    const firstOutput = await scorer.score(firstInput);
    const retried = await scorer.score(firstInput);
    expect(exactResults(retried.results)).toEqual(exactResults(firstOutput.results));
    expect(retried.rebuilt).toBe(true); // the cache was 80 readings ahead of the retry
    workflow.apply(first, retried);

    // This call saves checkpoint 150; its result is lost, so the retry trusts version 0 still
    // and must ignore the newer checkpoint and the model the thread holds at 150.
    const second = readings.slice(80, 150);
    const secondInput = workflow.input(second);
    const lost = await scorer.score(secondInput);
    expect(lost.checkpointVersion).toBe(150);
    const secondOutput = await scorer.score(secondInput);
    expect(secondOutput).toMatchObject({ checkpointVersion: 150, rebuilt: true });
    expect(exactResults(secondOutput.results)).toEqual(exactResults(lost.results));
    workflow.apply(second, secondOutput);

    const third = readings.slice(150);
    const thirdOutput = await scorer.score(workflow.input(third));
    expect(thirdOutput.rebuilt).toBe(false);
    workflow.apply(third, thirdOutput);
    expect(exactResults(workflow.results)).toEqual(direct);
  });

  it('keeps two devices on the same thread apart, even when called concurrently', async () => {
    const scorer = newScorer(newStoreDir());
    const [deviceA, deviceB] = devicesSharingAThread(scorer, 'value');
    const readingsA = makeReadings(6, 400);
    const readingsB = makeReadings(7, 400);
    const workflowA = new SimulatedWorkflow(deviceA, 'value', smallParams, 100);
    const workflowB = new SimulatedWorkflow(deviceB, 'value', smallRangeLearningParams, 100);
    const sizes = randomBatches(8, 400, 40);
    let offset = 0;
    for (const size of sizes) {
      const batchA = readingsA.slice(offset, offset + size);
      const batchB = readingsB.slice(offset, offset + size);
      offset += size;
      const [outputA, outputB] = await Promise.all([scorer.score(workflowA.input(batchA)), scorer.score(workflowB.input(batchB))]);
      workflowA.apply(batchA, outputA);
      workflowB.apply(batchB, outputB);
    }

    expect(exactResults(workflowA.results)).toEqual(exactResults(directResults(smallParams, readingsA)));
    expect(exactResults(workflowB.results)).toEqual(exactResults(directResults(smallRangeLearningParams, readingsB)));
    expect(scorer.stats).toMatchObject({ rebuilds: 2, modelsCached: 2 });
  });

  it('stays exact when a one-model cache evicts one device for the other on every call', async () => {
    const scorer = newScorer(newStoreDir(), { cacheSize: 1 });
    const [deviceA, deviceB] = devicesSharingAThread(scorer, 'value');
    const readingsA = makeReadings(9, 250);
    const readingsB = makeReadings(10, 250);
    const workflowA = new SimulatedWorkflow(deviceA, 'value', smallParams, 100);
    const workflowB = new SimulatedWorkflow(deviceB, 'value', smallParams, 100);
    for (let offset = 0; offset < 250; offset += 25) {
      const batchA = readingsA.slice(offset, offset + 25);
      workflowA.apply(batchA, await scorer.score(workflowA.input(batchA)));
      const batchB = readingsB.slice(offset, offset + 25);
      workflowB.apply(batchB, await scorer.score(workflowB.input(batchB)));
    }

    expect(exactResults(workflowA.results)).toEqual(exactResults(directResults(smallParams, readingsA)));
    expect(exactResults(workflowB.results)).toEqual(exactResults(directResults(smallParams, readingsB)));
    expect(scorer.stats).toMatchObject({ rebuilds: 20, modelsCached: 1 });
  });

  it('fails clearly when the named checkpoint is not in the store', async () => {
    const scorer = newScorer(newStoreDir());
    const call = scorer.score({ deviceId: 'device-1', field: 'value', params: smallParams, checkpointVersion: 500, readings: makeReadings(1, 3), newCount: 3, checkpointEvery: 100 });
    await expect(call).rejects.toBeInstanceOf(HtmCheckpointMissingError);
    await expect(call).rejects.toThrow(/checkpoint version 500 of device "device-1" field "value" is not in the model store/);
  });

  it('rejects a malformed input before it reaches a thread', async () => {
    const scorer = newScorer(newStoreDir());
    const input = { deviceId: 'device-1', field: 'value', params: smallParams, checkpointVersion: 0, readings: makeReadings(1, 3), newCount: 4, checkpointEvery: 100 };
    await expect(scorer.score(input)).rejects.toThrow(/newCount must be a whole number in \[0, 3\], got 4/);
    expect(scorer.stats.calls).toBe(0);
  });

  it('fails the calls in flight when a thread dies, and serves later calls on a new thread', async () => {
    const scorer = newScorer(newStoreDir());
    const workflow = new SimulatedWorkflow('device-1', 'value', smallParams, 1000);
    const readings = makeReadings(11, 300);
    const inFlight = scorer.score(workflow.input(readings.slice(0, 200)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await scorer.restartThreads();
    await expect(inFlight).rejects.toThrow(/exited/);

    const batch = readings.slice(0, 300);
    const output = await scorer.score(workflow.input(batch));
    expect(exactResults(output.results)).toEqual(exactResults(directResults(smallParams, readings)));
  });
});
