import { describe, expect, it } from 'vitest';
import { decodeMessage, formats } from '../../src/formats';
import { epaColumns } from '../../src/formats/epa';
import { defaultUsageSampleOptions, describeSample, epaCsvLine, epaSampleCsv, generateEpaSample, generateUsageSample, USAGE_ANOMALY_FACTOR, type UsageSample, usageSampleCsv, usualUsageKw } from '../../src/samples';
import { expectedIsolationScore } from '../support/expected-isolation-score';

const DAY_MS = 24 * 3600_000;

/** Day of week, hour and minute of a wall time: seed 003's comparable key. */
const slotOf = (wall: string) => `${new Date(`${wall.slice(0, 10)}T00:00:00Z`).getUTCDay()} ${wall.slice(11, 16)}`;

/** Seed 003's judgement of every row: its score against the same slot's earlier rows, once ≥ 4 exist. */
function judge(sample: UsageSample, historyWeeks: number | undefined) {
  const anomalous = new Set(sample.anomalies.map((a) => a.ts));
  const bySlot = new Map<string, number[]>();
  const judged: Array<{ ts: string; score: number; anomalous: boolean }> = [];
  for (const row of sample.rows) {
    const history = bySlot.get(slotOf(row.start)) ?? [];
    const comparables = historyWeeks === undefined ? history : history.slice(-historyWeeks);
    if (comparables.length >= 4) judged.push({ ts: row.start, score: expectedIsolationScore(row.usageKw, comparables), anomalous: anomalous.has(row.start) });
    history.push(row.usageKw);
    bySlot.set(slotOf(row.start), history);
  }
  return judged;
}

