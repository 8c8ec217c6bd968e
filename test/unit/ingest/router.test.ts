import { describe, expect, it } from 'vitest';
import { formats } from '../../../src/formats';
import { routeMessage } from '../../../src/ingest/router';

const source = { topic: 'in', partition: 2, offset: 7 };
const message = (key: string | null, value: string) => ({ key: key === null ? null : Buffer.from(key), value: Buffer.from(value), timestamp: 1_700_000_000_000 });

describe('routeMessage', () => {
  it('sends a valid reading to its device, with its source', () => {
    const route = routeMessage(formats.sensor, message('s1', '{"id":"s1","ts":1000,"temp":20.5,"hum":40}'), source, 1024);
    expect(route).toEqual({ kind: 'device', deviceId: 's1', item: { source, reading: { deviceId: 's1', ts: 1000, values: { temp: 20.5, hum: 40 } } } });
  });

  it('sends a reading without a key to the device its record names, marked unkeyed (it is put in event-time order)', () => {
    for (const key of [null, '']) {
      const route = routeMessage(formats.sensor, message(key, '{"id":"s1","ts":1000,"temp":20.5,"hum":40}'), source, 1024);
      expect(route).toEqual({ kind: 'device', deviceId: 's1', item: { source, reading: { deviceId: 's1', ts: 1000, values: { temp: 20.5, hum: 40 } }, unkeyed: true } });
    }
    const meter = routeMessage(formats.usage, message(null, '{"ts": "2024-01-08 08:10:00", "value": 412.0}'), source, 1024);
    expect(meter).toMatchObject({ kind: 'device', deviceId: 'meter', item: { unkeyed: true } });
  });

  it('sends a control message to its device, and a `*` threshold row to the fleet', () => {
    expect(routeMessage(undefined, message('h1', 'h1,cpu,0,80'), source, 1024)).toMatchObject({
      kind: 'device',
      deviceId: 'h1',
      item: { source, control: { type: 'thresholds', deviceId: 'h1', changes: [{ field: 'cpu', rule: { low: 0, high: 80 } }] } },
    });
    expect(routeMessage(undefined, message('*', '*,temp,,100'), source, 1024)).toMatchObject({ kind: 'fleet', row: { device: '*', change: { field: 'temp', rule: { low: null, high: 100 } } } });
  });

  it('rejects what cannot be read, with the reason its dead letter carries', () => {
    const reason = (format: typeof formats.sensor | undefined, key: string | null, value: string) => {
      const route = routeMessage(format, message(key, value), source, 64);
      return route.kind === 'rejected' ? route.rejection.code : route.kind;
    };
    expect(reason(formats.sensor, 's1', '{"id":')).toBe('invalid-json');
    expect(reason(formats.sensor, 's1', '{"id":"s1","ts":1000,"temp":"hot","hum":40}')).toBe('invalid-schema');
    expect(reason(formats.sensor, null, '{"id":"s1","ts":1000,"temp":20,"hum":40}')).toBe('device');
    expect(reason(formats.sensor, 's2', '{"id":"s1","ts":1000,"temp":20,"hum":40}')).toBe('key-mismatch');
    expect(reason(formats.sensor, 's1', `{"id":"s1","ts":1000,"temp":20,"hum":40,"pad":"${'x'.repeat(64)}"}`)).toBe('oversized');
    expect(reason(undefined, 'h1', 'h1,cpu')).toBe('invalid-schema');
  });

  it('keeps a message whose decoder fails as a decoder-error, never throws', () => {
    const broken = { ...formats.sensor, toReading: () => { throw new TypeError('bug'); } };
    const route = routeMessage(broken, message('s1', '{"id":"s1","ts":1000,"temp":20,"hum":40}'), source, 1024);
    expect(route).toMatchObject({ kind: 'rejected', rejection: { code: 'decoder-error' } });
  });
});
