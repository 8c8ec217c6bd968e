import { describe, expect, it } from 'vitest';
import { HtmModel } from '../../../src/htm';
import type { HtmReading, HtmScoreInput } from '../../../src/htm-runtime';
import { ModelCache } from '../../../src/htm-runtime/model-cache';
import { scoreReadings, type ScoreContext } from '../../../src/htm-runtime/score-readings';
import { directResults, exactResults, makeReadings, MemoryModelStore, smallParams } from './helpers';

/** The thread's logic in-process: the cache rules, without thread start-up costs. */
function newContext(capacity = 10): ScoreContext & { store: MemoryModelStore } {
  return { cache: new ModelCache(capacity), store: new MemoryModelStore() };
}

function inputFor(readings: HtmReading[], newCount: number, checkpointVersion = 0, checkpointEvery = 1000): HtmScoreInput {
  return { deviceId: 'device-1', field: 'value', params: smallParams, checkpointVersion, readings, newCount, checkpointEvery };
}

describe('scoreReadings', () => {
  it('continues the cached model when it is exactly at the state before the new readings', async () => {
    const context = newContext();
    const readings = makeReadings(1, 60);
    expect((await scoreReadings(inputFor(readings.slice(0, 30), 30), context)).rebuilt).toBe(true);
    const second = await scoreReadings(inputFor(readings, 30), context);
    expect(second.rebuilt).toBe(false);
    expect(second.restoreMs).toBeUndefined();
  });

  it('rebuilds when the cached model saw other readings, even at the same count', async () => {
    const context = newContext();
    const readings = makeReadings(1, 60);
    const otherHistory = makeReadings(2, 30);
    await scoreReadings(inputFor(otherHistory, 30), context);
    const output = await scoreReadings(inputFor(readings, 30), context);
    expect(output.rebuilt).toBe(true);
    expect(exactResults(output.results)).toEqual(exactResults(directResults(smallParams, readings).slice(30)));
  });

  it('rebuilds when the params changed before the first checkpoint', async () => {
    const context = newContext();
    const readings = makeReadings(1, 60);
    await scoreReadings(inputFor(readings.slice(0, 30), 30), context);
    const widerRange = { ...smallParams, valueMax: 200 };
    const output = await scoreReadings({ ...inputFor(readings, 30), params: widerRange }, context);
    expect(output.rebuilt).toBe(true);
    expect(exactResults(output.results)).toEqual(exactResults(directResults(widerRange, readings).slice(30)));
  });

  it('drops a model whose batch failed midway, so the retry starts from a known state', async () => {
    const context = newContext();
    const readings = makeReadings(1, 40);
    const broken: HtmReading[] = [...readings.slice(0, 20), [readings[20]![0], Number.POSITIVE_INFINITY], ...readings.slice(21)];
    await expect(scoreReadings(inputFor(broken, 40), context)).rejects.toThrow(/finite number or NaN/);
    expect(context.cache.size).toBe(0);
    const output = await scoreReadings(inputFor(readings, 40), context);
    expect(exactResults(output.results)).toEqual(exactResults(directResults(smallParams, readings)));
  });

  it('saves a checkpoint at readingsApplied and keeps the checkpointed model cached', async () => {
    const context = newContext();
    const readings = makeReadings(1, 150);
    const first = await scoreReadings(inputFor(readings.slice(0, 100), 100, 0, 100), context);
    expect(first.checkpointVersion).toBe(100);
    const stored = await context.store.load({ deviceId: 'device-1', field: 'value' }, 100);
    expect(stored?.bytes).toBeDefined();
    expect(HtmModel.restore(stored!.bytes).readingsApplied).toBe(100);
    const second = await scoreReadings(inputFor(readings.slice(100), 50, 100, 100), context);
    expect(second).toMatchObject({ rebuilt: false, checkpointVersion: 100 });
  });

  it('refuses a checkpoint that holds another version than its name says', async () => {
    const context = newContext();
    const model = HtmModel.create(smallParams);
    for (const [ts, value] of makeReadings(1, 10)) model.compute(ts, value);
    await context.store.save({ deviceId: 'device-1', field: 'value' }, 20, model.snapshot());
    await expect(scoreReadings(inputFor(makeReadings(1, 1), 1, 20), context)).rejects.toThrow(/checkpoint version 20 .* holds a model that applied 10 readings/);
  });
});

describe('ModelCache', () => {
  it('evicts the least recently used model beyond its capacity', () => {
    const cache = new ModelCache(2);
    const entry = (id: string) => ({ model: HtmModel.create(smallParams), checkpointVersion: 0, fingerprint: id });
    cache.put('a', entry('a'));
    cache.put('b', entry('b'));
    cache.put('a', cache.take('a')!); // used: b is now the oldest
    cache.put('c', entry('c'));
    expect(cache.size).toBe(2);
    expect(cache.take('b')).toBeUndefined();
    expect(cache.take('a')?.fingerprint).toBe('a');
    expect(cache.take('c')?.fingerprint).toBe('c');
  });
});
