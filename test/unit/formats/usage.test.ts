import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import { configuredFormats, decodeMessage, formats, Rejection, type RejectionCode, toCanonical } from '../../../src/formats';
import type { InputFormat } from '../../../src/formats/format';
import { usageFormat } from '../../../src/formats/usage';
import { parseWallTime, wallTimeToEpochMs } from '../../../src/time/wall-time';
import { topicSpecs } from '../../../src/kafka/topics';

const MAX = 1024;
const T = 1_700_000_000_000;
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const usage = formats.usage;

function decode(format: InputFormat, value: Buffer | null, key: string | undefined) {
  return decodeMessage(format, value, { key, timestamp: T }, MAX);
}

function rejectionOf(format: InputFormat, value: Buffer | null, key: string | undefined): Rejection {
  try {
    decode(format, value, key);
  } catch (error) {
    expect(error).toBeInstanceOf(Rejection);
    return error as Rejection;
  }
  throw new Error('expected a Rejection, but the message was accepted');
}
const codeOf = (format: InputFormat, value: Buffer | null, key: string | undefined): RejectionCode => rejectionOf(format, value, key).code;

/** The instant of a wall time in America/New_York, as the usage format reads it. */
const easternTs = (ts: string) => decode(usage, json({ ts, value: 1 }), 'meter').ts;

