import { describe, expect, it } from 'vitest';
import { applyItems } from '../../src/device/apply';
import type { SourcedItem } from '../../src/device/item';
import { decodeModelRecord } from '../../src/formats/control';
import { Rejection } from '../../src/formats';
import { routeMessage } from '../../src/ingest/router';
import { testDevice } from '../support/reference';

/**
 * The sensor notebook's model topic: `{id, m2: {n, mean, m2}}` records, each device with a model
 * judged by it as the notebook judges (temp > mean + 4·stdev, above only, the model fixed).
 */
const MAX = 4096;
const model = { n: 10, mean: 20, m2: 9 }; // stdev sqrt(9 / 9) = 1: the line is 24
const record = (id: string) => Buffer.from(JSON.stringify({ id, m2: model }));

describe('the model topic', () => {
  it('decodes {id, m2} with or without a key into a fixed push of temp’s model, and refuses anything else', () => {
    for (const key of [undefined, '', 'office']) {
      expect(decodeModelRecord(record('office'), { key, timestamp: 0 }, MAX)).toStrictEqual({ type: 'model', deviceId: 'office', field: 'temp', model, fixed: true, by: 'model-topic' });
    }
    expect(() => decodeModelRecord(record('office'), { key: 'lab', timestamp: 0 }, MAX)).toThrow(/key-mismatch/);
    const bad = (() => {
      try {
        decodeModelRecord(Buffer.from('{"id":"office","m2":{"n":"ten"}}'), { key: undefined, timestamp: 0 }, MAX);
      } catch (error) {
        return error as Rejection;
      }
      return undefined;
    })();
    expect(bad?.code).toBe('invalid-schema');
    expect(routeMessage('model', { key: null, value: record('office'), timestamp: 0 }, { topic: 'modelTopic', partition: 0, offset: 3 }, MAX)).toMatchObject({ kind: 'device', deviceId: 'office', item: { control: { type: 'model', fixed: true } } });
  });

  it('judges a device with a pushed model as the notebook: above mean + 4·stdev only, from the first reading, the model never learning', () => {
    const state = testDevice('office');
    const control = decodeModelRecord(record('office'), { key: undefined, timestamp: 0 }, MAX);
    const T0 = 1_790_000_000_000;
    const reading = (i: number, temp: number): SourcedItem => ({ source: { topic: 'sensor-raw', partition: 0, offset: i }, reading: { deviceId: 'office', ts: T0 + i * 1000, values: { temp } } });
    const temps = [24.5, 23.9, 10, 25, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 21];
    const outcome = applyItems(state, [{ source: { topic: 'modelTopic', partition: 0, offset: 0 }, control }, ...temps.map((t, i) => reading(i + 1, t))]);
    const flagged = outcome.anomalies.filter((a) => a.field === 'temp' && a.status !== 'resolved').map((a) => a.value);
    // 24.5 > 24; 23.9 is not; 10 is far below but the notebook looks above only; the run of 25…40 is never a new level.
    expect(flagged).toEqual(temps.filter((t) => t > 24));
    expect(state.memories.zscore.temp).toMatchObject({ model, fixed: true });
    expect(state.settings.detectors.zscore.fields.temp).toMatchObject({ direction: 'above', minSamples: 2, relearnAfter: null });
  });
});
