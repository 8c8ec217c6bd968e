import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { seasonalIForestConfigSchema } from '../../src/detectors/seasonal-history';
import type { ZScoreRule } from '../../src/detectors/zscore';
import { htmDetector } from '../../src/detectors/htm';
import { applyItem, type DetectorObserver } from '../../src/device/apply';
import type { SourcedItem } from '../../src/device/item';
import type { DeviceSettings } from '../../src/device/settings';
import { fileRows } from '../../src/formats/file-rows';
import { usageFormat } from '../../src/formats/usage';
import { generateUsageSample, USAGE_SAMPLE_TIME_ZONE, usageSampleCsv } from '../../src/samples';
import { type ColumnsInput, decodeFormatRows, parseTimestamp, readColumnsCsv } from '../../src/backtest/input';
import { scoreCsv, scoreReadings, type ScoreSettings } from '../../src/backtest/score';
import { scoreFile } from '../../src/backtest/score-file';
import { anomaliesOf, testDevice, testSettings } from '../support/reference';

const root = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-score-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const columns: ColumnsInput = { timestampColumn: 'timestamp', valueColumn: 'value', timeZone: 'UTC', timestampUnit: 'ms', field: 'value', deviceId: 'meter' };
const zscoreRule: ZScoreRule = { k: 3, minSamples: 2, direction: 'both', clearAfter: 1, learnAnomalies: false, relearnAfter: null, window: null };
const seasonalConfig = seasonalIForestConfigSchema.parse({ timeZone: USAGE_SAMPLE_TIME_ZONE });

/** A device set up as `score` sets one up: z-score by zscoreRule, the seasonal forest in the sample's zone. */
function scoreSettings(field = 'value', change: (device: DeviceSettings) => void = () => undefined): ScoreSettings {
  const device = testSettings({ zscore: zscoreRule, seasonal: { config: seasonalConfig } });
  change(device);
  return { field, device };
}
const settings = scoreSettings();

/** Every timestamp spelling, a spike, a re-sent row and a row two hours late. */
const zscoreCsv = [
  'timestamp,value',
  '2024-01-01 00:00:00,10',
  '2024-01-01 00:01:00,12',
  '2024-01-01T00:02:00Z,11',
  '1704067380000,13',
  '2024-01-01T01:04:00+01:00,30',
  '2024-01-01 00:05:00,11',
  '2024-01-01 00:05:00,99',
  '2023-12-31 22:00:00,50',
].join('\n');

describe('score: z-score through the live path', () => {
  it('gives the known z of each reading against the readings before it, and the live rules', () => {
    const input = readColumnsCsv(zscoreCsv, columns);
    expect(input.rejected).toEqual([]);
    const result = scoreReadings('zscore', input.readings, settings);
    // By hand: 11 vs {10, 12}: mean 11, sd √2, z 0. 13 vs {10, 12, 11}: mean 11, sd 1, z 2.
    // 30 vs {10, 12, 11, 13}: mean 11.5, sd √(5/3), z 18.5/√(5/3). The learn gate keeps 30 out,
    // so 11 is judged against the same four: z −0.5/√(5/3), which resolves the anomaly.
    // The score is |z| / (|z| + k), k = 3: 0, 0.4, 14.33 / 17.33 and 0.387 / 3.387.
    expect(result.rows.map((row) => row.extras.z)).toEqual([null, null, 0, 2, 18.5 / Math.sqrt(5 / 3), -0.5 / Math.sqrt(5 / 3), null, null]);
    expect(scoreCsv(result)).toBe(
      [
        'timestamp,value,anomaly_score,n,mean,stdev,z,anomalous,event,skipped',
        '2024-01-01T00:00:00.000Z,10,0,0,,,,false,,',
        '2024-01-01T00:01:00.000Z,12,0,1,,,,false,,',
        '2024-01-01T00:02:00.000Z,11,0,2,11,1.4142135623730951,0,false,,',
        '2024-01-01T00:03:00.000Z,13,0.4,3,11,1,2,false,,',
        '2024-01-01T00:04:00.000Z,30,0.826890169885906,4,11.5,1.2909944487358056,14.330038380967443,true,raised,',
        '2024-01-01T00:05:00.000Z,11,0.11433841851550566,4,11.5,1.2909944487358056,-0.3872983346207417,false,resolved,',
        '2024-01-01T00:05:00.000Z,99,,,,,,,,duplicate',
        '2023-12-31T22:00:00.000Z,50,,,,,,,,late',
        '',
      ].join('\n'),
    );
  });

  it('observing applyItem changes nothing: same events and same state as the workflow gets', () => {
    const items: SourcedItem[] = readColumnsCsv(zscoreCsv, columns).readings.map(({ reading }, offset) => ({ source: { topic: 't', partition: 0, offset }, reading }));
    const watched = testDevice('meter', { zscore: zscoreRule, connection: { disconnectAfterMs: 60_000, retireAfterMs: 86_400_000 } });
    const plain = structuredClone(watched);
    const outputs: Array<Parameters<DetectorObserver>[0]> = [];
    const watchedEvents = items.flatMap((item) => applyItem(watched, item, { observe: (output) => outputs.push(output) }).anomalies);
    const plainEvents = items.flatMap((item) => applyItem(plain, item).anomalies);
    expect(watchedEvents).toEqual(plainEvents);
    expect(watched).toEqual(plain);
    // One output per detector and applied reading; the duplicate and the late one are never judged.
    expect(outputs.map((o) => o.detector)).toEqual(Array(6).fill(['zscore', 'flatline']).flat());
  });
});

