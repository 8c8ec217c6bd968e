import { describe, expect, it } from 'vitest';
import { erfc } from '../../../src/htm/erfc';
import {
  AnomalyLikelihood,
  calcSkipRecords,
  type LikelihoodDistribution,
  logLikelihood,
  NULL_DISTRIBUTION,
  tailProbability,
} from '../../../src/htm/likelihood';
import { numpyMean, numpyVariance, pairwiseSum } from '../../../src/htm/pairwise-sum';
import { likelihoodParamsSchema, nabLikelihoodParams, nabProbationaryPeriod } from '../../../src/htm/params';
import { SnapshotReader, SnapshotWriter } from '../../../src/htm/snapshot';
import { MT19937 } from '../../../src/random/mt19937';

const normal = (mean: number, variance: number): LikelihoodDistribution => ({ mean, variance, stdev: Math.sqrt(variance) });

describe('erfc', () => {
  // Reference values from a C library erfc (via Python's math.erfc).
  const reference: [number, number][] = [
    [-3, 1.9999779095030015],
    [-1, 1.842700792949715],
    [-0.5, 1.5204998778130465],
    [0, 1],
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [1.4, 0.04771488023735121],
    [1.5, 0.033894853524689274],
    [1.6, 0.023651616655355985],
    [2, 0.004677734981047265],
    [3, 2.2090496998585438e-5],
    [5, 1.5374597944280351e-12],
    [10, 2.088487583762545e-45],
  ];
  it.each(reference)('erfc(%f) is within 1e-13 relative of the reference', (x, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-13);
  });

  it('underflows to 0 far out and gives NaN for NaN', () => {
    expect(erfc(40)).toBe(0);
    expect(erfc(-40)).toBe(2);
    expect(erfc(Number.NaN)).toBeNaN();
  });
});

describe('numpy-order sums', () => {
  it('match plain sums closely and follow the pairwise blocking', () => {
    const rng = new MT19937(3);
    const values = Float64Array.from({ length: 1000 }, () => rng.getReal64());
    let plain = 0;
    for (const value of values) plain += value;
    expect(pairwiseSum(values, 0, 1000)).toBeCloseTo(plain, 10);
    expect(numpyMean(Float64Array.of(1, 2, 3, 4), 0, 4)).toBe(2.5);
    expect(numpyVariance(Float64Array.of(1, 2, 3, 4), 0, 4, new Float64Array(4))).toBe(1.25);
    // Eight interleaved partial sums: 1e16 + 1 + … cancels differently from left-to-right.
    const tricky = Float64Array.of(1e16, 1, 1, 1, 1, 1, 1, 1, -1e16, 1, 1, 1, 1, 1, 1, 1);
    expect(pairwiseSum(tricky, 0, 16)).toBe(14);
  });
});

describe('tailProbability', () => {
  it('matches the normal tail (nupic testNormalProbability)', () => {
    const standard = normal(0, 1);
    expect(tailProbability(0, standard)).toBeCloseTo(0.5, 6);
    expect(tailProbability(0.3, standard)).toBeCloseTo(0.3821, 3);
    expect(tailProbability(1, standard)).toBeCloseTo(0.1587, 3);
    expect(tailProbability(-1, standard)).toBe(tailProbability(1, standard));
    const wider = normal(1, 4);
    expect(tailProbability(1, wider)).toBeCloseTo(0.5, 6);
    expect(tailProbability(2, wider)).toBeCloseTo(0.3085, 3);
    expect(tailProbability(3, wider)).toBeCloseTo(0.1587, 3);
    expect(tailProbability(-1, wider)).toBe(tailProbability(3, wider));
  });

  it('uses 1.4142, not √2', () => {
    expect(tailProbability(1, normal(0, 1))).toBe(0.5 * erfc(1 / 1.4142));
  });
});

describe('calcSkipRecords and the log score', () => {
  it('skips the learning period less what has shifted out of the window', () => {
    expect(calcSkipRecords(5, 10, 10)).toBe(5);
    expect(calcSkipRecords(14, 10, 10)).toBe(6);
    expect(calcSkipRecords(20, 10, 10)).toBe(0);
    expect(calcSkipRecords(0, 10, 10)).toBe(0);
  });

  it('maps 0.5 → 0.0301, 0.99999 → 0.5, 1 → 1', () => {
    expect(logLikelihood(0.5)).toBeCloseTo(0.0301029996658834, 12);
    expect(logLikelihood(0.99999)).toBeCloseTo(0.5, 5);
    expect(logLikelihood(1)).toBeCloseTo(1, 12);
  });

  it('derives NAB parameters from the probationary period', () => {
    expect(nabProbationaryPeriod(4032)).toBe(604);
    expect(nabProbationaryPeriod(22_000)).toBe(750);
    expect(nabLikelihoodParams(604)).toMatchObject({ learningPeriod: 302, estimationSamples: 302, historicWindowSize: 8640, reestimationPeriod: 100 });
  });
});