describe('usage sample (seed 003 shape)', () => {
  const sample = generateUsageSample();

  it('is deterministic for a seed and differs for another', () => {
    expect(generateUsageSample()).toStrictEqual(sample);
    expect(usageSampleCsv(generateUsageSample())).toBe(usageSampleCsv(sample));
    expect(generateUsageSample({ ...defaultUsageSampleOptions, seed: 4 }).rows).not.toStrictEqual(sample.rows);
  });

  it('has six weeks of 5-minute rows from Monday 2024-01-01 in seed 003’s three columns', () => {
    expect(sample.rows).toHaveLength(6 * 7 * 288);
    expect(sample.rows[0]).toMatchObject({ start: '2024-01-01 00:00:00', end: '2024-01-01 00:05:00' });
    expect(sample.rows.at(-1)).toMatchObject({ start: '2024-02-11 23:55:00', end: '2024-02-12 00:00:00' });
    const csv = usageSampleCsv(sample).split('\n');
    expect(csv[0]).toBe('usage_datetime_start_eastern_time,usage_datetime_end_eastern_time,usage_kw');
    expect(csv[1]).toMatch(/^2024-01-01 00:00:00,2024-01-01 00:05:00,\d+(\.\d+)?$/);
  });

  it('is busier in weekday opening hours than at weekends, and quietest at night', () => {
    const mean = (pick: (start: string) => boolean) => {
      const values = sample.rows.filter((r) => pick(r.start) && !sample.anomalies.some((a) => a.ts === r.start)).map((r) => r.usageKw);
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    const day = (start: string) => new Date(`${start.slice(0, 10)}T00:00:00Z`).getUTCDay();
    const hour = (start: string) => Number(start.slice(11, 13));
    const weekdayNoon = mean((s) => day(s) >= 1 && day(s) <= 5 && hour(s) === 12);
    const weekendNoon = mean((s) => (day(s) === 0 || day(s) === 6) && hour(s) === 12);
    const night = mean((s) => hour(s) === 3);
    expect(weekdayNoon).toBeGreaterThan(weekendNoon * 1.3);
    expect(weekendNoon).toBeGreaterThan(night * 1.4);
  });

  it('injects the reported anomalies, 3× the slot’s usual load, after four weeks of history', () => {
    expect(sample.anomalies.map((a) => a.ts)).toEqual(['2024-01-30 10:30:00', '2024-02-01 03:15:00', '2024-02-04 14:00:00', '2024-02-07 19:45:00', '2024-02-10 11:20:00']);
    expect(sample.anomalies.map((a) => a.epochMs)).toEqual([
      Date.UTC(2024, 0, 30, 15, 30),
      Date.UTC(2024, 1, 1, 8, 15),
      Date.UTC(2024, 1, 4, 19, 0),
      Date.UTC(2024, 1, 8, 0, 45),
      Date.UTC(2024, 1, 10, 16, 20),
    ]);
    const rowAt = new Map(sample.rows.map((r) => [r.start, r.usageKw]));
    for (const anomaly of sample.anomalies) {
      const start = new Date(`${anomaly.ts.replace(' ', 'T')}Z`);
      const usual = usualUsageKw(start.getUTCDay(), start.getUTCHours() * 60 + start.getUTCMinutes());
      expect(anomaly.value).toBeCloseTo(USAGE_ANOMALY_FACTOR * usual, 2);
      expect(rowAt.get(anomaly.ts)).toBe(anomaly.value);
      expect(start.getTime() - Date.UTC(2024, 0, 1)).toBeGreaterThanOrEqual(28 * DAY_MS);
      const comparables = sample.rows.filter((r) => slotOf(r.start) === slotOf(anomaly.ts) && r.start < anomaly.ts);
      expect(comparables.length).toBeGreaterThanOrEqual(4);
      // The ingest reads the row's wall time to the reported instant.
      expect(decodeMessage(formats.usage, Buffer.from(JSON.stringify({ ts: anomaly.ts, value: anomaly.value })), { key: 'm', timestamp: 0 }, 1024).ts).toBe(anomaly.epochMs);
    }
  });

  it('keeps ordinary readings within ±0.25 % of their week’s level', () => {
    const anomalous = new Set(sample.anomalies.map((a) => a.ts));
    const levels = [0.985, 1.0, 1.105, 1.015, 1.0, 1.0];
    sample.rows.forEach((row, index) => {
      if (anomalous.has(row.start)) return;
      const start = new Date(`${row.start.replace(' ', 'T')}Z`);
      const usual = usualUsageKw(start.getUTCDay(), start.getUTCHours() * 60 + start.getUTCMinutes());
      const level = levels[Math.floor(index / (7 * 288))] ?? 1;
      expect(Math.abs(row.usageKw / (usual * level) - 1)).toBeLessThan(0.0025);
    });
  });

  it.each([
    ['a 30-day history (the last 4 comparables)', 4],
    ['an unbounded history', undefined],
  ])('an isolation forest per slot flags exactly the injected anomalies, with %s', (_name, historyWeeks) => {
    for (const weeks of [5, 6, 7]) {
      const judged = judge(generateUsageSample({ ...defaultUsageSampleOptions, weeks }), historyWeeks);
      expect(judged.length).toBe((weeks - 4) * 7 * 288);
      const ordinary = judged.filter((j) => !j.anomalous).map((j) => j.score);
      const anomalies = judged.filter((j) => j.anomalous).map((j) => j.score);
      expect(anomalies.length).toBe(weeks === 5 ? 3 : 5);
      // Margins wide enough for a forest of 100 sampled trees (its mean wanders ≈ ±0.015).
      expect(Math.max(...ordinary)).toBeLessThan(0.45);
      expect(Math.min(...anomalies)).toBeGreaterThan(0.55);
    }
  });

  it('leaves out the skipped spring hour and keeps the autumn hour once', () => {
    const spring = generateUsageSample({ seed: 1, startDate: '2024-03-04', weeks: 5 });
    const march10 = spring.rows.filter((r) => r.start.startsWith('2024-03-10'));
    expect(march10).toHaveLength(288 - 12);
    expect(march10.some((r) => r.start.startsWith('2024-03-10 02:'))).toBe(false);
    const autumn = generateUsageSample({ seed: 1, startDate: '2024-10-28', weeks: 5 });
    expect(autumn.rows.filter((r) => r.start.startsWith('2024-11-03'))).toHaveLength(288);
    for (const row of [...spring.rows, ...autumn.rows]) {
      decodeMessage(formats.usage, Buffer.from(JSON.stringify({ ts: row.start, value: row.usageKw })), { key: 'm', timestamp: 0 }, 1024);
    }
  });

  it('refuses lengths that cannot hold four weeks of history before the anomalies', () => {
    expect(() => generateUsageSample({ ...defaultUsageSampleOptions, weeks: 4 })).toThrow(RangeError);
    expect(() => generateUsageSample({ ...defaultUsageSampleOptions, weeks: 8 })).toThrow(RangeError);
    expect(() => generateUsageSample({ ...defaultUsageSampleOptions, startDate: '2024-02-30' })).toThrow(RangeError);
  });
});

describe('EPA sample (seed 002 shape)', () => {
  const sample = generateEpaSample();
  const OZONE = '06-037-1103-44201-1';
  const PM25 = '06-037-1103-88101-3';

  it('is deterministic for a seed', () => {
    expect(generateEpaSample()).toStrictEqual(sample);
    expect(generateEpaSample({ seed: 9, startDate: '2017-01-01', days: 21, spikesPerDevice: 2 }).rows).not.toStrictEqual(sample.rows);
  });

  it('writes the 24 AQS columns, hourly for two monitors over three weeks, each line a valid epa message', () => {
    expect(sample.rows).toHaveLength(21 * 24 * 2);
    const csv = epaSampleCsv(sample).trimEnd().split('\n');
    expect(csv[0]).toBe(epaColumns.map(([column]) => `"${column}"`).join(','));
    expect(csv).toHaveLength(sample.rows.length + 1);
    const readings = sample.rows.map((row) => {
      const deviceId = `${row['State Code']}-${row['County Code']}-${row['Site Num']}-${row['Parameter Code']}-${row.POC}`;
      return decodeMessage(formats.epa, Buffer.from(epaCsvLine(row)), { key: deviceId, timestamp: 0 }, 4096);
    });
    expect(readings[0]).toStrictEqual({ deviceId: OZONE, ts: Date.UTC(2017, 0, 1), values: { sampleMeasurement: Number(sample.rows[0]?.['Sample Measurement']) }, attrs: expect.objectContaining({ parameterName: 'Ozone', unitsOfMeasure: 'Parts per million', siteNum: '1103', sampleMeasurement: sample.rows[0]?.['Sample Measurement'] }) });
    expect(readings[1]?.deviceId).toBe(PM25);
    // Local time is AQS's local standard time, 8 hours behind GMT in Los Angeles.
    expect(sample.rows[0]).toMatchObject({ 'Date Local': '2016-12-31', 'Time Local': '16:00', 'Date GMT': '2017-01-01', 'Time GMT': '00:00' });
  });

  it('has a daily pattern: ozone highest in the afternoon, lowest at night', () => {
    const meanAt = (localHour: string) => {
      const values = sample.rows.filter((r) => r['Parameter Code'] === '44201' && r['Time Local'] === localHour).map((r) => Number(r['Sample Measurement']));
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    expect(meanAt('14:00')).toBeGreaterThan(meanAt('02:00') + 0.025);
  });

  it('injects the reported spikes after the first week, each beyond 4 stdev of its monitor’s other values', () => {
    expect(sample.spikes).toHaveLength(4);
    expect(sample.spikes.filter((s) => s.deviceId === OZONE)).toHaveLength(2);
    for (const spike of sample.spikes) {
      expect(spike.ts).toBeGreaterThanOrEqual(Date.UTC(2017, 0, 8));
      const others = sample.rows
        .filter((r) => `06-037-1103-${r['Parameter Code']}-${r.POC}` === spike.deviceId)
        .filter((r) => Date.parse(`${r['Date GMT']}T${r['Time GMT']}:00Z`) !== spike.ts)
        .map((r) => Number(r['Sample Measurement']));
      const mean = others.reduce((a, b) => a + b, 0) / others.length;
      const stdev = Math.sqrt(others.reduce((a, b) => a + (b - mean) ** 2, 0) / (others.length - 1));
      expect((spike.value - mean) / stdev).toBeGreaterThan(4);
    }
  });
});

describe('vigil sample', () => {
  it.each(['sensor', 'usage', 'epa'] as const)('describes the %s sample with its format and anomalies', (kind) => {
    const described = describeSample(kind);
    expect(described.format).toBe(kind);
    expect(described.anomalies.length).toBeGreaterThan(0);
    expect(describeSample(kind).csv).toBe(described.csv);
    expect(describeSample(kind, 99).csv).not.toBe(described.csv);
  });
});
