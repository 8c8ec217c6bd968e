import { describe, expect, it } from 'vitest';
import { decodeMessage, formats, Rejection, type RejectionCode } from '../../src/formats';
import type { InputFormat, MessageMeta } from '../../src/formats/format';

const MAX = 1024;
const meta = (key: string | undefined): MessageMeta => ({ key, timestamp: 1_700_000_000_000 });
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function rejectionOf(format: InputFormat, value: Buffer | null, key: string | undefined, maxBytes = MAX): Rejection {
  try {
    decodeMessage(format, value, meta(key), maxBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(Rejection);
    return error as Rejection;
  }
  throw new Error('expected a Rejection, but the message was accepted');
}

const expectRejected = (code: RejectionCode, format: InputFormat, value: Buffer | null, key: string | undefined, maxBytes = MAX) =>
  expect(rejectionOf(format, value, key, maxBytes).code).toBe(code);

describe('decodeMessage: accepted messages', () => {
  it('maps a canonical reading message to itself', () => {
    const reading = { deviceId: 'dev-1', ts: 1_700_000_000_123, values: { temp: 21.5, hum: -3 }, attrs: { site: 'a' } };
    expect(decodeMessage(formats.reading, json(reading), meta('dev-1'), MAX)).toEqual(reading);
  });

  it('maps a seed-000 sensor record to the canonical reading', () => {
    const value = json({ id: 'sensor-7', ts: 1_700_000_000_000, temp: 20.125, hum: 45.5 });
    expect(decodeMessage(formats.sensor, value, meta('sensor-7'), MAX)).toEqual({
      deviceId: 'sensor-7',
      ts: 1_700_000_000_000,
      values: { temp: 20.125, hum: 45.5 },
    });
  });

  it('accepts a message of exactly maxBytes', () => {
    const value = json({ id: 's', ts: 0, temp: 1, hum: 2 });
    expect(decodeMessage(formats.sensor, value, meta('s'), value.length).deviceId).toBe('s');
    expectRejected('oversized', formats.sensor, value, 's', value.length - 1);
  });

  it('names both formats', () => {
    expect(Object.keys(formats).sort()).toEqual(['reading', 'sensor']);
    expect(formats.reading.name).toBe('reading');
    expect(formats.sensor.name).toBe('sensor');
  });
});

describe('decodeMessage: rejections', () => {
  const sensor = formats.sensor;
  const good = { id: 's1', ts: 1000, temp: 20, hum: 40 };

  it('rejects an empty or null value as invalid-json', () => {
    expectRejected('invalid-json', sensor, Buffer.alloc(0), 's1');
    expectRejected('invalid-json', sensor, null, 's1');
    // Emptiness is checked before the key.
    expectRejected('invalid-json', sensor, null, undefined);
  });

  it('rejects a value over maxBytes as oversized, before looking at the key or content', () => {
    const r = rejectionOf(sensor, Buffer.from('x'.repeat(MAX + 1)), undefined);
    expect(r.code).toBe('oversized');
    expect(r.detail).toBe(`${MAX + 1} bytes > limit ${MAX}`);
    expect(r.message).toBe(`oversized: ${MAX + 1} bytes > limit ${MAX}`);
    expect(r.name).toBe('Rejection');
  });

  it('rejects a missing or empty key', () => {
    expectRejected('missing-key', sensor, json(good), undefined);
    expectRejected('missing-key', sensor, json(good), '');
  });

  it('rejects invalid UTF-8 as invalid-encoding', () => {
    expectRejected('invalid-encoding', sensor, Buffer.from([0xff, 0xfe]), 's1');
    // A truncated multi-byte sequence inside otherwise valid JSON.
    expectRejected('invalid-encoding', sensor, Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]), 's1');
  });

  it('rejects malformed JSON as invalid-json', () => {
    expectRejected('invalid-json', sensor, Buffer.from('{"id": "s1", '), 's1');
    expectRejected('invalid-json', sensor, Buffer.from("{'id': 's1'}"), 's1');
    expectRejected('invalid-json', sensor, Buffer.from('   '), 's1');
  });

  it('rejects NaN and Infinity literals as invalid-json (they are not JSON)', () => {
    expectRejected('invalid-json', sensor, Buffer.from('{"id":"s1","ts":1,"temp":NaN,"hum":1}'), 's1');
    expectRejected('invalid-json', sensor, Buffer.from('{"id":"s1","ts":1,"temp":Infinity,"hum":1}'), 's1');
  });

  it('rejects a number that overflows to Infinity as invalid-schema', () => {
    const text = '{"id":"s1","ts":1,"temp":1e400,"hum":1}';
    expect((JSON.parse(text) as { temp: number }).temp).toBe(Infinity);
    const r = rejectionOf(sensor, Buffer.from(text), 's1');
    expect(r.code).toBe('invalid-schema');
    expect(r.detail).toMatch(/^temp: /);
    expectRejected('invalid-schema', formats.reading, Buffer.from('{"deviceId":"s1","ts":1,"values":{"t":-1e400}}'), 's1');
  });

  it('rejects wrong types and missing fields as invalid-schema', () => {
    expectRejected('invalid-schema', sensor, json({ ...good, temp: 'hot' }), 's1');
    expectRejected('invalid-schema', sensor, json({ id: 's1', ts: 1000, temp: 20 }), 's1');
    expectRejected('invalid-schema', sensor, json({ ...good, ts: 1.5 }), 's1');
    expectRejected('invalid-schema', sensor, json({ ...good, ts: -1 }), 's1');
    expectRejected('invalid-schema', sensor, json({ ...good, id: 5 }), 's1');
    expectRejected('invalid-schema', formats.reading, json({ deviceId: 's1', ts: 1, values: { temp: '20' } }), 's1');
    expectRejected('invalid-schema', formats.reading, json({ deviceId: 's1', values: { temp: 20 } }), 's1');
    expectRejected('invalid-schema', formats.reading, json({ deviceId: 's1', ts: 1, values: { 'bad field': 1 } }), 's1');
  });

  it('rejects a JSON value that is not an object as invalid-schema', () => {
    for (const text of ['42', 'null', '"s1"', '[]', 'true']) {
      expectRejected('invalid-schema', sensor, Buffer.from(text), 's1');
      expectRejected('invalid-schema', formats.reading, Buffer.from(text), 's1');
    }
  });

  it('rejects a key that differs from the device id as key-mismatch', () => {
    const r = rejectionOf(sensor, json(good), 's2');
    expect(r.code).toBe('key-mismatch');
    expect(r.detail).toBe('key "s2" ≠ device id "s1"');
    expectRejected('key-mismatch', formats.reading, json({ deviceId: 'a', ts: 1, values: { x: 1 } }), 'A');
  });

  it('rejects a device id with a control character as invalid-schema', () => {
    expectRejected('invalid-schema', sensor, json({ ...good, id: 's\u00011' }), 's\u00011');
    expectRejected('invalid-schema', formats.reading, json({ deviceId: 'a\nb', ts: 1, values: { x: 1 } }), 'a\nb');
    expectRejected('invalid-schema', formats.reading, json({ deviceId: 'a\u007f', ts: 1, values: { x: 1 } }), 'a\u007f');
  });

  it('rejects a reading with no values as invalid-schema', () => {
    const r = rejectionOf(formats.reading, json({ deviceId: 's1', ts: 1, values: {} }), 's1');
    expect(r.code).toBe('invalid-schema');
    expect(r.detail).toBe('values: a reading needs at least one value');
  });
});

describe('decodeMessage: field names that would collide with Object.prototype', () => {
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])('rejects the field %s instead of corrupting or dropping it', (field) => {
    // Written as text: JSON.stringify would not emit an own __proto__ key from an object literal.
    const value = Buffer.from(`{"deviceId":"dev-1","ts":1,"values":{"temp":1,"${field}":2}}`);
    const rejection = rejectionOf(formats.reading, value, 'dev-1');
    expect(rejection.code).toBe('invalid-schema');
  });
});
