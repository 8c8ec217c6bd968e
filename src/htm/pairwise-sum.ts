/**
 * numpy's float64 summation order (pairwise, `pairwise_sum` in numpy's loops): runs shorter
 * than 8 are added left to right; up to 128, eight interleaved partial sums are combined as
 * ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) and the remainder added after; longer runs split in
 * two at a multiple of 8 below the middle. nupic's likelihood estimate takes numpy means and
 * variances, so summing the same way gives the same bits, not just nearly the same numbers.
 */
const BLOCK = 128;

export function pairwiseSum(values: Float64Array, from: number, to: number): number {
  const count = to - from;
  if (count < 8) {
    let sum = 0;
    for (let i = from; i < to; i++) sum += values[i]!;
    return sum;
  }
  if (count <= BLOCK) {
    let r0 = values[from]!;
    let r1 = values[from + 1]!;
    let r2 = values[from + 2]!;
    let r3 = values[from + 3]!;
    let r4 = values[from + 4]!;
    let r5 = values[from + 5]!;
    let r6 = values[from + 6]!;
    let r7 = values[from + 7]!;
    const unrolledEnd = from + count - (count % 8);
    let i = from + 8;
    for (; i < unrolledEnd; i += 8) {
      r0 += values[i]!;
      r1 += values[i + 1]!;
      r2 += values[i + 2]!;
      r3 += values[i + 3]!;
      r4 += values[i + 4]!;
      r5 += values[i + 5]!;
      r6 += values[i + 6]!;
      r7 += values[i + 7]!;
    }
    let sum = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < to; i++) sum += values[i]!;
    return sum;
  }
  let half = Math.floor(count / 2);
  half -= half % 8;
  return pairwiseSum(values, from, from + half) + pairwiseSum(values, from + half, to);
}

/** numpy.mean over values[from, to). */
export function numpyMean(values: Float64Array, from: number, to: number): number {
  return pairwiseSum(values, from, to) / (to - from);
}

/** numpy.var (population) over values[from, to): mean of squared deviations from numpy.mean. */
export function numpyVariance(values: Float64Array, from: number, to: number, scratch: Float64Array): number {
  const mean = numpyMean(values, from, to);
  const count = to - from;
  for (let i = 0; i < count; i++) {
    const deviation = values[from + i]! - mean;
    scratch[i] = deviation * deviation;
  }
  return pairwiseSum(scratch, 0, count) / count;
}
