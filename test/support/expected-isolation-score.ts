/**
 * The expected anomaly score scikit-learn's IsolationForest gives a value, computed exactly
 * instead of sampled: the limit of averaging infinitely many trees. Seed 003 fits one forest per
 * (weekday, hour, minute) on the comparables and flags a value when the score is above 0.5
 * (`contamination="auto"`). sklearn's trees: max_samples = min(256, n), depth limit
 * ceil(log2(max_samples)), a split value uniform between the node's min and max, `x <= split` to
 * the left, and a leaf's path length depth + c(size).
 */

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful search in a binary search tree of n items. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

function expectedPathLength(x: number, sorted: readonly number[], depth: number, depthLimit: number): number {
  const lowest = sorted[0] ?? 0;
  const highest = sorted[sorted.length - 1] ?? 0;
  if (sorted.length <= 1 || depth >= depthLimit || lowest === highest) return depth + averagePathLength(sorted.length);
  let expected = 0;
  for (let i = 0; i < sorted.length - 1; i += 1) {
    const below = sorted[i] ?? 0;
    const above = sorted[i + 1] ?? 0;
    if (above === below) continue;
    // A split in (below, above) puts sorted[0..i] left and the rest right.
    const chance = (above - below) / (highest - lowest);
    const towardsLeft = x <= below ? 1 : x >= above ? 0 : (above - x) / (above - below);
    if (towardsLeft > 0) expected += chance * towardsLeft * expectedPathLength(x, sorted.slice(0, i + 1), depth + 1, depthLimit);
    if (towardsLeft < 1) expected += chance * (1 - towardsLeft) * expectedPathLength(x, sorted.slice(i + 1), depth + 1, depthLimit);
  }
  return expected;
}

/** sklearn's `score_samples` negated, in expectation: above 0.5 is an anomaly. */
export function expectedIsolationScore(x: number, training: readonly number[]): number {
  // Beyond 256 sklearn subsamples per tree, which this exact form does not model.
  if (training.length > 256) throw new RangeError('expectedIsolationScore models up to 256 training values');
  const samples = training.length;
  const depthLimit = Math.ceil(Math.log2(Math.max(samples, 2)));
  const sorted = [...training].sort((a, b) => a - b);
  return 2 ** (-expectedPathLength(x, sorted, 0, depthLimit) / averagePathLength(samples));
}
