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
const settings = (input: Partial<ReturnType<typeof flatlineSettingsSchema.parse>> = {}) => flatlineSettingsSchema.parse({ minReadings: 5, ...input });

/** Runs values through the detector alone, one a second; each reading's [stuck, run length]. */
function runs(values: number[], s = settings()) {
  let memory: ReturnType<typeof flatlineDetector.judge>['memory'];
  return values.map((value, i) => {
    const judged = flatlineDetector.judge(memory, { field: 'temp', ts: T0 + i * 1000, value, activeTs: T0 + i * 1000, evidence: undefined }, { settings: s, openSide: null });
    memory = judged.memory;
    return [judged.finding?.verdict.firing, judged.observation.run.readings];
  });
}
const stuckAt = (values: number[], s = settings()) => runs(values, s).flatMap(([stuck], i) => (stuck ? [i] : []));

/** Ten readings that all differ: the field has shown it varies (its repeat rate is 0). */
const varied = Array.from({ length: 10 }, (_, i) => 20 + i / 10);

describe('the flatline detector', () => {
  it('is stuck from the reading that makes the run minReadings long, until a value moves', () => {
    expect(runs([...varied, 7, 7, 7, 7, 7, 7, 8]).slice(10)).toEqual([[false, 1], [false, 2], [false, 3], [false, 4], [true, 5], [true, 6], [false, 1]]);
  });

  it('takes a field that never varied for constant, not stuck', () => {
    expect(stuckAt(Array(100).fill(3))).toEqual([]);
  });

  it('needs a longer run of a field that often repeats: what its repeat rate makes improbable', () => {
    // Runs of three: 2 of 3 readings repeat the one before. (2/3)^(n − 1) < 1e-6 from n = 36.
    const often = Array.from({ length: 60 }, (_, i) => Math.floor(i / 3));
    expect(stuckAt([...often, ...Array(40).fill(99)])).toEqual([60 + 35, ...Array.from({ length: 4 }, (_, i) => 60 + 36 + i)]);
  });

  it('takes 0, and a value the field rested at before for a long run that ended by itself, for rest', () => {
    const idle = [...varied, ...Array(12).fill(0), 0.5, 1.2, 0.7, ...Array(50).fill(0)];
    expect(stuckAt(idle), 'an idle host sits at 0.00').toEqual([]);
    expect(stuckAt(idle, settings({ restAtZero: false })), 'unless 0 is not rest: the first idle run is stuck, and teaches nothing').toEqual([14, 15, 16, 17, 18, 19, 20, 21, ...Array.from({ length: 46 }, (_, i) => 29 + i)]);
    // 2.5 for a long run before the repeat rate is known (a device that starts resting), then work.
    // The field repeated 40 of its first 53 readings, so a run is stuck at 51 readings: (40/53)^50 < 1e-6.
    const resting = [...Array(12).fill(2.5), ...varied, ...Array(30).fill(2.5), 1, ...Array(80).fill(7)];
    expect(stuckAt(resting), '2.5 is where it rests; frozen at 7 it is stuck').toEqual(Array.from({ length: 30 }, (_, i) => 53 + 50 + i));
  });

  it('counts values within epsilon of the run’s first as the same', () => {
    expect(runs([...varied, 7, 7.04, 6.97, 7.05, 7.01], settings({ epsilon: 0.05 })).slice(10).map(([stuck]) => stuck)).toEqual([false, false, false, false, true]);
    expect(runs([...varied, 7, 7.04, 6.97, 7.06, 7.01], settings({ epsilon: 0.05 })).slice(10).map(([, run]) => run)).toEqual([1, 2, 3, 1, 2]);
  });

  it('needs the event time as well when minDurationMs is set', () => {
    expect(runs([...varied, 3, 3, 3, 3, 3, 3, 3], settings({ minDurationMs: 5_000 })).slice(10).map(([stuck]) => stuck)).toEqual([false, false, false, false, false, true, true]);
  });

  it('raises once on a device, stays open without an update per reading, and resolves when the value moves', () => {
    const state = testDevice('s1', { judging: { temp: ['flatline'] } });
    state.settings.detectors.flatline = settings();
    const item = (offset: number, temp: number): SourcedItem => ({ source: { topic: 't', partition: 0, offset }, reading: { deviceId: 's1', ts: T0 + offset * 1000, values: { temp } } });
    const values = [...varied, 21.5, 21.5, 21.5, 21.5, 21.5, 21.5, 21.5, 20.9];
    const events = values.flatMap((temp, i) => anomaliesOf(state, item(i, temp))).filter((e) => e.detector === 'flatline');
    expect(events.map((e) => [e.status, e.source.offset])).toEqual([['raised', 14], ['resolved', 17]]);
    expect(events[0]?.explanation).toEqual({ kind: 'flatline', value: 21.5, since: T0 + 10_000, readings: 5, repeatRate: 0, minReadings: 5, epsilon: 0 });
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
