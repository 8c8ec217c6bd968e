import { describe, expect, it } from 'vitest';
import { nabProfiles, probationaryLength, type ScoredFile, scaledSigmoid, scoreCorpus, scoresByThreshold, sweepPoints } from '../../src/evaluation/nab-scoring';

/**
 * NAB's scoring rules on cases small enough to compute by hand. The expected figures were worked
 * out from the rules (σ(x) = 1/(1 + e^−x), S(x) = 2σ(−5x) − 1) with a calculator, not by this code.
 */
const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const at = (row: number) => T0 + row * MINUTE;

/** 100 rows (probation floor(0.15·100) = 15), one window over rows 50..54, scores given by row. */
function file(scoresByRow: Record<number, number>, windows = [{ start: at(50), end: at(54) }]): ScoredFile {
  return {
    name: 'test/file.csv',
    timestamps: Array.from({ length: 100 }, (_, row) => at(row)),
    scores: Array.from({ length: 100 }, (_, row) => scoresByRow[row] ?? 0),
    windows,
  };
}

describe('NAB scoring', () => {
  it('has the scaled sigmoid of the paper: 0.98661 at −1, 0 at the window end, −1 from 3 on', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.9866142981514305, 15);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.8482836399575131, 15);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.9866142981514305, 15);
    expect(scaledSigmoid(2.999)).toBeGreaterThan(-1);
    expect(scaledSigmoid(3)).toBe(-1);
  });

  it('leaves 15 % of a file out, at most 750 rows', () => {
    expect(probationaryLength(20)).toBe(3);
    expect(probationaryLength(100)).toBe(15);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(5000)).toBe(750);
    expect(probationaryLength(22_695)).toBe(750);
  });

  it('weighs a row by its place: the window earliest first, false positives by their distance past the window', () => {
    const points = sweepPoints(file({}), nabProfiles.standard);
    // Rows 0..14 are probationary; rows 15..99 remain.
    expect(points).toHaveLength(85);
    const byRow = (row: number) => points[row - 15]!;
    // The window's first row is worth exactly A_TP; its middle row S(−0.6)/S(−1) = 0.9174287.
    expect(byRow(50)).toEqual({ anomalyScore: 0, sweepScore: 1, window: `test/file.csv|${at(50)}` });
    expect(byRow(52).sweepScore).toBeCloseTo(0.9174286804284079, 12);
    // Its last row: S(−0.2)/S(−1) = 0.4683868.
    expect(byRow(54).sweepScore).toBeCloseTo(0.46838684390227814, 12);
    // Before any window: the whole A_FP. Three rows past it (3/4 of a width): 0.11 · S(0.75) = 0.11 · −0.9540453.
    expect(byRow(25)).toEqual({ anomalyScore: 0, sweepScore: -0.11, window: null });
    expect(byRow(57).sweepScore).toBeCloseTo(0.11 * -0.9540452601799487, 12);
  });

  it('sweeps the thresholds from the highest score down, and counts only a window\'s earliest detection', () => {
    // Row 5 is probationary (ignored); row 25 a false positive before the window, row 52 a hit, row 57 a false positive after.
    const scores = scoresByThreshold(sweepPoints(file({ 5: 1, 25: 0.7, 52: 0.9, 57: 0.8 }), nabProfiles.standard), nabProfiles.standard);
    expect(scores.map((s) => s.threshold)).toEqual([1.1, 0.9, 0.8, 0.7, 0]);
    expect(scores[0]).toMatchObject({ score: -1, tp: 0, fp: 0, tn: 80, fn: 5, windowsDetected: 0, windows: 1 });
    expect(scores[1]!.score).toBeCloseTo(0.9174286804284079, 12);
    expect(scores[1]).toMatchObject({ tp: 1, fn: 4, windowsDetected: 1 });
    expect(scores[2]!.score).toBeCloseTo(0.8124837018086135, 12);
    expect(scores[3]!.score).toBeCloseTo(0.7024837018086135, 12);
    // At 0 every row detects: the window is worth its first row (1), and the 80 rows outside cost
    // 0.11 each before it (rows 15..49) and 0.11 · S(d/4) at d = 1..45 rows after it.
    const after = Array.from({ length: 45 }, (_, k) => 0.11 * scaledSigmoid((k + 1) / 4)).reduce((a, b) => a + b, 0);
    expect(scores[4]!.score).toBeCloseTo(1 - 35 * 0.11 + after, 12);
    expect(scores[4]).toMatchObject({ tp: 5, fp: 80, tn: 0, fn: 0 });
  });

  it('optimises the threshold and normalises against the null and the perfect detector, per profile', () => {
    const scored = file({ 5: 1, 25: 0.7, 52: 0.9, 57: 0.8 });
    const standard = scoreCorpus([scored], 'standard');
    expect(standard.threshold).toBe(0.9);
    expect(standard.null).toBe(-1);
    expect(standard.perfect).toBe(1);
    // 100 · (0.9174287 + 1) / (1 + 1)
    expect(standard.normalised).toBeCloseTo(95.8714340214204, 10);
    // Missing a window costs twice as much: 100 · (0.9174287 + 2) / (1 + 2).
    const lowFn = scoreCorpus([scored], 'reward_low_FN_rate');
    expect(lowFn.null).toBe(-2);
    expect(lowFn.normalised).toBeCloseTo(97.24762268094692, 10);
    // The null detector scores 0 and a perfect one, at each window's first row, 100.
    expect(scoreCorpus([file({})], 'standard').normalised).toBe(0);
    expect(scoreCorpus([file({ 50: 1 })], 'reward_low_FP_rate').normalised).toBe(100);
  });

  it('picks the threshold over the whole corpus, not per file', () => {
    // Alone, the first file's best threshold would be 0.95 (its hit, not the false positive at 0.6);
    // together 0.6 finds the second file's window too, worth more than the false positive costs.
    const first = file({ 50: 0.95, 20: 0.6 });
    const second = file({ 51: 0.6 });
    const both = scoreCorpus([first, { ...second, name: 'test/second.csv' }], 'standard');
    expect(both.threshold).toBe(0.6);
    const hit11 = scaledSigmoid(-0.8) / scaledSigmoid(-1);
    expect(both.raw).toBeCloseTo(1 - 0.11 + hit11, 12);
    expect(both.counts).toMatchObject({ windowsDetected: 2, windows: 2 });
  });

  it('does not score a window inside the probationary period, but counts it for the perfect detector', () => {
    const early = file({ 1: 1 }, [{ start: at(0), end: at(2) }]);
    const result = scoreCorpus([early], 'standard');
    expect(result.counts.windows).toBe(0);
    expect(result.null).toBe(0);
    expect(result.perfect).toBe(1);
  });

  it('refuses window limits that are not rows of the file', () => {
    expect(() => sweepPoints(file({}, [{ start: at(50), end: at(54) + 1 }]), nabProfiles.standard)).toThrow(/is no row of the file/);
  });
});
