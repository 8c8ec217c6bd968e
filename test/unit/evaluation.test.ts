import { describe, expect, it } from 'vitest';
import { anomaliesOf, testDevice } from '../support/reference';
import { zscoreRuleSchema } from '../../src/detectors/zscore';
import { evaluationCases } from '../../src/evaluation/cases';
import { evaluate, evaluateCase } from '../../src/evaluation/evaluate';

/**
 * The labelled evaluation set through the live path, with the default settings: the exact
 * readings at which z-score and the stuck-sensor check raise and resolve an anomaly in each case.
 */
const expected: Record<string, Record<'zscore' | 'flatline', { raised: number[]; resolved: number[] }>> = {
  // Each spike and dip is raised at its reading and resolved by the next one.
  spike: { zscore: { raised: [400, 700, 1000], resolved: [401, 701, 1001] }, flatline: { raised: [], resolved: [] } },
  dip: { zscore: { raised: [400, 700, 1000], resolved: [401, 701, 1001] }, flatline: { raised: [], resolved: [] } },
  // A new level. Down: raised at the shift, resolved as a level shift at its 10th reading, then quiet.
  // Up: the model, learning the new values, widens enough at 605 and 610 to call one reading normal,
  // so the run of 10 is broken and the new level is taken in by learning: three raises in its first
  // dozen readings (the last, at 611, one past the label), then quiet.
  'level-shift-up': { zscore: { raised: [600, 606, 611], resolved: [605, 610, 612] }, flatline: { raised: [], resolved: [] } },
  'level-shift-down': { zscore: { raised: [600], resolved: [609] }, flatline: { raised: [], resolved: [] } },
  // Followed by the 200-reading window: never far from the model.
  'slow-drift': { zscore: { raised: [], resolved: [] }, flatline: { raised: [], resolved: [] } },
  // Four times the noise: found 10 readings in, then alarms until the window has learnt the spread
  // (the wider readings teach it too, so by reading 681).
  'noise-change': {
    zscore: { raised: [610, 622, 628, 632, 640, 652, 669, 680], resolved: [611, 624, 629, 633, 641, 653, 670, 681] },
    flatline: { raised: [], resolved: [] },
  },
  // The night readings at the daytime level lie inside the field's overall range: not z-score's to find.
  'daily-seasonality': { zscore: { raised: [], resolved: [] }, flatline: { raised: [], resolved: [] } },
  // Frozen from reading 700 at reading 699's value: the run is 20 readings long at 718; it moves at 900.
  stuck: { zscore: { raised: [], resolved: [] }, flatline: { raised: [718], resolved: [900] } },
  gaps: { zscore: { raised: [], resolved: [] }, flatline: { raised: [], resolved: [] } },
  quantized: { zscore: { raised: [], resolved: [] }, flatline: { raised: [], resolved: [] } },
  // Bursts after long idle stretches are news to z-score (a field with thresholds is judged by them alone);
  // the 0.00 stretches are a resting value, not a stuck sensor.
  'idle-host': {
    zscore: {
      raised: [84, 89, 202, 206, 210, 344, 346, 408, 411, 414, 544, 556, 724, 729, 1014, 1069, 1071, 1075, 1077, 1087, 1358, 1362, 1373, 1469, 1480],
      resolved: [87, 92, 204, 208, 212, 345, 347, 409, 412, 415, 545, 557, 726, 730, 1015, 1070, 1072, 1076, 1078, 1089, 1360, 1363, 1374, 1471, 1481],
    },
    flatline: { raised: [], resolved: [] },
  },
  // Once the noise has calmed, the window has learnt it: a spike of 1.7 old stdevs is found.
  'quieter-later': { zscore: { raised: [8600, 9000, 9400], resolved: [8601, 9001, 9401] }, flatline: { raised: [], resolved: [] } },
  'heavy-tails': {
    zscore: { raised: [123, 281, 471, 500, 900, 1169], resolved: [124, 282, 472, 501, 901, 1170] },
    flatline: { raised: [], resolved: [] },
  },
};

