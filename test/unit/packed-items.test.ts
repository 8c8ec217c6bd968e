import { describe, expect, it } from 'vitest';
import type { SourcedItem } from '../../src/device/item';
import { packedItemsSchema, packItems, unpackItems } from '../../src/device/packed-items';
import { generateSensorSample } from '../../src/samples';

const T = 1_790_000_000_000;
const reading = (topic: string, partition: number, offset: number, ts: number, values: Record<string, number>, extra: { attrs?: Record<string, string>; clock?: 'broker' } = {}): SourcedItem => ({
  source: { topic, partition, offset },
  reading: { deviceId: 'd1', ts, values, ...extra },
});

describe('packed items: what a deliver signal carries', () => {
  it('says the topic-partitions and field names once, and offsets and times as deltas', () => {
    const items: SourcedItem[] = [
      reading('sensor-raw', 3, 1000, T, { temp: 21.5, hum: 40 }),
      reading('sensor-raw', 3, 1001, T + 1000, { temp: 21.6, hum: 41 }),
      { source: { topic: 'control', partition: 0, offset: 7 }, control: { type: 'detectors', deviceId: 'd1', field: 'temp', detectors: ['zscore'], by: 'test' } },
      reading('sensor-raw', 3, 1005, T + 900, { hum: 39 }), // earlier in event time, a field missing
      reading('sensor-csv', 1, 20, T + 2000, { temp: 101 }, { attrs: { status: 'FAIL' }, clock: 'broker' }),
      reading('sensor-csv', 1, 21, T + 2500, { temp: 99 }, { attrs: { status: 'OK' } }),
    ];
    const packed = packItems(items);
    expect(packed).toEqual({
      parts: [['sensor-raw', 3, 1000], ['control', 0, 7], ['sensor-csv', 1, 20]],
      fields: ['temp', 'hum'],
      items: [
        [0, 0, T, [21.5, 40]],
        [0, 1, 1000, [21.6, 41]],
        { part: 1, offset: 0, control: { type: 'detectors', deviceId: 'd1', field: 'temp', detectors: ['zscore'], by: 'test' } },
        [0, 4, -100, [null, 39]],
        [2, 0, 1100, [101], { status: 'FAIL' }, 'broker'],
        [2, 1, 500, [99], { status: 'OK' }],
      ],
    });
    expect(packedItemsSchema.parse(packed)).toEqual(packed);
    expect(unpackItems('d1', packed)).toEqual(items);
  });

  it('gives back exactly the items of a sensor run, in a fifth of the bytes', () => {
    const sample = generateSensorSample({ devices: 1, readingsPerDevice: 500, spikesPerDevice: 3, seed: 7, prefix: 'dev-', startTs: T, intervalMs: 1000 });
    const items: SourcedItem[] = sample.records.map((r, i) => ({ source: { topic: 'bench-lk3j2.readings', partition: 5, offset: 123_456 + i }, reading: { deviceId: r.id, ts: r.ts, values: { temp: r.temp, hum: r.hum } } }));
    const packed = packItems(items);
    expect(unpackItems('dev-1', packed)).toEqual(items);
    const ratio = JSON.stringify(packed).length / JSON.stringify({ items }).length;
    expect(ratio).toBeLessThan(0.2);
  });

  it('packs nothing as nothing', () => {
    expect(unpackItems('d1', packItems([]))).toEqual([]);
  });
});
