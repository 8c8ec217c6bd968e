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
  // A new level: raised at the shift, resolved as a level shift at its 10th reading, then quiet.
  'level-shift-up': { zscore: { raised: [600], resolved: [609] }, flatline: { raised: [], resolved: [] } },
  'level-shift-down': { zscore: { raised: [600], resolved: [609] }, flatline: { raised: [], resolved: [] } },
  // Followed by the 200-reading window: never far from the model.
  'slow-drift': { zscore: { raised: [], resolved: [] }, flatline: { raised: [], resolved: [] } },
  // Four times the noise: found 10 readings in, then alarms until the window has learnt the spread.
  'noise-change': {
    zscore: { raised: [610, 622, 628, 632, 637, 640, 646, 648, 652, 654, 662, 669, 677, 679, 734, 824], resolved: [611, 624, 631, 633, 638, 641, 647, 649, 653, 655, 663, 670, 678, 681, 735, 825] },
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
      raised: [84, 202, 346, 408, 544, 556, 724, 729, 805, 1010, 1014, 1069, 1071, 1073, 1075, 1077, 1082, 1085, 1356],
      resolved: [93, 211, 347, 409, 545, 557, 726, 731, 806, 1012, 1015, 1070, 1072, 1074, 1076, 1080, 1083, 1092, 1365],
    },
    flatline: { raised: [], resolved: [] },
  },
  // Once the noise has calmed, the window has learnt it: a spike of 1.7 old stdevs is found.
  'quieter-later': { zscore: { raised: [8600, 9000, 9400], resolved: [8601, 9001, 9401] }, flatline: { raised: [], resolved: [] } },
  'heavy-tails': {
    zscore: { raised: [123, 281, 471, 475, 500, 716, 777, 900, 981, 1027, 1169, 1226, 1307], resolved: [124, 282, 472, 476, 501, 717, 778, 901, 982, 1028, 1170, 1227, 1308] },
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

  it('resolves a level shift as such within relearnAfter readings, and raises nothing after it', () => {
    const relearnAfter = zscoreRuleSchema.parse({}).relearnAfter!;
    const shift = evaluationCases().find((c) => c.name === 'level-shift-up')!;
    const device = testDevice('d', { zscore: zscoreRuleSchema.parse({}) });
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
