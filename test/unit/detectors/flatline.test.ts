import { describe, expect, it } from 'vitest';
import { flatlineDetector, flatlineSettingsSchema } from '../../../src/detectors/flatline';
import type { SourcedItem } from '../../../src/device/item';
import { loadConfig } from '../../../src/config';
import { scoreFile } from '../../../src/backtest/score-file';
import { describeSample, type SampleKind } from '../../../src/samples';
import { anomaliesOf, testDevice } from '../../support/reference';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const T0 = Date.UTC(2024, 0, 1);
const settings = (input: Partial<ReturnType<typeof flatlineSettingsSchema.parse>> = {}) => flatlineSettingsSchema.parse({ fields: ['temp'], minReadings: 5, ...input });

/** Runs values through the detector alone, one a second; each reading's [stuck, run length]. */
function runs(values: number[], s = settings()) {
  let memory: ReturnType<typeof flatlineDetector.judge>['memory'];
  return values.map((value, i) => {
    const judged = flatlineDetector.judge(memory, { field: 'temp', ts: T0 + i * 1000, value, activeTs: T0 + i * 1000, evidence: undefined }, { settings: s, openSide: null });
    memory = judged.memory;
    return [judged.finding?.verdict.firing, judged.observation.run.readings];
  });
}

describe('the flatline detector', () => {
  it('is stuck from the reading that makes the run minReadings long, until a value moves', () => {
    expect(runs([1, 2, 7, 7, 7, 7, 7, 7, 8])).toEqual([
      [false, 1], [false, 1], [false, 1], [false, 2], [false, 3], [false, 4], [true, 5], [true, 6], [false, 1],
    ]);
  });

  it('counts values within epsilon of the run’s first as the same', () => {
    expect(runs([7, 7.04, 6.97, 7.05, 7.01], settings({ epsilon: 0.05 })).map(([stuck]) => stuck)).toEqual([false, false, false, false, true]);
    expect(runs([7, 7.04, 6.97, 7.06, 7.01], settings({ epsilon: 0.05 })).map(([, run]) => run)).toEqual([1, 2, 3, 1, 2]);
  });

  it('needs the event time as well when minDurationMs is set', () => {
    expect(runs([3, 3, 3, 3, 3, 3, 3], settings({ minDurationMs: 5_000 })).map(([stuck]) => stuck)).toEqual([false, false, false, false, false, true, true]);
  });

  it('raises once on a device, stays open without an update per reading, and resolves when the value moves', () => {
    const state = testDevice('s1');
    state.settings.detectors.flatline = settings();
    const item = (offset: number, temp: number): SourcedItem => ({ source: { topic: 't', partition: 0, offset }, reading: { deviceId: 's1', ts: T0 + offset * 1000, values: { temp } } });
    const events = [20.1, 20.4, 21.5, 21.5, 21.5, 21.5, 21.5, 21.5, 21.5, 20.9].flatMap((temp, i) => anomaliesOf(state, item(i, temp))).filter((e) => e.detector === 'flatline');
    expect(events.map((e) => [e.status, e.source.offset])).toEqual([['raised', 6], ['resolved', 9]]);
    expect(events[0]?.explanation).toEqual({ kind: 'flatline', value: 21.5, since: T0 + 2000, readings: 5, minReadings: 5, minDurationMs: 0, epsilon: 0 });
  });

  it('raises nothing on the repository’s samples, with its defaults', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-flatline-'));
    try {
      const config = loadConfig({});
      const cases: Array<[SampleKind, string, string | undefined]> = [
        ['sensor', 'temp', 'demo-sensor-1'],
        ['sensor', 'hum', 'demo-sensor-3'],
        ['usage', 'usage', undefined],
        ['epa', 'sampleMeasurement', '06-037-1103-44201-1'],
        ['epa', 'sampleMeasurement', '06-037-1103-88101-3'],
      ];
      for (const [kind, field, device] of cases) {
        const file = path.join(dir, `${kind}.csv`);
        fs.writeFileSync(file, describeSample(kind).csv);
        const { csv } = scoreFile(config, file, { detector: 'flatline', format: kind, field, device });
        expect(csv.split('\n').filter((line) => line.includes(',raised,')), `${kind} ${field}`).toEqual([]);
        expect(csv.split('\n').length, `${kind} ${field}: one row per reading`).toBeGreaterThan(300);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
