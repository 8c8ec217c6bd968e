import { describe, expect, it } from 'vitest';
import { controlSchema } from '../../src/device/control';
import { Rejection, type RejectionCode } from '../../src/formats';
import { decodeControl, type DecodedControl } from '../../src/formats/control';
import type { MessageMeta } from '../../src/formats/format';

const MAX = 4096;
const meta = (key: string | undefined): MessageMeta => ({ key, timestamp: 1_700_000_000_000 });
const decode = (text: string, key: string | undefined): DecodedControl => decodeControl(Buffer.from(text), meta(key), MAX);
const defaults = { rule: 'each', n: 3, windowMs: 60_000, clearAfter: 1 } as const;

function rejectionOf(text: string | null, key: string | undefined): Rejection {
  try {
    decodeControl(text === null ? null : Buffer.from(text), meta(key), MAX);
  } catch (error) {
    expect(error).toBeInstanceOf(Rejection);
    return error as Rejection;
  }
  throw new Error('expected a Rejection, but the control was accepted');
}
const codeOf = (text: string | null, key: string | undefined): RejectionCode => rejectionOf(text, key).code;

describe('decodeControl: Vigil JSON', () => {
  const thresholds = {
    type: 'thresholds',
    deviceId: 'host-0001',
    changes: [
      { field: 'cpu', rule: { low: 0, high: 80, rule: 'N-consecutive', n: 3 } },
      { field: 'mem', rule: null },
    ],
  };

  it('decodes a thresholds control, filling the rule defaults and the author', () => {
    expect(decode(JSON.stringify(thresholds), 'host-0001')).toStrictEqual({
      kind: 'device',
      control: {
        type: 'thresholds',
        deviceId: 'host-0001',
        changes: [
          { field: 'cpu', rule: { low: 0, high: 80, rule: 'N-consecutive', n: 3, windowMs: 60_000, clearAfter: 1 } },
          { field: 'mem', rule: null },
        ],
        by: 'control-topic',
      },
    });
  });

  it('keeps a given author and reason', () => {
    const decoded = decode(JSON.stringify({ ...thresholds, by: 'alice', reason: 'maintenance' }), 'host-0001');
    expect(decoded.kind === 'device' && [decoded.control.by, decoded.control.reason]).toEqual(['alice', 'maintenance']);
  });

  it('requires the key to equal the deviceId', () => {
    const r = rejectionOf(JSON.stringify(thresholds), 'host-0002');
    expect(r.code).toBe('key-mismatch');
    expect(r.detail).toBe('key "host-0002" ≠ device id "host-0001"');
  });

  it('takes a control message without a key: the record names its device', () => {
    for (const key of [undefined, '']) {
      const decoded = decode(JSON.stringify(thresholds), key);
      expect(decoded.kind === 'device' && decoded.control.deviceId).toBe('host-0001');
    }
    const model = decode(JSON.stringify({ id: 'sensor-7', m2: { n: 40, mean: 21, m2: 3 } }), undefined);
    expect(model.kind === 'device' && model.control).toMatchObject({ type: 'model', deviceId: 'sensor-7', field: 'temp' });
  });

  it('decodes a model push', () => {
    const push = { type: 'model', deviceId: 'sensor-7', field: 'hum', model: { n: 40, mean: 45.5, m2: 12.25 }, by: 'trainer' };
    const decoded = decode(JSON.stringify(push), 'sensor-7');
    expect(decoded).toStrictEqual({ kind: 'device', control: push });
    expect(decoded.kind === 'device' && controlSchema.parse(decoded.control)).toEqual(push);
  });

  it("decodes seed 000's {id, m2} record as the model of temp", () => {
    expect(decode('{"id":"sensor-3","m2":{"n":120,"mean":20.5,"m2":33.75}}', 'sensor-3')).toStrictEqual({
      kind: 'device',
      control: { type: 'model', deviceId: 'sensor-3', field: 'temp', model: { n: 120, mean: 20.5, m2: 33.75 }, by: 'control-topic' },
    });
    expect(codeOf('{"id":"sensor-3","m2":{"n":120,"mean":20.5,"m2":33.75}}', 'sensor-4')).toBe('key-mismatch');
  });
});

describe('decodeControl: seed 001 CSV rows', () => {
  it('decodes a device row as a thresholds change by the control topic', () => {
    expect(decode('host-0001,cpu,0,80', 'host-0001')).toStrictEqual({
      kind: 'device',
      control: {
        type: 'thresholds',
        deviceId: 'host-0001',
        changes: [{ field: 'cpu', rule: { low: 0, high: 80, ...defaults } }],
        by: 'control-topic',
      },
    });
  });

  it('reads the optional columns of a row', () => {
    const decoded = decode('host-0001,cpu,0,80,at-least-N-in-window,5,30,70\n', 'host-0001');
    expect(decoded.kind === 'device' && decoded.control.type === 'thresholds' && decoded.control.changes).toStrictEqual([
      { field: 'cpu', rule: { low: 0, high: 80, rule: 'at-least-N-in-window', n: 5, windowMs: 30_000, clearBelow: 70, clearAfter: 1 } },
    ]);
  });

  it('decodes a * row as a fleet row, whatever the key', () => {
    expect(decode('*,temp,,100', 'fleet')).toStrictEqual({
      kind: 'fleet',
      row: { line: 1, device: '*', change: { field: 'temp', rule: { low: null, high: 100, ...defaults } } },
    });
  });

  it('requires the key to equal the host of a device row', () => {
    expect(codeOf('host-0001,cpu,0,80', 'host-0002')).toBe('key-mismatch');
  });
});

