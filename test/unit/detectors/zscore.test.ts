import { describe, expect, it } from 'vitest';
import { addValue, emptyM2, type M2 } from '../../../src/detectors/welford';
import { judgeZScore, type ZScoreRule } from '../../../src/detectors/zscore';

/** 40 values alternating 9 and 11: mean 10, m2 40, sample stdev sqrt(40/39). */
const model: M2 = { n: 40, mean: 10, m2: 40 };
const sd = Math.sqrt(40 / 39);
const rule = (direction: ZScoreRule['direction'], k = 3, minSamples = 30): ZScoreRule => ({ k, minSamples, direction, clearAfter: 1, learnAnomalies: false, relearnAfter: null, window: null });

describe('judgeZScore', () => {
  it('uses a model equal to folding 9, 11, 9, 11, … (n = 40)', () => {
    let folded = emptyM2();
    for (let i = 0; i < 40; i += 1) folded = addValue(folded, i % 2 === 0 ? 9 : 11);
    expect(folded.n).toBe(40);
    expect(folded.mean).toBeCloseTo(10, 12);
    expect(folded.m2).toBeCloseTo(40, 10);
  });

  it('returns the bounds mean ∓ k·stdev and the exact z', () => {
    const verdict = judgeZScore(model, 13, rule('both'));
    expect(verdict).toEqual({
      anomalous: false,
      mean: 10,
      stdev: sd,
      z: 3 / sd,
      lower: 10 - 3 * sd,
      upper: 10 + 3 * sd,
    });
    expect(judgeZScore(model, 7.5, rule('both'))?.z).toBe(-2.5 / sd);
  });

  it('is undefined while warming up (n < minSamples) and judges from n = minSamples', () => {
    expect(judgeZScore(model, 1000, rule('both', 3, 41))).toBeUndefined();
    expect(judgeZScore(model, 1000, rule('both', 3, 40))?.anomalous).toBe(true);
    expect(judgeZScore(emptyM2(), 1000, rule('both', 3, 2))).toBeUndefined();
    expect(judgeZScore({ n: 1, mean: 5, m2: 0 }, 1000, rule('both', 3, 2))).toBeUndefined();
  });

  it('treats a value exactly on the bound as normal and strictly beyond it as anomalous', () => {
    const { upper, lower } = judgeZScore(model, 10, rule('both')) as NonNullable<ReturnType<typeof judgeZScore>>;
    expect(judgeZScore(model, upper, rule('both'))?.anomalous).toBe(false);
    expect(judgeZScore(model, upper, rule('above'))?.anomalous).toBe(false);
    const beyondUpper = upper * (1 + 1e-12);
    expect(beyondUpper).toBeGreaterThan(upper);
    expect(judgeZScore(model, beyondUpper, rule('both'))?.anomalous).toBe(true);
    expect(judgeZScore(model, beyondUpper, rule('above'))?.anomalous).toBe(true);

    expect(judgeZScore(model, lower, rule('both'))?.anomalous).toBe(false);
    expect(judgeZScore(model, lower, rule('below'))?.anomalous).toBe(false);
    const beyondLower = lower * (1 - 1e-12);
    expect(beyondLower).toBeLessThan(lower);
    expect(judgeZScore(model, beyondLower, rule('both'))?.anomalous).toBe(true);
    expect(judgeZScore(model, beyondLower, rule('below'))?.anomalous).toBe(true);
  });

  it('honours the direction', () => {
    const high = 20;
    const low = 0;
    expect(judgeZScore(model, high, rule('above'))?.anomalous).toBe(true);
    expect(judgeZScore(model, low, rule('above'))?.anomalous).toBe(false);
    expect(judgeZScore(model, high, rule('below'))?.anomalous).toBe(false);
    expect(judgeZScore(model, low, rule('below'))?.anomalous).toBe(true);
    expect(judgeZScore(model, high, rule('both'))?.anomalous).toBe(true);
    expect(judgeZScore(model, low, rule('both'))?.anomalous).toBe(true);
    expect(judgeZScore(model, 10, rule('both'))?.anomalous).toBe(false);
  });

  it('scales the bounds with k', () => {
    // 12 is 2/sd ≈ 1.97 stdev above the mean.
    expect(judgeZScore(model, 12, rule('both', 1.9))?.anomalous).toBe(true);
    expect(judgeZScore(model, 12, rule('both', 2))?.anomalous).toBe(false);
  });

  describe('with stdev 0 (all values equal)', () => {
    const flat: M2 = [7, 7, 7, 7, 7].reduce(addValue, emptyM2());

    it('has z null and flags any different value in its direction', () => {
      expect(flat).toEqual({ n: 5, mean: 7, m2: 0 });
      expect(judgeZScore(flat, 8, rule('above', 3, 5))).toEqual({
        anomalous: true,
        mean: 7,
        stdev: 0,
        z: null,
        lower: 7,
        upper: 7,
      });
      expect(judgeZScore(flat, 6, rule('above', 3, 5))).toMatchObject({ anomalous: false, z: null });
      expect(judgeZScore(flat, 6, rule('below', 3, 5))).toMatchObject({ anomalous: true, z: null });
    });

    it('has z 0 and is not anomalous for the same value', () => {
      for (const direction of ['above', 'below', 'both'] as const) {
        expect(judgeZScore(flat, 7, rule(direction, 3, 5))).toMatchObject({ anomalous: false, z: 0 });
      }
    });
  });
});
