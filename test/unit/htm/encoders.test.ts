import { describe, expect, it } from 'vitest';
import { TimeOfDayEncoder } from '../../../src/htm/date-encoder';
import { rdseParamsSchema, timeOfDayParamsSchema } from '../../../src/htm/params';
import { RandomDistributedScalarEncoder, resolutionForRange } from '../../../src/htm/rdse';
import { SnapshotReader, SnapshotWriter } from '../../../src/htm/snapshot';

const rdseParams = rdseParamsSchema.parse({});

function overlap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const set = new Set(Array.from(a));
  return Array.from(b).filter((bit) => set.has(bit)).length;
}

describe('RandomDistributedScalarEncoder', () => {
  it('puts the first value in the middle bucket and encodes every value with exactly w distinct bits', () => {
    const encoder = RandomDistributedScalarEncoder.create(rdseParams, 0.5);
    expect(encoder.bucketIndex(10)).toBe(500);
    for (let value = -20; value <= 40; value += 0.37) {
      const bits = Array.from(encoder.encode(value));
      expect(bits).toHaveLength(21);
      expect(new Set(bits).size).toBe(21);
      expect(bits.every((bit) => bit >= 0 && bit < 400)).toBe(true);
    }
  });

  it('keeps the overlap rule between every pair of created buckets: w − |i−j| if closer than w, else ≤ 2', () => {
    const encoder = RandomDistributedScalarEncoder.create(rdseParams, 1);
    encoder.encode(0);
    encoder.encode(-70); // creates buckets 430..500
    encoder.encode(60); // and 501..560
    const { min, max } = encoder.createdBucketRange;
    expect([min, max]).toEqual([430, 560]);
    const buckets = new Map<number, number[]>();
    for (let index = min; index <= max; index++) buckets.set(index, Array.from(encoder.bitsOf(index)));
    for (let i = min; i <= max; i++) {
      for (let j = i + 1; j <= max; j++) {
        const shared = overlap(buckets.get(i)!, buckets.get(j)!);
        if (j - i < 21) expect(shared).toBe(21 - (j - i));
        else expect(shared).toBeLessThanOrEqual(2);
      }
    }
  });

  it('rounds to buckets like Python 2 (halves away from zero) and clips to the table', () => {
    const encoder = RandomDistributedScalarEncoder.create(rdseParams, 1);
    encoder.bucketIndex(0);
    expect(encoder.bucketIndex(2.5)).toBe(503);
    expect(encoder.bucketIndex(-2.5)).toBe(497);
    expect(encoder.bucketIndex(1e9)).toBe(999);
    expect(encoder.bucketIndex(-1e9)).toBe(0);
  });

  it('is deterministic for a seed, differs across seeds, and encodes NaN as nothing', () => {
    const a = RandomDistributedScalarEncoder.create(rdseParams, 0.1);
    const b = RandomDistributedScalarEncoder.create(rdseParams, 0.1);
    const c = RandomDistributedScalarEncoder.create({ ...rdseParams, seed: 43 }, 0.1);
    for (const value of [5, 7.3, 2.1, 5.05]) {
      const bitsA = Array.from(a.encode(value));
      expect(Array.from(b.encode(value))).toEqual(bitsA);
      expect(Array.from(c.encode(value))).not.toEqual(bitsA);
    }
    expect(a.encode(Number.NaN)).toHaveLength(0);
  });

  it('does not let NaN fix the offset', () => {
    const encoder = RandomDistributedScalarEncoder.create(rdseParams, 1);
    encoder.encode(Number.NaN);
    expect(encoder.firstValue).toBeNull();
    expect(encoder.bucketIndex(42)).toBe(500);
  });

  it('round-trips its bucket table and generator through a snapshot', () => {
    const original = RandomDistributedScalarEncoder.create(rdseParams, 0.25);
    original.encode(3);
    original.encode(8);
    const out = new SnapshotWriter();
    original.write(out);
    const copy = RandomDistributedScalarEncoder.read(new SnapshotReader(out.finish()), rdseParams);
    for (const value of [-4, 3, 12, 20, 8.2]) expect(Array.from(copy.encode(value))).toEqual(Array.from(original.encode(value)));
  });

  it('derives NAB resolutions: range padded by 20 %, /130, floor 0.001, zero range widened to 1', () => {
    expect(resolutionForRange(rdseParams, 0, 100)).toBeCloseTo(140 / 130, 12);
    expect(resolutionForRange(rdseParams, 5, 5)).toBeCloseTo(1 / 130, 12);
    expect(resolutionForRange(rdseParams, 0, 0.01)).toBe(0.001);
  });
});

describe('TimeOfDayEncoder', () => {
  const encoder = new TimeOfDayEncoder(timeOfDayParamsSchema.parse({}));
  const at = (hours: number, minutes = 0): number => Date.UTC(2024, 4, 17, hours, minutes);

  it('has 54 bits with 21 active', () => {
    expect(encoder.size).toBe(54);
    for (let hour = 0; hour < 24; hour++) {
      const bits = encoder.encode(at(hour, 17));
      expect(new Set(bits).size).toBe(21);
      expect(bits.every((bit) => bit >= 0 && bit < 54)).toBe(true);
    }
  });

  it('places the window at int(t·54/24) − 10 and wraps across midnight', () => {
    expect(encoder.encode(at(12))).toEqual(Array.from({ length: 21 }, (_, k) => 17 + k));
    const midnight = encoder.encode(at(0));
    expect(midnight).toContain(53);
    expect(midnight).toContain(0);
    expect(overlap(encoder.encode(at(23, 50)), midnight)).toBeGreaterThanOrEqual(20);
  });

  it('shares no bits 12 hours apart and about 2.25 fewer per hour', () => {
    expect(overlap(encoder.encode(at(3)), encoder.encode(at(15)))).toBe(0);
    const base = encoder.encode(at(6));
    const drops = [1, 2, 4, 8].map((hours) => 21 - overlap(base, encoder.encode(at(6 + hours))));
    expect(drops[0]).toBeGreaterThanOrEqual(2);
    expect(drops[0]).toBeLessThanOrEqual(3);
    expect(drops[1]).toBeGreaterThanOrEqual(4);
    expect(drops[1]).toBeLessThanOrEqual(5);
    expect(drops[3]).toBeGreaterThanOrEqual(17);
  });

  it('ignores seconds and reads epoch milliseconds as UTC wall time (negative epochs too)', () => {
    expect(encoder.encode(Date.UTC(2024, 0, 1, 9, 30, 59))).toEqual(encoder.encode(Date.UTC(2024, 0, 1, 9, 30, 0)));
    expect(TimeOfDayEncoder.hourOfDay(Date.UTC(1960, 0, 1, 18, 45))).toBe(18.75);
  });
});
