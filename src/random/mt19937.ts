/**
 * MT19937, the 32-bit Mersenne Twister, as in C++'s std::mt19937 (and htm.core's Random).
 * Deterministic and pure, so models using it replay identically inside workflows, activities
 * and tests. The whole 624-word state is saved and restored rather than replaying steps.
 */
const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
export const MT19937_STATE_BYTES = (N + 1) * 4;

export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private index = N + 1;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  seed(seed: number): void {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const before = mt[i - 1]!;
      const prev = before ^ (before >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  /** The next raw 32-bit output, in [0, 2^32). */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** htm.core's getUInt32(m): next() mod m, chosen there for cross-platform identity. */
  getUInt32(max: number): number {
    return this.nextUint32() % max;
  }

  /** htm.core's getReal64: next() / (2^32 − 1), in [0, 1]. */
  getReal64(): number {
    return this.nextUint32() / 4294967295;
  }

  /** A real in [low, high) drawn from one output; used where a continuous uniform is needed. */
  uniform(low: number, high: number): number {
    return low + (high - low) * (this.nextUint32() / 4294967296);
  }

  /** Fisher–Yates from the end with getUInt32(i + 1), as htm.core's shuffle. In place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.getUInt32(i + 1);
      const swap = items[i];
      items[i] = items[j]!;
      items[j] = swap;
    }
    return items;
  }

  /** n distinct items chosen by shuffling a copy and taking its head (htm.core's sample). */
  sample<T>(items: readonly T[], n: number): T[] {
    return this.shuffle(items.slice()).slice(0, n);
  }

  /** The full generator state: 624 words then the position, little-endian. */
  saveState(): Uint8Array {
    const out = new Uint8Array(MT19937_STATE_BYTES);
    const view = new DataView(out.buffer);
    for (let i = 0; i < N; i++) view.setUint32(i * 4, this.mt[i]!, true);
    view.setUint32(N * 4, this.index, true);
    return out;
  }

  restoreState(bytes: Uint8Array): void {
    if (bytes.byteLength !== MT19937_STATE_BYTES) {
      throw new Error(`MT19937 state must be ${MT19937_STATE_BYTES} bytes, got ${bytes.byteLength}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < N; i++) this.mt[i] = view.getUint32(i * 4, true);
    const index = view.getUint32(N * 4, true);
    if (index > N) throw new Error(`MT19937 state position ${index} is out of range`);
    this.index = index;
  }

  static fromState(bytes: Uint8Array): MT19937 {
    const rng = new MT19937(0);
    rng.restoreState(bytes);
    return rng;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i]! & UPPER_MASK) | (mt[(i + 1) % N]! & LOWER_MASK);
      mt[i] = mt[(i + M) % N]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.index = 0;
  }
}