describe('AnomalyLikelihood', () => {
  const small = likelihoodParamsSchema.parse({ learningPeriod: 20, estimationSamples: 30, historicWindowSize: 200, reestimationPeriod: 25 });

  function noisyScores(count: number, mean: number, spread: number, seed = 1): number[] {
    const rng = new MT19937(seed);
    return Array.from({ length: count }, () => Math.min(1, Math.max(0, mean + spread * (rng.getReal64() - 0.5))));
  }

  it('is exactly 0.5 for the first L + E records (defaults: 388)', () => {
    const likelihood = new AnomalyLikelihood(likelihoodParamsSchema.parse({}));
    const rng = new MT19937(9);
    for (let i = 0; i < 388; i++) expect(likelihood.compute(rng.getReal64() * 100, rng.getReal64())).toBe(0.5);
    expect(likelihood.distribution).toBeNull();
    likelihood.compute(50, 0.5);
    expect(likelihood.distribution).not.toBeNull();
  });

  it('re-estimates only when the record index is a multiple of R (after the first estimate)', () => {
    const likelihood = new AnomalyLikelihood(small);
    const scores = noisyScores(300, 0.3, 0.4);
    const changes: number[] = [];
    let previous = likelihood.distribution;
    scores.forEach((score, i) => {
      likelihood.compute(i % 7, score);
      if (likelihood.distribution !== previous) changes.push(i);
      previous = likelihood.distribution;
    });
    expect(changes).toEqual([50, 75, 100, 125, 150, 175, 200, 225, 250, 275]);
  });

  it('uses the null distribution for a flat metric', () => {
    const likelihood = new AnomalyLikelihood(small);
    for (const score of noisyScores(120, 0.3, 0.4)) likelihood.compute(42, score);
    expect(likelihood.distribution).toEqual(NULL_DISTRIBUTION);
  });

  it('clamps the fitted mean to ≥ 0.03 and the variance to ≥ 0.0003', () => {
    const likelihood = new AnomalyLikelihood(small);
    for (let i = 0; i < 60; i++) likelihood.compute(i, 0);
    expect(likelihood.distribution).toMatchObject({ mean: 0.03, variance: 0.0003 });
  });

  it('scores averages well above a low baseline as very unlikely', () => {
    const likelihood = new AnomalyLikelihood(small);
    noisyScores(100, 0.01, 0.02).forEach((score, i) => likelihood.compute(i % 13, score));
    const tails: number[] = [];
    for (let i = 0; i < 40; i++) tails.push(1 - likelihood.compute(i % 13, 0.1));
    const settled = tails.slice(10, 25); // the window is full of 0.1s; no re-estimate yet
    expect(settled.reduce((a, b) => a + b, 0) / settled.length).toBeLessThan(0.002);
  });

  it('reports 1 − 1e-3 for the second consecutive red-zone record', () => {
    const likelihood = new AnomalyLikelihood(small);
    noisyScores(60, 0.01, 0.02).forEach((score, i) => likelihood.compute(i % 13, score));
    const first = likelihood.compute(1, 1);
    const second = likelihood.compute(1, 1);
    expect(first).toBeGreaterThan(0.99999);
    expect(second).toBe(1 - (1.0 - 0.999));
  });

  it('round-trips through a snapshot, including the running total', () => {
    const original = new AnomalyLikelihood(small);
    const scores = noisyScores(400, 0.4, 0.8, 5);
    scores.slice(0, 230).forEach((score, i) => original.compute(i * 0.1, score));
    const out = new SnapshotWriter();
    original.write(out);
    const bytes = out.finish();
    const copy = AnomalyLikelihood.read(new SnapshotReader(bytes), small);
    scores.slice(230).forEach((score, i) => expect(copy.compute(i, score)).toBe(original.compute(i, score)));
    const again = new SnapshotWriter();
    const copyBytes = new SnapshotWriter();
    original.write(again);
    copy.write(copyBytes);
    expect(copyBytes.finish()).toEqual(again.finish());
  });
});