describe('score: thresholds through the live path', () => {
  it('fires by the rule, not by a single violation', () => {
    const csv = ['timestamp,value', ...[5, 12, 13, 4, 14, 15, 16, 3].map((v, i) => `${1_700_000_000_000 + i * 1000},${v}`)].join('\n');
    const result = scoreReadings(
      'threshold',
      readColumnsCsv(csv, columns).readings,
      scoreSettings('value', (device) => {
        device.detectors.threshold.own.value = { low: null, high: 10, rule: 'N-consecutive', n: 2, windowMs: 60_000, clearAfter: 1 };
      }),
    );
    expect(result.rows.map((row) => [row.value, row.anomalyScore, row.extras.violated, row.extras.consecutive, row.extras.event])).toEqual([
      [5, 0, false, 0, null],
      [12, 0, true, 1, null],
      [13, 1, true, 2, 'raised'],
      [4, 0, false, 0, 'resolved'],
      [14, 0, true, 1, null],
      [15, 1, true, 2, 'raised'],
      [16, 1, true, 3, 'updated'],
      [3, 0, false, 0, 'resolved'],
    ]);
  });
});

describe('score: the seasonal Isolation Forest on the meter sample', () => {
  const sample = generateUsageSample();
  const file = write('usage.csv', usageSampleCsv(sample));
  const format = usageFormat({ timeZone: USAGE_SAMPLE_TIME_ZONE });
  const input = decodeFormatRows(fileRows(fs.readFileSync(file, 'utf8'), true, 'usage'), format, 'library');
  const result = scoreReadings('seasonal-iforest', input.readings, scoreSettings('usage'));

  it('scores above 0.5 exactly at the injected anomalies, one row per row of the file', () => {
    expect(input.rejected).toEqual([]);
    expect(result.rows).toHaveLength(sample.rows.length);
    const flagged = result.rows.filter((row) => (row.anomalyScore ?? 0) > 0.5);
    expect(flagged.map((row) => [row.ts, row.value])).toEqual(sample.anomalies.map((a) => [a.epochMs, a.value]));
    expect(flagged.every((row) => row.extras.outlier === true && row.extras.event === 'raised')).toBe(true);
    // Before four weeks of history no forest is fitted: score 0, score column empty.
    expect(result.rows[0]).toMatchObject({ anomalyScore: 0, extras: { comparables: 0, slot: 'Mon 00:00', score: null, outlier: false } });
  });

  it('gives the scores the live path publishes for the same readings', () => {
    const state = testDevice('library', { zscore: zscoreRule, connection: { disconnectAfterMs: 60_000, retireAfterMs: 86_400_000 }, seasonal: { config: seasonalConfig }, judging: { usage: ['zscore', 'seasonal-iforest'] } });
    const published = input.readings
      .flatMap(({ reading }, offset) => anomaliesOf(state, { source: { topic: 'usage', partition: 0, offset }, reading }))
      .filter((event) => event.detector === 'seasonal-iforest');
    const scored = new Map(result.rows.map((row) => [row.ts, row]));
    expect(published.length).toBeGreaterThan(0);
    for (const event of published) {
      if (event.explanation.kind !== 'seasonal-iforest') throw new Error('unexpected explanation');
      expect(scored.get(event.ts)).toMatchObject({ anomalyScore: event.explanation.score, extras: { event: event.status, comparables: event.explanation.comparables } });
    }
  });
});