describe('usage format (seed 003: {ts, value})', () => {
  it('maps a seed 003 message to one usage reading of the keyed device, in Eastern time', () => {
    expect(decode(usage, json({ ts: '2024-01-08 08:10:00', value: 412.5 }), 'central-library')).toStrictEqual({
      deviceId: 'central-library',
      ts: Date.UTC(2024, 0, 8, 13, 10),
      values: { usage: 412.5 },
    });
  });

  it('reads winter wall times as UTC-5 and summer ones as UTC-4', () => {
    expect(easternTs('2024-01-15 12:00:00')).toBe(Date.UTC(2024, 0, 15, 17));
    expect(easternTs('2024-07-15 12:00:00')).toBe(Date.UTC(2024, 6, 15, 16));
    // A T separator and a missing seconds field are the same wall time.
    expect(easternTs('2024-07-15T12:00')).toBe(Date.UTC(2024, 6, 15, 16));
  });

  it('March: the hour before the change is EST, the hour after EDT, and the skipped hour is rejected', () => {
    // 2024-03-10: at 02:00 EST the clocks jump to 03:00 EDT.
    expect(easternTs('2024-03-10 01:55:00')).toBe(Date.UTC(2024, 2, 10, 6, 55));
    expect(easternTs('2024-03-10 03:00:00')).toBe(Date.UTC(2024, 2, 10, 7, 0));
    for (const ts of ['2024-03-10 02:00:00', '2024-03-10 02:30:00', '2024-03-10 02:55:00']) {
      const rejection = rejectionOf(usage, json({ ts, value: 1 }), 'meter');
      expect(rejection.code).toBe('invalid-schema');
      expect(rejection.detail).toBe(`ts: ${ts} does not exist in America/New_York: the clocks skip it when daylight saving time begins`);
    }
  });

  it('November: the repeated hour is read as its first (EDT) occurrence', () => {
    // 2024-11-03: at 02:00 EDT the clocks fall back to 01:00 EST, so 01:00-01:59 happens twice.
    expect(easternTs('2024-11-03 00:55:00')).toBe(Date.UTC(2024, 10, 3, 4, 55));
    expect(easternTs('2024-11-03 01:00:00')).toBe(Date.UTC(2024, 10, 3, 5, 0));
    expect(easternTs('2024-11-03 01:30:00')).toBe(Date.UTC(2024, 10, 3, 5, 30));
    expect(easternTs('2024-11-03 01:55:00')).toBe(Date.UTC(2024, 10, 3, 5, 55));
    expect(easternTs('2024-11-03 02:00:00')).toBe(Date.UTC(2024, 10, 3, 7, 0));
  });

  it('reads the wall time in the configured zone', () => {
    const berlin = usageFormat({ timeZone: 'Europe/Berlin' });
    expect(decode(berlin, json({ ts: '2024-01-08 08:10:00', value: 1 }), 'm').ts).toBe(Date.UTC(2024, 0, 8, 7, 10));
    expect(rejectionOf(berlin, json({ ts: '2024-03-31 02:30:00', value: 1 }), 'm').detail).toMatch(/does not exist in Europe\/Berlin/);
    const utc = usageFormat({ timeZone: 'UTC' });
    expect(decode(utc, json({ ts: '2024-03-10 02:30:00', value: 1 }), 'm').ts).toBe(Date.UTC(2024, 2, 10, 2, 30));
  });

  it('takes the device from the key, or the configured default when there is no key', () => {
    const withDefault = usageFormat({ timeZone: 'America/New_York', deviceId: 'central-library' });
    const message = json({ ts: '2024-01-08 08:10:00', value: 1 });
    expect(decode(withDefault, message, undefined).deviceId).toBe('central-library');
    expect(decode(withDefault, message, '').deviceId).toBe('central-library');
    expect(decode(withDefault, message, 'branch-7').deviceId).toBe('branch-7');
    // The default settings' default device: nothing is dead-lettered at the defaults.
    expect(decode(usage, message, undefined).deviceId).toBe('meter');
    const switchedOff = usageFormat({ timeZone: 'America/New_York' });
    const rejection = rejectionOf(switchedOff, message, undefined);
    expect(rejection.code).toBe('missing-key');
    expect(rejection.detail).toMatch(/VIGIL_USAGE_DEVICE_ID=none/);
    expect(codeOf(switchedOff, message, '')).toBe('missing-key');
  });

  it('rejects a bad ts as invalid-schema', () => {
    for (const ts of ['2024-01-08', '2024-02-30 00:00:00', '2024-01-08 24:00:00', '2024-01-08 08:60:00', '2024-01-08T08:10:00Z', '2024-01-08 08:10:00-05:00', '08/01/2024 08:10', '']) {
      const rejection = rejectionOf(usage, json({ ts, value: 1 }), 'meter');
      expect(rejection.code, ts).toBe('invalid-schema');
      expect(rejection.detail, ts).toBe('ts: ts must be a wall time "YYYY-MM-DD HH:MM:SS", e.g. 2024-01-08 08:10:00');
    }
    expect(codeOf(usage, json({ ts: Date.UTC(2024, 0, 8), value: 1 }), 'meter')).toBe('invalid-schema');
    expect(codeOf(usage, json({ value: 1 }), 'meter')).toBe('invalid-schema');
  });

  it('rejects a value that is not a finite number', () => {
    const overflow = rejectionOf(usage, Buffer.from('{"ts":"2024-01-08 08:10:00","value":1e400}'), 'meter');
    expect(overflow.code).toBe('invalid-schema');
    expect(overflow.detail).toMatch(/^value: .*Infinity/);
    expect(codeOf(usage, json({ ts: '2024-01-08 08:10:00', value: '412.5' }), 'meter')).toBe('invalid-schema');
    expect(codeOf(usage, json({ ts: '2024-01-08 08:10:00', value: null }), 'meter')).toBe('invalid-schema');
    expect(codeOf(usage, json({ ts: '2024-01-08 08:10:00' }), 'meter')).toBe('invalid-schema');
    // Python's json.dumps writes NaN for pandas' missing values: not JSON.
    expect(codeOf(usage, Buffer.from('{"ts":"2024-01-08 08:10:00","value":NaN}'), 'meter')).toBe('invalid-json');
  });

  it('keeps the checks every format has: emptiness, size, encoding, a valid device id', () => {
    expect(codeOf(usage, null, undefined)).toBe('invalid-json');
    expect(codeOf(usage, Buffer.from('x'.repeat(MAX + 1)), 'meter')).toBe('oversized');
    expect(codeOf(usage, Buffer.from([0xff, 0xfe]), 'meter')).toBe('invalid-encoding');
    expect(codeOf(usage, json({ ts: '2024-01-08 08:10:00', value: 1 }), 'a\nb')).toBe('invalid-schema');
  });

  it('maps seed 003 CSV rows for replay: start column as ts, usage_kw as value', () => {
    const row = { usage_datetime_start_eastern_time: '2024-01-08 08:10:00', usage_datetime_end_eastern_time: '2024-01-08 08:15:00', usage_kw: '412.5' };
    expect(usage.fromCsvRow(row)).toStrictEqual({ ts: '2024-01-08 08:10:00', value: 412.5 });
    expect(toCanonical(usage, usage.fromCsvRow(row), { key: 'central-library', timestamp: T })).toStrictEqual({
      deviceId: 'central-library',
      ts: Date.UTC(2024, 0, 8, 13, 10),
      values: { usage: 412.5 },
    });
    expect(usage.fromCsvRow({ ts: '2024-01-08 08:10:00', value: '3' })).toStrictEqual({ ts: '2024-01-08 08:10:00', value: 3 });
    for (const kw of ['', 'n/a', '0x10']) {
      expect(() => toCanonical(usage, usage.fromCsvRow({ ...row, usage_kw: kw }), { key: 'm', timestamp: T }), kw).toThrow(Rejection);
    }
  });
});