describe('the labelled evaluation set', () => {
  it('is deterministic and labelled', () => {
    const [first, second] = [evaluationCases(), evaluationCases()];
    expect(second).toEqual(first);
    expect(first.map((c) => c.name)).toEqual(Object.keys(expected));
    for (const c of first) for (const label of c.labels) expect(label.end, c.name).toBeLessThanOrEqual(c.points.length);
  });

  it('gives z-score and the stuck-sensor check their exact raise and resolve points, with the defaults', () => {
    const results = evaluate(['zscore', 'flatline']);
    const found = Object.fromEntries(Object.keys(expected).map((name) => [name, {
      zscore: pick(results.find((r) => r.detector === 'zscore' && r.case === name)),
      flatline: pick(results.find((r) => r.detector === 'flatline' && r.case === name)),
    }]));
    expect(found).toEqual(expected);
  });

  it('with the learn gate closed, resolves a level shift as such within relearnAfter readings, and raises nothing after it', () => {
    const gated = zscoreRuleSchema.parse({ learnAnomalies: false });
    const relearnAfter = gated.relearnAfter!;
    const shift = evaluationCases().find((c) => c.name === 'level-shift-up')!;
    const device = testDevice('d', { zscore: gated });
    const events = shift.points.flatMap((point, offset) => anomaliesOf(device, { source: { topic: 't', partition: 0, offset }, reading: { deviceId: 'd', ts: point.ts, values: { value: point.value } } }));
    const steps = events.filter((e) => e.detector === 'zscore').map((e) => [e.status, e.source.offset, e.explanation.kind === 'zscore' ? e.explanation.reason : undefined]);
    expect(steps).toEqual([
      ['raised', 600, undefined],
      ...Array.from({ length: relearnAfter - 2 }, (_, i) => ['updated', 601 + i, undefined]),
      ['resolved', 600 + relearnAfter - 1, 'level-shift'],
    ]);
    // The model starts again from the new level.
    expect(device.memories.zscore.value?.model.mean).toBeGreaterThan(19);
  });

  it('with the defaults (anomalies teach), takes a new level in: raises only in its first dozen readings, and ends at it', () => {
    for (const name of ['level-shift-up', 'level-shift-down']) {
      const shift = evaluationCases().find((c) => c.name === name)!;
      const device = testDevice('d', { zscore: zscoreRuleSchema.parse({}) });
      const events = shift.points.flatMap((point, offset) => anomaliesOf(device, { source: { topic: 't', partition: 0, offset }, reading: { deviceId: 'd', ts: point.ts, values: { value: point.value } } }));
      const raised = events.filter((e) => e.detector === 'zscore' && e.status === 'raised').map((e) => e.source.offset);
      expect(raised[0], name).toBe(600);
      expect(Math.max(...raised), name).toBeLessThan(612);
      const level = name === 'level-shift-up' ? 20 : 10;
      expect(Math.abs(device.memories.zscore.value!.model.mean - level), name).toBeLessThan(0.5);
    }
  });

  it('gives the seasonal Isolation Forest its measured results: blind outside seasonal data, and noisy within', () => {
    const counts = evaluate(['seasonal-iforest']).map((r) => [r.case, r.detected, r.falseAlarms]);
    expect(counts).toEqual(Object.keys(expected).map((name) => (name === 'daily-seasonality' ? [name, 2, 409] : [name, 0, 0])));
  });

  it('finds the frozen sensor and nothing else with the stuck-sensor check', () => {
    const stuck = evaluateCase('flatline', evaluationCases().find((c) => c.name === 'stuck')!);
    expect([stuck.detected, stuck.falseAlarms, stuck.delays]).toEqual([1, 0, [18]]);
  });
});

const pick = (result: { raised: number[]; resolved: number[] } | undefined) => ({ raised: result?.raised, resolved: result?.resolved });
