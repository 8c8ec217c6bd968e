import { erfc } from './erfc';
import { numpyMean, numpyVariance } from './pairwise-sum';
import type { LikelihoodParams } from './params';
import type { SnapshotReader, SnapshotWriter } from './snapshot';

/** A normal distribution of averaged raw anomaly scores. */
export interface LikelihoodDistribution {
  readonly mean: number;
  readonly variance: number;
  readonly stdev: number;
}

/** nupic's "null" distribution: so wide that every average looks ordinary. */
export const NULL_DISTRIBUTION: LikelihoodDistribution = { mean: 0.5, variance: 1e6, stdev: 1e3 };

// nupic writes its thresholds as 1 − 0.99999 and 1 − 0.999; computing them the same way keeps
// the exact doubles (9.99999999995449e-6 and 0.0010000000000000009).
const RED_THRESHOLD = 1.0 - 0.99999;
const YELLOW_THRESHOLD = 1.0 - 0.999;
const MIN_MEAN = 0.03;
const MIN_VARIANCE = 0.0003;
/** Below this variance of the metric values, the metric counts as flat (nupic's hack for constant metrics). */
const FLAT_METRIC_VARIANCE = 1.5e-5;

/**
 * The probability that a normal variable exceeds x, reflected below the mean so unusually
 * low averages count too. nupic divides by 1.4142 rather than √2; so do we.
 */
export function tailProbability(x: number, distribution: LikelihoodDistribution): number {
  const { mean, stdev } = distribution;
  const reflected = x < mean ? 2 * mean - x : x;
  const z = (reflected - mean) / stdev;
  return 0.5 * erfc(z / 1.4142);
}

/**
 * Records to skip at the front of the history when estimating: the learning period, less
 * the records already shifted out of the window (nupic `_calcSkipRecords`).
 */
export function calcSkipRecords(numIngested: number, windowSize: number, learningPeriod: number): number {
  const numShiftedOut = Math.max(0, numIngested - windowSize);
  return Math.min(numIngested, Math.max(0, learningPeriod - numShiftedOut));
}

/** nupic's log score: 0.5 → 0.0301, 0.99999 → 0.5, 1 → 1. */
export function logLikelihood(likelihood: number): number {
  return Math.log(1.0000000001 - likelihood) / -23.02585084720009;
}

/**
 * nupic's AnomalyLikelihood (`algorithms/anomaly_likelihood.py`), which NAB's numenta
 * detectors wrap around the raw score:
 *
 * - for the first L + E records the likelihood is 0.5;
 * - after that, when there is no distribution yet or the record index is a multiple of R,
 *   a normal distribution is fitted to the 10-record moving averages of the raw scores in
 *   the history (up to H records), skipping the first calcSkipRecords ones; a flat metric
 *   gets the null distribution;
 * - each record then slides the moving average and scores 1 − tail probability of it,
 *   except that a second consecutive tail ≤ 1e-5 reports 1 − 1e-3 (the red-zone filter).
 *
 * Floating-point order follows nupic: the moving-average total is a running sum (so it is
 * saved, not recomputed) and means/variances sum like numpy.
 */
export class AnomalyLikelihood {
  private iteration = 0;
  private readonly historyValues: Float64Array;
  private readonly historyScores: Float64Array;
  private historyStart = 0;
  private historyCount = 0;
  private distributionState: LikelihoodDistribution | null = null;
  /** The last `averagingWindow` raw scores (a ring) and their running total. */
  private readonly window: Float64Array;
  private windowStart = 0;
  private windowCount = 0;
  private windowTotal = 0;
  /** The last `averagingWindow` unfiltered tail probabilities (a ring). */
  private readonly recentTails: Float64Array;
  private recentTailStart = 0;
  private recentTailCount = 0;
  // Estimation scratch.
  private readonly averages: Float64Array;
  private readonly metricValues: Float64Array;
  private readonly scratch: Float64Array;

  constructor(readonly params: LikelihoodParams) {
    this.historyValues = new Float64Array(params.historicWindowSize);
    this.historyScores = new Float64Array(params.historicWindowSize);
    this.window = new Float64Array(params.averagingWindow);
    this.recentTails = new Float64Array(params.averagingWindow);
    this.averages = new Float64Array(params.historicWindowSize);
    this.metricValues = new Float64Array(params.historicWindowSize);
    this.scratch = new Float64Array(params.historicWindowSize);
  }

  /** Records seen. */
  get iterations(): number {
    return this.iteration;
  }

  get probationaryPeriod(): number {
    return this.params.learningPeriod + this.params.estimationSamples;
  }

  /** The current fitted distribution, null before the first estimate. */
  get distribution(): LikelihoodDistribution | null {
    return this.distributionState;
  }

  /** nupic's anomalyProbability: the likelihood that this record is anomalous. */
  compute(value: number, rawScore: number): number {
    let likelihood = 0.5;
    if (this.iteration >= this.probationaryPeriod) {
      if (this.distributionState === null || this.iteration % this.params.reestimationPeriod === 0) {
        this.estimate(calcSkipRecords(this.iteration, this.params.historicWindowSize, this.params.learningPeriod));
      }
      likelihood = 1.0 - this.update(rawScore);
    }
    this.appendHistory(value, rawScore);
    this.iteration++;
    return likelihood;
  }