describe('score: HTM', () => {
  /** A daily cycle at 5-minute steps with noise-free, exactly repeating values. */
  const htmCsv = ['timestamp,value', ...Array.from({ length: 400 }, (_, i) => `${Date.UTC(2024, 0, 1) + i * 300_000},${(50 + 40 * Math.sin((2 * Math.PI * i) / 288)).toFixed(3)}`)].join('\n');

  it('is deterministic, gives one row per reading, and scores 0.5 likelihood while it learns the range', () => {
    const readings = readColumnsCsv(htmCsv, columns).readings;
    const first = scoreCsv(scoreReadings('htm', readings, settings));
    const second = scoreCsv(scoreReadings('htm', readings, settings));
    expect(second).toBe(first);
    const lines = first.trimEnd().split('\n');
    expect(lines[0]).toBe(`timestamp,value,anomaly_score,${htmDetector.backtest.columns.join(',')}`);
    expect(lines).toHaveLength(1 + 400);

    const rows = scoreReadings('htm', readings, settings).rows;
    // The first 287 readings are buffered to learn the range (the 288th fixes it).
    const learning = rows.slice(0, 287);
    expect(learning.every((row) => row.extras.likelihood === 0.5 && row.extras.raw_score === null && row.extras.prediction === null)).toBe(true);
    expect(rows.slice(287).every((row) => typeof row.extras.raw_score === 'number')).toBe(true);
    expect(rows.every((row) => row.anomalyScore !== null && row.anomalyScore >= 0 && row.anomalyScore <= 1)).toBe(true);
  });

  it('with --min/--max the range is known from the first reading', () => {
    const readings = readColumnsCsv(htmCsv, columns).readings.slice(0, 20);
    const rows = scoreReadings(
      'htm',
      readings,
      scoreSettings('value', (device) => {
        device.detectors.htm.ranges.value = { min: 10, max: 90 };
      }),
    ).rows;
    expect(rows.every((row) => typeof row.extras.raw_score === 'number' && row.extras.likelihood === 0.5)).toBe(true);
  });
});

describe('score: input rows', () => {
  it('reads each timestamp spelling, and the wall clock in the given zone', () => {
    expect(parseTimestamp('1704067200000', 'UTC', 'ms')).toEqual({ ts: 1704067200000 });
    expect(parseTimestamp('1704067200.5', 'UTC', 's')).toEqual({ ts: 1704067200500 });
    expect(parseTimestamp('2024-01-01T02:00:00+02:00', 'UTC', 'ms')).toEqual({ ts: Date.UTC(2024, 0, 1) });
    expect(parseTimestamp('2024-01-01 00:00:00', 'America/New_York', 'ms')).toEqual({ ts: Date.UTC(2024, 0, 1, 5) });
    expect(parseTimestamp('2024-07-01 00:00:00', 'America/New_York', 'ms')).toEqual({ ts: Date.UTC(2024, 6, 1, 4) });
  });

  it('rejects bad rows with their line and reason and keeps the rest', () => {
    const csv = [
      'timestamp,value',
      '2024-03-10 01:00:00,1',
      'yesterday,2',
      '2024-03-10 02:30:00,3',
      '2024-03-10 03:00:00,',
      '2024-03-10 03:05:00,1e999',
      '1704067200000.5,6',
      '2024-03-10 03:10:00,0x10',
      '',
      '2024-03-10 03:15:00,8',
    ].join('\n');
    const input = readColumnsCsv(csv, { ...columns, timeZone: 'America/New_York' });
    expect(input.readings.map(({ line, reading }) => [line, reading.values.value])).toEqual([
      [2, 1],
      [10, 8],
    ]);
    expect(input.rejected).toEqual([
      { line: 3, reason: 'timestamp "yesterday" is not epoch milliseconds (or seconds with --timestamp-unit s), ISO-8601 with a zone, or YYYY-MM-DD HH:MM:SS' },
      { line: 4, reason: 'timestamp 2024-03-10 02:30:00 does not exist in America/New_York: the clocks skip it when daylight saving time begins' },
      { line: 5, reason: 'value "" is not a finite number' },
      { line: 6, reason: 'value "1e999" is not a finite number' },
      { line: 7, reason: 'timestamp "1704067200000.5": epoch milliseconds must be whole' },
      { line: 8, reason: 'value "0x10" is not a finite number' },
    ]);
  });

  it('rejects format rows as ingest does, with their line', () => {
    const file = write('usage-bad.csv', 'usage_datetime_start_eastern_time,usage_datetime_end_eastern_time,usage_kw\n2024-01-08 08:10:00,2024-01-08 08:15:00,412.5\nnot a time,x,1\n2024-01-08 08:20:00,x,kw\n');
    const input = decodeFormatRows(fileRows(fs.readFileSync(file, 'utf8'), true, 'usage'), usageFormat({ timeZone: USAGE_SAMPLE_TIME_ZONE }), 'library');
    expect(input.readings.map(({ line }) => line)).toEqual([2]);
    expect(input.rejected.map(({ line }) => line)).toEqual([3, 4]);
    expect(input.rejected[0]?.reason).toMatch(/^invalid-schema: ts: ts must be a wall time/);
    expect(input.rejected[1]?.reason).toMatch(/^invalid-schema: value: /);
  });

  it('refuses what it would have to guess: several devices or fields, flags of another detector', () => {
    const config = loadConfig({});
    const sensor = write('sensor.csv', 'id,ts,temp,hum\na,1000,20,40\nb,1000,21,41\n');
    expect(() => scoreFile(config, sensor, { detector: 'zscore', format: 'sensor' })).toThrow('the file holds 2 devices (a, b): pick one with --device');
    expect(() => scoreFile(config, sensor, { detector: 'zscore', format: 'sensor', device: 'a' })).toThrow('the readings carry fields temp, hum: pick one with --field');
    expect(scoreFile(config, sensor, { detector: 'zscore', format: 'sensor', device: 'a', field: 'hum' }).summary).toBe('score zscore on hum: 2 rows in, 1 scored, 0 rejected, 1 of other devices');
    expect(() => scoreFile(config, sensor, { detector: 'zscore', format: 'sensor', device: 'a', field: 'hum', low: 1 })).toThrow('--low is for --detector threshold');
    expect(() => scoreFile(config, sensor, { detector: 'threshold', format: 'sensor', device: 'a', field: 'hum' })).toThrow(/^threshold rule: a threshold needs a low or a high bound/);
    expect(() => scoreFile(config, sensor, { detector: 'htm', format: 'sensor', device: 'a', field: 'hum', min: 0 })).toThrow('give both --min and --max');
  });
});