describe('usage settings in the config', () => {
  it('defaults to America/New_York and the device `meter`, and reads both from the environment (`none`: no default device)', () => {
    expect(loadConfig({}).formats.usage).toStrictEqual({ timeZone: 'America/New_York', deviceId: 'meter' });
    expect(loadConfig({ VIGIL_USAGE_DEVICE_ID: 'none' }).formats.usage).toStrictEqual({ timeZone: 'America/New_York', deviceId: undefined });
    const config = loadConfig({ VIGIL_USAGE_TIME_ZONE: 'UTC', VIGIL_USAGE_DEVICE_ID: 'central-library' });
    expect(config.formats.usage).toStrictEqual({ timeZone: 'UTC', deviceId: 'central-library' });
    const configured = configuredFormats(config.formats).usage;
    expect(decode(configured, json({ ts: '2024-01-08 08:10:00', value: 1 }), undefined)).toMatchObject({ deviceId: 'central-library', ts: Date.UTC(2024, 0, 8, 8, 10) });
  });

  it('refuses an unknown time zone or an invalid default device by name', () => {
    expect(() => loadConfig({ VIGIL_USAGE_TIME_ZONE: 'Mars/Olympus_Mons' })).toThrow(/formats\.usage\.timeZone/);
    expect(() => loadConfig({ VIGIL_USAGE_DEVICE_ID: 'a\u0001b' })).toThrow(/formats\.usage\.deviceId/);
  });

  it('reads the usage and monitoring20 topics by default, and creates them, monitoring20 with 10 partitions as the air-quality pipeline did', () => {
    const config = loadConfig({ VIGIL_TOPIC_PREFIX: 'x.' });
    expect(config.kafka.inputs).toEqual(expect.arrayContaining([{ topic: 'x.usage', format: 'usage' }, { topic: 'x.monitoring20', format: 'epa' }]));
    expect(topicSpecs(config).map((spec) => spec.topic)).toEqual(expect.arrayContaining(['x.usage', 'x.monitoring20']));
    expect(topicSpecs(config).filter((spec) => ['x.usage', 'x.monitoring20'].includes(spec.topic)).map((spec) => [spec.topic, spec.numPartitions])).toEqual([['x.usage', 8], ['x.monitoring20', 10]]);
    expect(topicSpecs(loadConfig({ VIGIL_EPA_PARTITIONS: '3' })).find((spec) => spec.topic === 'monitoring20')?.numPartitions).toBe(3);
  });
});

