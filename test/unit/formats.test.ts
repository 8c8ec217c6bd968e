import { describe, expect, it } from 'vitest';
import { decodeMessage, formats, Rejection, type RejectionCode } from '../../src/formats';
import type { InputFormat, MessageMeta } from '../../src/formats/format';
import { parseIsoWithOffset } from '../../src/time/timestamps';

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

  it('names all six formats', () => {
    expect(Object.keys(formats).sort()).toEqual(['csv3', 'epa', 'host', 'reading', 'sensor', 'usage']);
    expect(Object.entries(formats).map(([key, format]) => [key, format.name, format.wire])).toEqual([
      ['reading', 'reading', 'json'],
      ['sensor', 'sensor', 'json'],
      ['host', 'host', 'json'],
      ['csv3', 'csv3', 'line'],
      ['usage', 'usage', 'json'],
      ['epa', 'epa', 'line'],
    ]);
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

  it('takes a record without a key (none, or empty) by the id in it, and a key only when it is that id', () => {
    for (const key of [undefined, '']) expect(decodeMessage(sensor, json(good), meta(key), MAX).deviceId).toBe('s1');
    expectRejected('key-mismatch', sensor, json(good), 's2');
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

describe('host format (seed 001)', () => {
  const host = formats.host;
  const seedRecord = { ts: '2018-10-29T16:03:42+0700', id: 'host-0002', loadavg: 0.1783, cpu: 97.616, mem: 55.7197 };
  const instant = Date.UTC(2018, 9, 29, 9, 3, 42);

  it('maps the seed record to one reading with the three metrics', () => {
    expect(decodeMessage(host, json(seedRecord), meta('host-0002'), MAX)).toStrictEqual({
      deviceId: 'host-0002',
      ts: instant,
      values: { loadavg: 0.1783, cpu: 97.616, mem: 55.7197 },
    });
  });

  it('accepts +07:00 and Z for the same instant', () => {
    for (const ts of ['2018-10-29T16:03:42+07:00', '2018-10-29T09:03:42Z', '2018-10-29T02:03:42-0700']) {
      expect(decodeMessage(host, json({ ...seedRecord, ts }), meta('host-0002'), MAX).ts).toBe(instant);
    }
  });

  it('keeps only the metrics present', () => {
    expect(decodeMessage(host, json({ ts: seedRecord.ts, id: 'host-0002', cpu: 0 }), meta('host-0002'), MAX)).toStrictEqual({
      deviceId: 'host-0002',
      ts: instant,
      values: { cpu: 0 },
    });
  });

  it('rejects a timestamp without a zone or an impossible date as invalid-schema', () => {
    for (const ts of ['2018-10-29T16:03:42', '2018-02-30T16:03:42+0700', '2018-10-29', 'yesterday', '2018-10-29T24:00:00Z']) {
      const r = rejectionOf(host, json({ ...seedRecord, ts }), 'host-0002');
      expect(r.code, ts).toBe('invalid-schema');
      expect(r.detail, ts).toBe('ts: ts must be ISO-8601 with a zone, e.g. 2018-10-29T16:03:42+0700');
    }
    expectRejected('invalid-schema', host, json({ ...seedRecord, ts: instant }), 'host-0002');
  });

  it('rejects a record without metrics, with a non-numeric metric, or without an id', () => {
    const r = rejectionOf(host, json({ ts: seedRecord.ts, id: 'host-0002' }), 'host-0002');
    expect(r.code).toBe('invalid-schema');
    expect(r.detail).toBe('record: a host record needs loadavg, cpu or mem');
    expectRejected('invalid-schema', host, json({ ...seedRecord, cpu: '97.6' }), 'host-0002');
    expectRejected('invalid-schema', host, json({ ...seedRecord, id: '' }), 'host-0002');
    expectRejected('invalid-schema', host, Buffer.from('{"ts":"2018-10-29T16:03:42+0700","id":"h","cpu":1e999}'), 'h');
  });

  it('rejects a key other than the host id as key-mismatch', () => {
    expectRejected('key-mismatch', host, json(seedRecord), 'host-0001');
  });
});

describe('csv3 format (seed 004: name,temp,status)', () => {
  const csv3 = formats.csv3;

  it('maps a line to a temp reading at the message time, with the status as an attribute', () => {
    expect(decodeMessage(csv3, Buffer.from('sensor-1,105,FAIL'), meta('sensor-1'), MAX)).toStrictEqual({
      deviceId: 'sensor-1',
      ts: 1_700_000_000_000,
      values: { temp: 105 },
      attrs: { status: 'FAIL' },
      clock: 'broker',
    });
  });

  it('trims cells and the line', () => {
    expect(decodeMessage(csv3, Buffer.from(' sensor-1 , 99.5 , OK \n'), meta('sensor-1'), MAX)).toStrictEqual({
      deviceId: 'sensor-1',
      ts: 1_700_000_000_000,
      values: { temp: 99.5 },
      attrs: { status: 'OK' },
      clock: 'broker',
    });
  });

  it('rejects a wrong column count as invalid-schema', () => {
    for (const line of ['sensor-1,105', 'sensor-1,105,FAIL,extra', 'sensor-1']) {
      expectRejected('invalid-schema', csv3, Buffer.from(line), 'sensor-1');
    }
  });

  it('rejects a non-numeric or empty temp as invalid-schema', () => {
    for (const line of ['sensor-1,hot,OK', 'sensor-1,,OK', 'sensor-1,Infinity,OK', 'sensor-1,1e999,OK']) {
      expectRejected('invalid-schema', csv3, Buffer.from(line), 'sensor-1');
    }
  });

  it('rejects an empty name as invalid-schema', () => {
    const r = rejectionOf(csv3, Buffer.from(',105,FAIL'), 'sensor-1');
    expect(r.code).toBe('invalid-schema');
    expect(r.detail).toBe('name: device id is empty');
  });

  it('rejects a key other than the name as key-mismatch', () => {
    const r = rejectionOf(csv3, Buffer.from('sensor-1,105,FAIL'), 'sensor-2');
    expect(r.code).toBe('key-mismatch');
    expect(r.detail).toBe('key "sensor-2" ≠ device id "sensor-1"');
  });

  it('takes a line without a key by its name, and refuses a key that is another name', () => {
    expect(decodeMessage(csv3, Buffer.from('sensor-1,105,FAIL'), meta(undefined), MAX).deviceId).toBe('sensor-1');
    expectRejected('key-mismatch', csv3, Buffer.from('sensor-1,105,FAIL'), 'sensor-2');
  });
});

describe('parseIsoWithOffset', () => {
  const seedInstant = Date.UTC(2018, 9, 29, 9, 3, 42);

  it('parses seed 001 +0700, +07:00, Z and negative offsets', () => {
    expect(parseIsoWithOffset('2018-10-29T16:03:42+0700')).toBe(seedInstant);
    expect(parseIsoWithOffset('2018-10-29T16:03:42+07:00')).toBe(seedInstant);
    expect(parseIsoWithOffset('2018-10-29T09:03:42Z')).toBe(seedInstant);
    expect(parseIsoWithOffset('2018-10-29T07:33:42-01:30')).toBe(seedInstant);
    expect(parseIsoWithOffset('2018-10-29T09:03:42+00:00')).toBe(seedInstant);
    expect(parseIsoWithOffset('2018-10-29 16:03:42+0700')).toBe(seedInstant);
  });

  it('keeps milliseconds and truncates finer fractions', () => {
    expect(parseIsoWithOffset('2018-10-29T09:03:42.5Z')).toBe(seedInstant + 500);
    expect(parseIsoWithOffset('2018-10-29T09:03:42.123Z')).toBe(seedInstant + 123);
    expect(parseIsoWithOffset('2018-10-29T09:03:42.123999999Z')).toBe(seedInstant + 123);
  });

  it('crosses the date line with the offset', () => {
    expect(parseIsoWithOffset('2019-01-01T03:00:00+0700')).toBe(Date.UTC(2018, 11, 31, 20, 0, 0));
  });

  it('accepts 29 February only in a leap year', () => {
    expect(parseIsoWithOffset('2020-02-29T00:00:00Z')).toBe(Date.UTC(2020, 1, 29));
    expect(parseIsoWithOffset('2019-02-29T00:00:00Z')).toBeUndefined();
  });

  it('returns undefined without a zone or for impossible fields', () => {
    for (const text of [
      '2018-10-29T16:03:42',
      '2018-02-30T00:00:00Z',
      '2018-13-01T00:00:00Z',
      '2018-00-10T00:00:00Z',
      '2018-10-32T00:00:00Z',
      '2018-10-29T24:00:00Z',
      '2018-10-29T23:60:00Z',
      '2018-10-29T23:59:60Z',
      '2018-10-29',
      '2018-10-29T16:03:42+7',
      '2018-10-29T16:03:42 +0700',
      'not a date',
      '',
    ]) {
      expect(parseIsoWithOffset(text), text).toBeUndefined();
    }
  });
});

describe('strict numbers and zones', () => {
  it('rejects zone offsets out of range', async () => {
    const { parseIsoWithOffset } = await import('../../src/time/timestamps');
    expect(parseIsoWithOffset('2018-10-29T16:03:42+0799')).toBeUndefined();
    expect(parseIsoWithOffset('2018-10-29T16:03:42+1500')).toBeUndefined();
    expect(parseIsoWithOffset('2018-10-29T16:03:42-1400')).toBe(Date.UTC(2018, 9, 30, 6, 3, 42));
  });

  it.each(['0x10', '0b11', 'Infinity', '1e400', ' '])('csv3 rejects the temperature %j', (temp) => {
    expect(rejectionOf(formats.csv3, Buffer.from(`s,${temp},OK`), 's').code).toBe('invalid-schema');
  });
});
