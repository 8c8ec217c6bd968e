import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessage, formats, parseText, toCanonical, type FormatName } from '../../../src/formats';
import { usageFormat } from '../../../src/formats/usage';
import { dueAt, fixedDeviceKey } from '../../../src/cli/replay';
import { fileRows, isCsvFile } from '../../../src/formats/file-rows';
import { epaCsvLine, epaSampleCsv, generateEpaSample, generateUsageSample, usageSampleCsv } from '../../../src/samples';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-replay-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A file's rows as replay and score read them. */
const readRows = (file: string, format: FormatName) => fileRows(fs.readFileSync(file, 'utf8'), isCsvFile(file), format);

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

describe('replay: which key a row gets', () => {
  it('usage rows take --device, else the configured default, and refuse to guess', () => {
    expect(fixedDeviceKey(formats.usage, 'central-library')).toBe('central-library');
    expect(fixedDeviceKey(usageFormat({ timeZone: 'America/New_York', deviceId: 'configured' }), undefined)).toBe('configured');
    expect(fixedDeviceKey(usageFormat({ timeZone: 'America/New_York', deviceId: 'configured' }), 'given')).toBe('given');
    expect(fixedDeviceKey(formats.usage, undefined)).toBe('meter');
    expect(() => fixedDeviceKey(usageFormat({ timeZone: 'America/New_York' }), undefined)).toThrow('usage rows name no device: pass --device <id> or set VIGIL_USAGE_DEVICE_ID');
    expect(() => fixedDeviceKey(formats.usage, 'a\u0001b')).toThrow(/--device "a\\u0001b": device id contains control characters/);
  });

  it('rows that name their device keep their id as key; --device is refused for them', () => {
    expect(fixedDeviceKey(formats.sensor, undefined)).toBeUndefined();
    expect(fixedDeviceKey(formats.epa, undefined)).toBeUndefined();
    expect(() => fixedDeviceKey(formats.epa, 'x')).toThrow('--device is for formats whose rows name no device (usage); epa rows name their own');
  });
});

describe('replay: CSV rows as messages', () => {
  it('turns meter usage rows into {ts, value} messages whose readings carry the device and Eastern-time instants', () => {
    const sample = generateUsageSample();
    const file = write('usage.csv', usageSampleCsv(sample));
    const rows = readRows(file, 'usage');
    expect(rows).toHaveLength(sample.rows.length);
    expect(rows[0]).toStrictEqual({ line: 2, text: JSON.stringify({ ts: '2024-01-01 00:00:00', value: sample.rows[0]?.usageKw }), wire: { ts: '2024-01-01 00:00:00', value: sample.rows[0]?.usageKw } });

    const readings = rows.map((row) => toCanonical(formats.usage, row.wire, { key: 'central-library', timestamp: 0 }));
    expect(readings[0]).toStrictEqual({ deviceId: 'central-library', ts: Date.UTC(2024, 0, 1, 5, 0), values: { usage: sample.rows[0]?.usageKw } });
    const byTs = new Map(readings.map((reading) => [reading.ts, reading.values.usage]));
    for (const anomaly of sample.anomalies) expect(byTs.get(anomaly.epochMs), anomaly.ts).toBe(anomaly.value);
    // What goes on the wire is the meter's message, which the ingest decodes to the same reading.
    const first = rows[0];
    if (!first) throw new Error('no rows');
    expect(decodeMessage(formats.usage, Buffer.from(first.text), { key: 'central-library', timestamp: 0 }, 1024)).toStrictEqual(readings[0]);
  });

  it('reports a usage row with a bad ts or kW when it is validated, with its line', () => {
    const file = write('bad-usage.csv', 'usage_datetime_start_eastern_time,usage_datetime_end_eastern_time,usage_kw\n2024-03-10 02:30:00,2024-03-10 02:35:00,200\n2024-03-10 03:00:00,2024-03-10 03:05:00,\n');
    const rows = readRows(file, 'usage');
    expect(rows.map((row) => row.line)).toEqual([2, 3]);
    expect(() => toCanonical(formats.usage, rows[0]?.wire, { key: 'm', timestamp: 0 })).toThrow(/does not exist in America\/New_York/);
    expect(() => toCanonical(formats.usage, rows[1]?.wire, { key: 'm', timestamp: 0 })).toThrow(/^invalid-schema: value: /);
  });

  it('turns EPA AQS rows into readings keyed by their monitor', () => {
    const sample = generateEpaSample();
    const file = write('epa.csv', epaSampleCsv(sample));
    const rows = readRows(file, 'epa');
    expect(rows).toHaveLength(sample.rows.length);
    const readings = rows.map((row) => toCanonical(formats.epa, row.wire, { key: undefined, timestamp: 0 }));
    expect(new Set(readings.map((r) => r.deviceId))).toEqual(new Set(['06-037-1103-44201-1', '06-037-1103-88101-3']));
    for (const spike of sample.spikes) {
      expect(readings.find((r) => r.deviceId === spike.deviceId && r.ts === spike.ts)?.values.sampleMeasurement).toBe(spike.value);
    }
    // The JSON replay sends decodes the same as the AQS line it came from.
    const [firstRow, firstSampleRow] = [rows[0], sample.rows[0]];
    if (!firstRow || !firstSampleRow) throw new Error('no rows');
    expect(toCanonical(formats.epa, parseText(formats.epa, firstRow.text), { key: undefined, timestamp: 0 })).toStrictEqual(
      toCanonical(formats.epa, parseText(formats.epa, epaCsvLine(firstSampleRow)), { key: undefined, timestamp: 0 }),
    );
  });

  it('reads a file of raw AQS lines (not .csv) line by line, in the format’s own syntax', () => {
    const sample = generateEpaSample({ seed: 5, startDate: '2017-01-01', days: 8, spikesPerDevice: 1 });
    const file = write('epa-lines.txt', sample.rows.slice(0, 3).map(epaCsvLine).join('\n'));
    const rows = readRows(file, 'epa');
    expect(rows.map((row) => row.wire)).toEqual([undefined, undefined, undefined]);
    expect(rows.map((row) => toCanonical(formats.epa, parseText(formats.epa, row.text), { key: undefined, timestamp: 0 }).ts)).toEqual([
      Date.UTC(2017, 0, 1, 0),
      Date.UTC(2017, 0, 1, 0),
      Date.UTC(2017, 0, 1, 1),
    ]);
  });
});

describe('replay: pacing', () => {
  const MIN = 60_000;
  it('--accelerator N plays event time N× faster, smoothly', () => {
    expect(dueAt(60 * MIN, 0, 1000, { accelerator: 60 })).toBe(1000 + 60_000);
    expect(dueAt(5 * MIN, 0, 0, {})).toBeUndefined();
  });

  it('--step_frequency S (--accelerator A) as the meter producer plays it: the next S×A minutes every S seconds, at once', () => {
    // The producer's defaults, 5 and 1: five minutes of rows every five seconds.
    expect([0, 4, 5, 9, 10].map((m) => dueAt(m * MIN, 0, 0, { stepFrequency: 5 }))).toEqual([0, 0, 5000, 5000, 10_000]);
    // --accelerator 1000 with step 5: 5000 minutes of rows every 5 seconds.
    expect([0, 4999, 5000, 10_001].map((m) => dueAt(m * MIN, 0, 0, { stepFrequency: 5, accelerator: 1000 }))).toEqual([0, 0, 5000, 10_000]);
  });
});