  write(out: SnapshotWriter): void {
    out.f64(this.iteration);
    out.u32(this.historyCount);
    for (let k = 0; k < this.historyCount; k++) out.f64(this.historyValues[this.historyIndex(k)]!);
    for (let k = 0; k < this.historyCount; k++) out.f64(this.historyScores[this.historyIndex(k)]!);
    out.bool(this.distributionState !== null);
    if (this.distributionState !== null) {
      out.f64(this.distributionState.mean);
      out.f64(this.distributionState.variance);
      out.f64(this.distributionState.stdev);
    }
    out.u32(this.windowCount);
    for (let k = 0; k < this.windowCount; k++) out.f64(this.window[(this.windowStart + k) % this.window.length]!);
    out.f64(this.windowTotal);
    out.u32(this.recentTailCount);
    for (let k = 0; k < this.recentTailCount; k++) out.f64(this.recentTails[(this.recentTailStart + k) % this.recentTails.length]!);
  }

  static read(input: SnapshotReader, params: LikelihoodParams): AnomalyLikelihood {
    const likelihood = new AnomalyLikelihood(params);
    likelihood.iteration = input.f64();
    const historyCount = input.u32();
    if (historyCount > params.historicWindowSize) throw new Error('snapshot: likelihood history too long');
    likelihood.historyValues.set(input.f64Array(historyCount));
    likelihood.historyScores.set(input.f64Array(historyCount));
    likelihood.historyCount = historyCount;
    if (input.bool()) likelihood.distributionState = { mean: input.f64(), variance: input.f64(), stdev: input.f64() };
    const windowCount = input.u32();
    if (windowCount > params.averagingWindow) throw new Error('snapshot: likelihood window too long');
    likelihood.window.set(input.f64Array(windowCount));
    likelihood.windowCount = windowCount;
    likelihood.windowTotal = input.f64();
    const tailCount = input.u32();
    if (tailCount > params.averagingWindow) throw new Error('snapshot: likelihood tails too long');
    likelihood.recentTails.set(input.f64Array(tailCount));
    likelihood.recentTailCount = tailCount;
    return likelihood;
  }

  /** nupic's estimateAnomalyLikelihoods over the whole history, keeping its moving-average state. */
  private estimate(skip: number): void {
    const count = this.historyCount;
    const averages = this.averages;
    this.windowStart = 0;
    this.windowCount = 0;
    this.windowTotal = 0;
    for (let k = 0; k < count; k++) averages[k] = this.slide(this.historyScores[this.historyIndex(k)]!);

    let distribution = NULL_DISTRIBUTION;
    if (count > skip) {
      const mean = Math.max(numpyMean(averages, skip, count), MIN_MEAN);
      const variance = Math.max(numpyVariance(averages, skip, count, this.scratch), MIN_VARIANCE);
      distribution = { mean, variance, stdev: Math.sqrt(variance) };
      const values = this.metricValues;
      for (let k = skip; k < count; k++) values[k] = this.historyValues[this.historyIndex(k)]!;
      if (numpyVariance(values, skip, count, this.scratch) < FLAT_METRIC_VARIANCE) distribution = NULL_DISTRIBUTION;
    }
    this.distributionState = distribution;

    this.recentTailStart = 0;
    this.recentTailCount = 0;
    for (let k = Math.max(0, count - this.recentTails.length); k < count; k++) this.pushTail(tailProbability(averages[k]!, distribution));
  }

  /** nupic's updateAnomalyLikelihoods for one record: the filtered tail probability. */
  private update(rawScore: number): number {
    const average = this.slide(rawScore);
    const tail = tailProbability(average, this.distributionState ?? NULL_DISTRIBUTION);
    const previousTail = this.recentTailCount > 0 ? this.recentTails[(this.recentTailStart + this.recentTailCount - 1) % this.recentTails.length]! : null;
    const filtered = tail <= RED_THRESHOLD && previousTail !== null && previousTail <= RED_THRESHOLD ? YELLOW_THRESHOLD : tail;
    this.pushTail(tail);
    return filtered;
  }

  /** MovingAverage.compute: drop the oldest when full, add the new score, return total / length. */
  private slide(score: number): number {
    const size = this.window.length;
    if (this.windowCount === size) {
      this.windowTotal -= this.window[this.windowStart]!;
      this.windowStart = (this.windowStart + 1) % size;
      this.windowCount--;
    }
    this.window[(this.windowStart + this.windowCount) % size] = score;
    this.windowCount++;
    this.windowTotal += score;
    return this.windowTotal / this.windowCount;
  }

  private pushTail(tail: number): void {
    const size = this.recentTails.length;
    if (this.recentTailCount === size) {
      this.recentTailStart = (this.recentTailStart + 1) % size;
      this.recentTailCount--;
    }
    this.recentTails[(this.recentTailStart + this.recentTailCount) % size] = tail;
    this.recentTailCount++;
  }

  private appendHistory(value: number, rawScore: number): void {
    const size = this.historyValues.length;
    if (this.historyCount === size) {
      this.historyStart = (this.historyStart + 1) % size;
      this.historyCount--;
    }
    const at = (this.historyStart + this.historyCount) % size;
    this.historyValues[at] = value;
    this.historyScores[at] = rawScore;
    this.historyCount++;
  }

  private historyIndex(chronological: number): number {
    return (this.historyStart + chronological) % this.historyValues.length;
  }
}
