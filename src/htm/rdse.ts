import { MT19937, MT19937_STATE_BYTES } from '../random/mt19937';
import type { RdseParams } from './params';
import type { SnapshotReader, SnapshotWriter } from './snapshot';

/**
 * nupic's stateful Random Distributed Scalar Encoder (`encoders/random_distributed_scalar.py`),
 * as NAB's numenta detectors use it.
 *
 * - bucket(x) = middle + round((x − offset) / resolution), clipped to [0, bucketCount); the
 *   offset is the first value ever encoded, so the first value lands in the middle bucket.
 * - The middle bucket is `activeBits` bits drawn from a seeded permutation of the `size` bits.
 * - Other buckets are created lazily, walking out from the nearest existing one: copy the
 *   neighbour, replace slot (index mod w) with a random new bit, and retry until the new
 *   bucket overlaps every existing bucket j by exactly w − |i − j| bits when |i − j| < w and by
 *   at most maxOverlap bits otherwise. So nearby values share bits in proportion to their
 *   distance and far values share almost none.
 * - NaN encodes as no bits.
 *
 * Created buckets always form one contiguous index range [minIndex, maxIndex].
 */
export class RandomDistributedScalarEncoder {
  /** Bucket table: `activeBits` bit indices per bucket, valid for minIndex..maxIndex. */
  private readonly buckets: Uint16Array;
  private offset: number | null = null;
  private minIndex: number;
  private maxIndex: number;
  private readonly middle: number;
  /** Scratch marks of a candidate representation's bits. */
  private readonly candidateMarks: Uint8Array;

  private constructor(
    readonly params: RdseParams,
    readonly resolution: number,
    private readonly rng: MT19937,
  ) {
    if (!(resolution > 0) || !Number.isFinite(resolution)) throw new RangeError(`RDSE resolution must be positive, got ${resolution}`);
    this.buckets = new Uint16Array(params.bucketCount * params.activeBits);
    this.middle = Math.floor(params.bucketCount / 2);
    this.minIndex = this.middle;
    this.maxIndex = this.middle;
    this.candidateMarks = new Uint8Array(params.size);
  }

  static create(params: RdseParams, resolution: number): RandomDistributedScalarEncoder {
    const encoder = new RandomDistributedScalarEncoder(params, resolution, new MT19937(params.seed));
    const permutation = encoder.rng.shuffle(Array.from({ length: params.size }, (_, bit) => bit));
    const start = encoder.middle * params.activeBits;
    for (let slot = 0; slot < params.activeBits; slot++) encoder.buckets[start + slot] = permutation[slot]!;
    return encoder;
  }

  /** n, the output width. */
  get size(): number {
    return this.params.size;
  }

  /** The value mapped to the middle bucket, or null before the first value. */
  get firstValue(): number | null {
    return this.offset;
  }

  get createdBucketRange(): { min: number; max: number } {
    return { min: this.minIndex, max: this.maxIndex };
  }

  /** The bucket a value falls in (fixing the offset on the first value); null for NaN. */
  bucketIndex(value: number): number | null {
    if (Number.isNaN(value)) return null;
    if (this.offset === null) this.offset = value;
    const index = this.middle + roundHalfAwayFromZero((value - this.offset) / this.resolution);
    return Math.min(Math.max(index, 0), this.params.bucketCount - 1);
  }

  /**
   * The active bits of a value, creating its bucket if needed; empty for NaN. The returned
   * view aliases the bucket table: read it before encoding another value.
   */
  encode(value: number): Uint16Array {
    const index = this.bucketIndex(value);
    if (index === null) return this.buckets.subarray(0, 0);
    return this.bitsOf(index);
  }

  /** The active bits of a bucket, creating it (and every bucket between) if needed. */
  bitsOf(index: number): Uint16Array {
    const clipped = Math.min(Math.max(index, 0), this.params.bucketCount - 1);
    while (clipped < this.minIndex) this.createBucket(this.minIndex - 1, this.minIndex);
    while (clipped > this.maxIndex) this.createBucket(this.maxIndex + 1, this.maxIndex);
    const w = this.params.activeBits;
    return this.buckets.subarray(clipped * w, clipped * w + w);
  }

