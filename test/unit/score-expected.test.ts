/**
 * `bin/vigil score` on the repository's samples, for every detector, against the expected files
 * in `test/fixtures/score/` (gzipped CSV; `zcat` reads them). The files were written by the code
 * before a change and must come out byte-identical after it: a restructure that changes what a
 * detector says fails here. After a deliberate change of a detector's output, re-record them with
 * `RECORD_SCORES=1 npx vitest run test/unit/score-expected.test.ts` and say why in the commit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { describeSample, type SampleKind } from '../../src/samples';
import { type ScoreFileOptions, scoreFile } from '../../src/backtest/score-file';

const expectedDir = path.resolve(__dirname, '../fixtures/score');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-score-expected-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sampleFiles = new Map<SampleKind, string>();
function sampleFile(kind: SampleKind): string {
  let file = sampleFiles.get(kind);
  if (!file) {
    file = path.join(dir, `${kind}.csv`);
    fs.writeFileSync(file, describeSample(kind).csv);
    sampleFiles.set(kind, file);
  }
  return file;
}

const ozone = '06-037-1103-44201-1';
const pm25 = '06-037-1103-88101-3';

/** Each case: a sample, the command's options; the name is the expected file's. */
const cases: Array<{ name: string; sample: SampleKind; options: ScoreFileOptions }> = [
  { name: 'sensor-zscore-temp', sample: 'sensor', options: { detector: 'zscore', format: 'sensor', device: 'demo-sensor-2', field: 'temp' } },
  { name: 'sensor-zscore-hum-both', sample: 'sensor', options: { detector: 'zscore', format: 'sensor', device: 'demo-sensor-1', field: 'hum', direction: 'both', k: 1.6 } },
  {
    name: 'sensor-threshold-temp-window',
    sample: 'sensor',
    options: { detector: 'threshold', format: 'sensor', device: 'demo-sensor-2', field: 'temp', high: 30, rule: 'at-least-N-in-window', n: 2, windowMs: 120_000 },
  },
  { name: 'sensor-threshold-hum-latest', sample: 'sensor', options: { detector: 'threshold', format: 'sensor', device: 'demo-sensor-3', field: 'hum', low: 43.1, rule: 'latest-in-window', windowMs: 5000 } },
  { name: 'usage-seasonal-iforest', sample: 'usage', options: { detector: 'seasonal-iforest', format: 'usage' } },
  { name: 'usage-zscore', sample: 'usage', options: { detector: 'zscore', format: 'usage' } },
  { name: 'usage-threshold-consecutive', sample: 'usage', options: { detector: 'threshold', format: 'usage', high: 500, rule: 'N-consecutive', n: 2 } },
  { name: 'epa-htm-ozone', sample: 'epa', options: { detector: 'htm', format: 'epa', device: ozone } },
  { name: 'epa-htm-pm25-range', sample: 'epa', options: { detector: 'htm', format: 'epa', device: pm25, min: 0, max: 60 } },
  { name: 'epa-zscore-pm25', sample: 'epa', options: { detector: 'zscore', format: 'epa', device: pm25, direction: 'both' } },
  { name: 'epa-threshold-pm25', sample: 'epa', options: { detector: 'threshold', format: 'epa', device: pm25, high: 30 } },
];

const record = process.env.RECORD_SCORES === '1';

describe('score on the samples: the expected files, byte for byte', () => {
  const config = loadConfig({});
  for (const { name, sample, options } of cases) {
    it(name, () => {
      const result = scoreFile(config, sampleFile(sample), options);
      expect(result.rejected).toEqual([]);
      const file = path.join(expectedDir, `${name}.csv.gz`);
      if (record) fs.writeFileSync(file, zlib.gzipSync(result.csv, { level: 9 }));
      const expected = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
      // Compared line by line first, so a difference names its row instead of a megabyte diff.
      const lines = result.csv.split('\n');
      const expectedLines = expected.split('\n');
      const first = lines.findIndex((line, i) => line !== expectedLines[i]);
      expect(first === -1 ? null : { row: first, got: lines[first], expected: expectedLines[first] }).toBeNull();
      expect(result.csv).toBe(expected);
    });
  }
});