describe('decodeControl: rejections', () => {
  it('rejects low > high as invalid-schema, in CSV and in JSON', () => {
    expect(codeOf('host-0001,cpu,90,80', 'host-0001')).toBe('invalid-schema');
    expect(rejectionOf('host-0001,cpu,90,80', 'host-0001').detail).toBe('invalid threshold on line 1: rule: low must not be greater than high');
    const json = { type: 'thresholds', deviceId: 'h', changes: [{ field: 'cpu', rule: { low: 90, high: 80 } }] };
    expect(codeOf(JSON.stringify(json), 'h')).toBe('invalid-schema');
  });

  it('rejects a bad CSV row as invalid-schema', () => {
    for (const text of ['host-0001,cpu,abc,80', 'host-0001,cpu,,,sometimes', 'host-0001,cpu,0,80,sometimes', ',cpu,0,80', 'host-0001,bad field,0,80']) {
      expect(codeOf(text, 'host-0001'), text).toBe('invalid-schema');
    }
  });

  it('reads a row with both bounds empty as the removal of the threshold', () => {
    expect(decodeControl(Buffer.from('host-0001,cpu,,'), { key: 'host-0001', timestamp: 0 }, 1024)).toEqual({
      kind: 'device',
      control: { type: 'thresholds', deviceId: 'host-0001', changes: [{ field: 'cpu', rule: null }], by: 'control-topic' },
    });
    expect(decodeControl(Buffer.from('*,temp,,'), { key: '*', timestamp: 0 }, 1024)).toMatchObject({ kind: 'fleet', row: { device: '*', change: { field: 'temp', rule: null } } });
  });

  it('reads a choice of detectors for a field, and null for the defaults again', () => {
    expect(decodeControl(Buffer.from('{"type":"detectors","deviceId":"h","field":"cpu","detectors":["threshold","zscore"]}'), { key: 'h', timestamp: 0 }, 1024)).toEqual({
      kind: 'device',
      control: { type: 'detectors', deviceId: 'h', field: 'cpu', detectors: ['threshold', 'zscore'], by: 'control-topic' },
    });
    expect(codeOf('{"type":"detectors","deviceId":"h","field":"cpu","detectors":["astrology"]}', 'h')).toBe('invalid-schema');
  });

  it('rejects an unknown type or a malformed control as invalid-schema', () => {
    const unknown = rejectionOf('{"type":"reboot","deviceId":"h"}', 'h');
    expect(unknown.code).toBe('invalid-schema');
    expect(unknown.detail).toMatch(/^type: /);
    expect(codeOf('{"deviceId":"h","changes":[]}', 'h')).toBe('invalid-schema');
    expect(codeOf('{"type":"thresholds","deviceId":"h","changes":[]}', 'h')).toBe('invalid-schema');
    expect(codeOf('{"type":"model","deviceId":"h","field":"temp","model":{"n":-1,"mean":0,"m2":0}}', 'h')).toBe('invalid-schema');
    expect(codeOf('{"type":"model","deviceId":"h","field":"temp","model":{"n":3,"mean":0,"m2":-1}}', 'h')).toBe('invalid-schema');
    expect(codeOf('{"id":"h","m2":{"n":3,"mean":0}}', 'h')).toBe('invalid-schema');
    expect(codeOf('{"type":"thresholds","deviceId":"h","changes":[{"field":"cpu","rule":{"low":0,"high":1,"colour":"red"}}]}', 'h')).toBe('invalid-schema');
  });

  it('rejects broken JSON as invalid-json', () => {
    expect(codeOf('{"type":', 'h')).toBe('invalid-json');
    expect(codeOf('{type: "model"}', 'h')).toBe('invalid-json');
    expect(codeOf(null, 'h')).toBe('invalid-json');
    expect(codeOf('', 'h')).toBe('invalid-json');
  });

  it('rejects an over-long message as oversized and invalid UTF-8 as invalid-encoding', () => {
    expect(codeOf(`host-0001,cpu,0,80${' '.repeat(MAX)}`, 'host-0001')).toBe('oversized');
    expect(() => decodeControl(Buffer.from([0x68, 0xff, 0x2c]), meta('h'), MAX)).toThrow(expect.objectContaining({ code: 'invalid-encoding' }));
  });
});

describe('decodeControl: short threshold rows', () => {
  it('rejects a row with fewer than host,field,low,high', () => {
    expect(codeOf('host-0001,cpu,80', 'host-0001')).toBe('invalid-schema');
  });
});
