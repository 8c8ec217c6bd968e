import { describe, expect, it } from 'vitest';
import { addValue, emptyM2, type M2, stdev, variance } from '../../../src/detectors/welford';
import { seededRandom } from '../../../src/samples';

const fold = (values: readonly number[]): M2 => values.reduce(addValue, emptyM2());

function twoPass(values: readonly number[]): { mean: number; variance: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, variance: squares / (values.length - 1) };
}

function expectRelativelyClose(actual: number, expected: number, tolerance = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)));
}

describe('Welford running moments', () => {
  it('matches a two-pass mean and sample variance over 10^5 values', () => {
    const random = seededRandom(1);
    const values = Array.from({ length: 100_000 }, () => 1000 + 50 * (random() - 0.5));
    const model = fold(values);
    const reference = twoPass(values);
    expect(model.n).toBe(100_000);
    expectRelativelyClose(model.mean, reference.mean);
    expectRelativelyClose(variance(model) as number, reference.variance);
    expectRelativelyClose(stdev(model) as number, Math.sqrt(reference.variance));
    // Uniform noise of width 50 has variance 50²/12 ≈ 208.3: sanity-check the data itself.
    expect(reference.variance).toBeGreaterThan(200);
    expect(reference.variance).toBeLessThan(217);
  });

  it('stays numerically stable with a large offset (1e6 + U[0,1))', () => {
    const random = seededRandom(2);
    const values = Array.from({ length: 100_000 }, () => 1e6 + random());
    const model = fold(values);
    const reference = twoPass(values);
    expectRelativelyClose(model.mean, reference.mean);
    expectRelativelyClose(variance(model) as number, reference.variance);
    // The naive sum/sum-of-squares formula loses this variance (≈ 1/12) almost entirely.
    expect(reference.variance).toBeGreaterThan(0.08);
    expect(reference.variance).toBeLessThan(0.087);
  });

  it('has no variance or stdev below two values', () => {
    expect(variance(emptyM2())).toBeUndefined();
    expect(stdev(emptyM2())).toBeUndefined();
    const one = addValue(emptyM2(), 42);
    expect(one).toEqual({ n: 1, mean: 42, m2: 0 });
    expect(variance(one)).toBeUndefined();
    expect(stdev(one)).toBeUndefined();
    const two = addValue(one, 44);
    expect(variance(two)).toBe(2);
    expect(stdev(two)).toBe(Math.SQRT2);
  });

  it('gives the exact sample variance 32/7 for [2, 4, 4, 4, 5, 5, 7, 9]', () => {
    const model = fold([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(model.n).toBe(8);
    expect(model.mean).toBe(5);
    expect(model.m2).toBe(32);
    expect(variance(model)).toBe(32 / 7);
    expect(stdev(model)).toBe(Math.sqrt(32 / 7));
  });

  it('does not mutate the model it is given', () => {
    const model: M2 = { n: 3, mean: 2, m2: 2 };
    const next = addValue(model, 6);
    expect(model).toEqual({ n: 3, mean: 2, m2: 2 });
    expect(next).toEqual({ n: 4, mean: 3, m2: 14 });
  });
});