describe('bin/vigil score', () => {
  // The defaults, whatever the developer's shell sets (VIGIL_ZSCORE_K, …).
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VIGIL_')));
  function vigil(...args: string[]) {
    return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), 'score', ...args], { cwd: root, env, encoding: 'utf8' });
  }

  it('writes the scores to stdout and exits 0 when every row was read', () => {
    const file = write('clean.csv', zscoreCsv);
    const run = vigil(file, '--detector', 'zscore', '--min-samples', '2', '--k', '3', '--direction', 'both');
    expect(run.stderr).toBe('score zscore on value: 8 rows in, 6 scored, 0 rejected, 1 late (refused by the lateness rule), 1 duplicate (same device time again)\n');
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score,n,mean,stdev,z,anomalous,event,skipped');
    expect(lines).toHaveLength(9);
    expect(lines[5]).toBe('2024-01-01T00:04:00.000Z,30,0.826890169885906,4,11.5,1.2909944487358056,14.330038380967443,true,raised,');
  });

  it('reports rejected rows by line, still writes the rest, and exits non-zero', () => {
    const file = write('dirty.csv', 'time,kw\n1704067200,1\n1704067260,oops\n1704067320,3\n');
    const out = path.join(dir, 'dirty-scores.csv');
    const run = vigil(file, '--detector', 'threshold', '--high', '2', '--timestamp-column', 'time', '--value-column', 'kw', '--timestamp-unit', 's', '--out', out);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'line 3: value "oops" is not a finite number\n' +
        'score threshold on value: 3 rows in, 2 scored, 1 rejected\n' +
        'vigil: 1 rejected row(s) were not scored\n',
    );
    expect(fs.readFileSync(out, 'utf8')).toBe(
      'timestamp,value,anomaly_score,violated,side,firing,violations_in_window,consecutive,event,skipped\n' +
        '2024-01-01T00:00:00.000Z,1,0,false,,false,0,0,,\n' +
        '2024-01-01T00:02:00.000Z,3,1,true,high,true,1,1,raised,\n',
    );
  });

  it('refuses a flag of another detector before reading anything', () => {
    const run = vigil(write('any.csv', zscoreCsv), '--detector', 'seasonal-iforest', '--min', '0', '--max', '1');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('vigil: --min, --max are for --detector htm\n');
  });
});