  write(out: SnapshotWriter): void {
    out.f64(this.resolution);
    out.nullableF64(this.offset);
    out.u16(this.minIndex);
    out.u16(this.maxIndex);
    const w = this.params.activeBits;
    out.u16Array(this.buckets.subarray(this.minIndex * w, (this.maxIndex + 1) * w));
    out.raw(this.rng.saveState());
  }

  static read(input: SnapshotReader, params: RdseParams): RandomDistributedScalarEncoder {
    const resolution = input.f64();
    const encoder = new RandomDistributedScalarEncoder(params, resolution, new MT19937(0));
    encoder.offset = input.nullableF64();
    encoder.minIndex = input.u16();
    encoder.maxIndex = input.u16();
    if (encoder.minIndex > encoder.middle || encoder.maxIndex < encoder.middle || encoder.maxIndex >= params.bucketCount) {
      throw new Error('snapshot: RDSE bucket range is invalid');
    }
    const w = params.activeBits;
    encoder.buckets.set(input.u16Array((encoder.maxIndex - encoder.minIndex + 1) * w), encoder.minIndex * w);
    encoder.rng.restoreState(input.raw(MT19937_STATE_BYTES));
    return encoder;
  }

  /** Creates bucket `index` from its existing neighbour, then widens the created range. */
  private createBucket(index: number, neighbour: number): void {
    const w = this.params.activeBits;
    const n = this.params.size;
    const neighbourStart = neighbour * w;
    const start = index * w;
    for (let slot = 0; slot < w; slot++) this.buckets[start + slot] = this.buckets[neighbourStart + slot]!;
    const replacedSlot = index % w;
    // nupic retries without bound; with the defaults a valid bit is found in a few tries, so
    // a cap this large only turns a misconfiguration (say w close to n) into an error.
    const maxTries = 1_000_000;
    for (let tries = 0; tries < maxTries; tries++) {
      const newBit = this.rng.getUInt32(n);
      this.buckets[start + replacedSlot] = newBit;
      if (!this.neighbourHasBit(neighbourStart, newBit) && this.representationFits(index)) {
        if (index < this.minIndex) this.minIndex = index;
        else this.maxIndex = index;
        return;
      }
    }
    throw new Error(`RDSE could not create bucket ${index} (size ${n}, activeBits ${w})`);
  }

  private neighbourHasBit(neighbourStart: number, bit: number): boolean {
    for (let slot = 0; slot < this.params.activeBits; slot++) if (this.buckets[neighbourStart + slot] === bit) return true;
    return false;
  }

  /** nupic's overlap rule against every existing bucket. */
  private representationFits(index: number): boolean {
    const w = this.params.activeBits;
    const marks = this.candidateMarks;
    const start = index * w;
    for (let slot = 0; slot < w; slot++) marks[this.buckets[start + slot]!] = 1;
    let fits = true;
    for (let other = this.minIndex; other <= this.maxIndex && fits; other++) {
      let overlap = 0;
      const otherStart = other * w;
      for (let slot = 0; slot < w; slot++) overlap += marks[this.buckets[otherStart + slot]!]!;
      const distance = Math.abs(other - index);
      fits = distance < w ? overlap === w - distance : overlap <= this.params.maxOverlap;
    }
    for (let slot = 0; slot < w; slot++) marks[this.buckets[start + slot]!] = 0;
    return fits;
  }
}

/** Python 2's round(), which nupic ran on: halves go away from zero (Math.round sends −2.5 to −2). */
function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * NAB's resolution for a metric range: the range is padded by `rangePadding` of itself on
 * each side (degenerate ranges widen to 1), then split into `rangeBuckets` buckets, with
 * `minResolution` as a floor.
 */
export function resolutionForRange(params: RdseParams, min: number, max: number): number {
  const padding = Math.abs(max - min) * params.rangePadding;
  const paddedMin = min - padding;
  let paddedMax = max + padding;
  if (paddedMin === paddedMax) paddedMax = paddedMin + 1;
  return Math.max(params.minResolution, (paddedMax - paddedMin) / params.rangeBuckets);
}