describe('wall times in a zone', () => {
  const wall = (text: string) => {
    const asUtc = parseWallTime(text);
    if (asUtc === undefined) throw new Error(`not a wall time: ${text}`);
    return asUtc;
  };

  it('handles a half-hour daylight-saving shift (Lord Howe Island)', () => {
    // 2024-10-06 02:00 LHST (+10:30) becomes 02:30 LHDT (+11:00).
    expect(wallTimeToEpochMs(wall('2024-10-06 02:15:00'), 'Australia/Lord_Howe')).toBeUndefined();
    expect(wallTimeToEpochMs(wall('2024-10-06 02:30:00'), 'Australia/Lord_Howe')).toBe(Date.UTC(2024, 9, 5, 15, 30));
    // 2024-04-07 02:00 LHDT falls back to 01:30 LHST: 01:30-01:59 happens twice; the first is +11:00.
    expect(wallTimeToEpochMs(wall('2024-04-07 01:45:00'), 'Australia/Lord_Howe')).toBe(Date.UTC(2024, 3, 6, 14, 45));
  });

  it('finds no instant on a day a zone skipped (Samoa, 30 December 2011)', () => {
    expect(wallTimeToEpochMs(wall('2011-12-30 12:00:00'), 'Pacific/Apia')).toBeUndefined();
    expect(wallTimeToEpochMs(wall('2011-12-31 00:00:00'), 'Pacific/Apia')).toBe(Date.UTC(2011, 11, 30, 10, 0));
  });

  it('rejects impossible calendar fields', () => {
    for (const text of ['2023-02-29 00:00:00', '2024-13-01 00:00:00', '2024-01-00 00:00:00', '2024-01-01 00:00:60']) expect(parseWallTime(text), text).toBeUndefined();
    expect(parseWallTime('2024-02-29 23:59:59')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
  });
});

describe('the meter log’s repeated autumn hour and Python’s ints', () => {
  const message = (ts: string, value: string) => Buffer.from(`{"ts": "${ts}", "value": ${value}}`);

  it('reads a wall time of the repeated hour as its first instant, with its second beside it; others have none', () => {
    expect(decode(usage, message('2024-11-03 01:30:00', '90.0'), 'm')).toStrictEqual({ deviceId: 'm', ts: Date.UTC(2024, 10, 3, 5, 30), values: { usage: 90 }, repeatedAs: Date.UTC(2024, 10, 3, 6, 30) });
    expect(decode(usage, message('2024-11-03 02:30:00', '90.0'), 'm')).toStrictEqual({ deviceId: 'm', ts: Date.UTC(2024, 10, 3, 7, 30), values: { usage: 90 } });
  });

  it('applies both passes of the hour, in the log’s order, keyed or not; the same log again changes nothing', async () => {
    const { testDevice } = await import('../../support/reference');
    const { applyHeld, applyItems } = await import('../../../src/device/apply');
    // The hour as the meter logs it: 01:00-01:55 EDT, then 01:00-01:55 EST, then 02:00 EST.
    const walls = [...Array.from({ length: 12 }, (_, i) => `2024-11-03 01:${String(i * 5).padStart(2, '0')}:00`)];
    const log = [...walls, ...walls, '2024-11-03 02:00:00'].map((ts, i) => decode(usage, message(ts, `${100 + i}.5`), 'm'));
    const expected = log.map((_, i) => Date.UTC(2024, 10, 3, 5, 0) + i * 5 * 60_000);
    for (const unkeyed of [false, true]) {
      const state = testDevice('m', { judging: { usage: [] } });
      const items = log.map((reading, offset) => ({ source: { topic: 'usage', partition: unkeyed ? offset % 3 : 0, offset }, reading, ...(unkeyed ? { unkeyed: true as const } : {}) }));
      applyItems(state, items);
      applyHeld(state);
      expect(state.counters.readingsApplied, `unkeyed ${unkeyed}`).toBe(25);
      expect(state.ledger.recentTimes, 'every instant of the two passes, once').toEqual(expected);
      expect(state.windows.hourly.usage?.map((h) => [h.start, h.count]), 'EDT 01:00, EST 01:00 and EST 02:00 are three hours').toEqual([[expected[0], 12], [expected[12], 12], [expected[24], 1]]);
      // The same log again (another producer run): none is applied (recognised as sent twice, or too late).
      applyItems(state, items.map((item, i) => ({ ...item, source: { ...item.source, offset: 100 + i } })));
      applyHeld(state);
      expect([state.counters.readingsApplied, state.counters.duplicatesSkipped + state.counters.lateDropped]).toEqual([25, 25]);
    }
  });

  it('marks a value written as an integer, as Python reads it (an int), and nothing else', () => {
    expect(decode(usage, message('2024-01-08 08:10:00', '412'), 'm').attrs).toStrictEqual({ valueIsInt: 'true' });
    for (const value of ['412.0', '4.12e2', '412e0', '412.5']) expect(decode(usage, message('2024-01-08 08:10:00', value), 'm').attrs, value).toBeUndefined();
  });
});
