/**
 * The backtracking TM's per-segment "positive activations duty cycle" (nupic's
 * Segment.dutyCycle): how often a segment's prediction came true, a moving average whose rate
 * steps down as the model ages. It decides which segment a full column gives up
 * (getCellForNewSegment) and is always positive, which is what makes a column "confident".
 *
 * - Up to learning iteration 100: positive activations / iterations.
 * - After: dc ← (1 − α)^age · dc (+ α when the segment was just reinforced), α from the tier the
 *   iteration is in (`TIERS`, `ALPHAS`, nupic's values); age is the iterations since the cached
 *   value. Every segment is brought up to date when the iteration reaches a tier (the caller
 *   does that, `isDutyCycleTier`), so no age spans two rates.
 *
 * (1 − α)^age is taken by repeated squaring (multiplications only), so the value is the same
 * on every platform (Math.pow is not specified to the bit).
 */
const TIERS = [0, 100, 320, 1000, 3200, 10000, 32000, 100000, 320000];
const ALPHAS = [0, 0.0032, 0.001, 0.00032, 0.0001, 0.000032, 0.00001, 0.0000032, 0.000001];

export function isDutyCycleTier(iteration: number): boolean {
  return TIERS.includes(iteration);
}

function powerOf(base: number, exponent: number): number {
  let result = 1;
  let factor = base;
  let rest = exponent;
  while (rest > 0) {
    if (rest % 2 === 1) result *= factor;
    factor *= factor;
    rest = Math.floor(rest / 2);
  }
  return result;
}

function alphaAt(iteration: number): number {
  for (let tier = TIERS.length - 1; tier > 0; tier--) if (iteration > TIERS[tier]!) return ALPHAS[tier]!;
  return 0;
}

/** Per segment id: positive activations, the cached duty cycle and the iteration it was taken at. */
export class SegmentDutyCycles {
  positive = new Float64Array(1024);
  last = new Float64Array(1024);
  lastIteration = new Float64Array(1024);

  ensure(limit: number): void {
    if (limit <= this.positive.length) return;
    let capacity = this.positive.length;
    while (capacity < limit) capacity *= 2;
    const grow = (from: Float64Array) => {
      const to = new Float64Array(capacity);
      to.set(from);
      return to;
    };
    this.positive = grow(this.positive);
    this.last = grow(this.last);
    this.lastIteration = grow(this.lastIteration);
  }

  /** A new segment: one positive activation, duty cycle 1 / iteration. */
  start(segment: number, iteration: number): void {
    this.ensure(segment + 1);
    this.positive[segment] = 1;
    this.last[segment] = 1 / iteration;
    this.lastIteration[segment] = iteration;
  }

  /** The segment predicted correctly and was reinforced. */
  reinforce(segment: number, iteration: number): void {
    this.positive[segment]!++;
    this.dutyCycle(segment, iteration, true);
  }

  /** The duty cycle at `iteration` (≥ 1), cached. */
  dutyCycle(segment: number, iteration: number, active = false): number {
    if (iteration <= TIERS[1]!) {
      const value = this.positive[segment]! / iteration;
      this.last[segment] = value;
      this.lastIteration[segment] = iteration;
      return value;
    }
    const age = iteration - this.lastIteration[segment]!;
    if (age === 0 && !active) return this.last[segment]!;
    const alpha = alphaAt(iteration);
    let value = powerOf(1 - alpha, age) * this.last[segment]!;
    if (active) value += alpha;
    this.last[segment] = value;
    this.lastIteration[segment] = iteration;
    return value;
  }
}
