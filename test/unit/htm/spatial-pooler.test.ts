import { beforeAll, describe, expect, it } from 'vitest';
import { TimeOfDayEncoder } from '../../../src/htm/date-encoder';
import { rdseParamsSchema, spatialPoolerParamsSchema, timeOfDayParamsSchema } from '../../../src/htm/params';
import { RandomDistributedScalarEncoder } from '../../../src/htm/rdse';
import { SnapshotReader, SnapshotWriter } from '../../../src/htm/snapshot';
import { SpatialPooler } from '../../../src/htm/spatial-pooler';
import { MT19937 } from '../../../src/random/mt19937';
import { expectSameBytes } from './helpers';

const spParams = spatialPoolerParamsSchema.parse({});
const INPUT_SIZE = 454;
const timeOfDay = new TimeOfDayEncoder(timeOfDayParamsSchema.parse({}));

/** NAB-shaped input: time-of-day bits then RDSE bits offset by 54. */
function makeEncoder(): (hour: number, value: number) => number[] {
  const rdse = RandomDistributedScalarEncoder.create(rdseParamsSchema.parse({}), 1);
  return (hour, value) => {
    const bits = timeOfDay.encode(Date.UTC(2024, 0, 1) + hour * 3_600_000);
    for (const bit of rdse.encode(value)) bits.push(54 + bit);
    return bits;
  };
}

function run(sp: SpatialPooler, input: number[], learn: boolean): number[] {
  const out = new Uint32Array(sp.columnCount);
  return Array.from(out.subarray(0, sp.compute(input, learn, out)));
}

function overlap(a: number[], b: number[]): number {
  const set = new Set(a);
  return b.filter((column) => set.has(column)).length;
}

function bytesOf(sp: SpatialPooler): Uint8Array {
  const out = new SnapshotWriter();
  sp.write(out);
  return out.finish();
}

function randomInput(rng: MT19937, activeBits = 42): number[] {
  return rng.sample(Array.from({ length: INPUT_SIZE }, (_, bit) => bit), activeBits);
}

describe('SpatialPooler (NAB parameters)', () => {
  let fresh: SpatialPooler;
  beforeAll(() => {
    fresh = SpatialPooler.create(spParams, INPUT_SIZE);
  });

  it('gives each column round(454 · 0.8) = 363 distinct potential inputs, about half connected, permanences in [0, 1]', () => {
    expect(fresh.poolSize).toBe(363);
    let connected = 0;
    for (let column = 0; column < fresh.columnCount; column++) {
      const { potential, permanences, connected: count } = fresh.column(column);
      expect(potential).toHaveLength(363);
      expect(new Set(potential).size).toBe(363);
      expect(permanences.every((p) => p >= 0 && p <= 1)).toBe(true);
      expect(permanences.filter((p) => p >= 0.2)).toHaveLength(count);
      connected += count;
    }
    const share = connected / (fresh.columnCount * 363);
    expect(share).toBeGreaterThan(0.48);
    expect(share).toBeLessThan(0.52);
  });

  it('activates exactly 40 columns for any input, an empty one included, ties going to the higher index', () => {
    const sp = SpatialPooler.create(spParams, INPUT_SIZE);
    const rng = new MT19937(11);
    for (let i = 0; i < 30; i++) expect(run(sp, randomInput(rng, 1 + (i % 60)), true)).toHaveLength(40);
    const empty = run(sp, [], false);
    expect(empty).toEqual(Array.from({ length: 40 }, (_, k) => 2008 + k));
  });

  it('leaves its state untouched when learn is false', () => {
    const sp = SpatialPooler.create(spParams, INPUT_SIZE);
    const rng = new MT19937(12);
    for (let i = 0; i < 60; i++) run(sp, randomInput(rng), true);
    const before = bytesOf(sp);
    for (let i = 0; i < 20; i++) run(sp, randomInput(rng), false);
    expectSameBytes(bytesOf(sp), before);
  });

  it('keeps permanences in [0, 1] and the mean active duty cycle at 40/2048 while learning', () => {
    const sp = SpatialPooler.create(spParams, INPUT_SIZE);
    const encode = makeEncoder();
    const rng = new MT19937(13);
    for (let i = 0; i < 400; i++) run(sp, encode((i * 0.25) % 24, 20 * Math.sin(i / 20) + rng.getReal64() * 4), true);
    for (let column = 0; column < sp.columnCount; column += 97) {
      expect(sp.column(column).permanences.every((p) => p >= 0 && p <= 1)).toBe(true);
    }
    const { active, minOverlap } = sp.dutyCycles();
    const mean = active.reduce((sum, value) => sum + value, 0) / active.length;
    expect(mean).toBeCloseTo(40 / 2048, 4);
    expect(minOverlap).toBeGreaterThan(0);
    expect(sp.iterations).toBe(400);
  });

  it('gives a repeated input (nearly) the same columns: ≥ 38 of 40 on average after learning in between', () => {
    const sp = SpatialPooler.create(spParams, INPUT_SIZE);
    const encode = makeEncoder();
    const rng = new MT19937(14);
    const randomReading = (): number[] => encode(rng.getReal64() * 24, rng.getReal64() * 40);
    for (let i = 0; i < 200; i++) run(sp, randomReading(), true);
    const overlaps: number[] = [];
    for (let probe = 0; probe < 10; probe++) {
      const input = randomReading();
      const first = run(sp, input, true);
      expect(run(sp, input, true)).toEqual(first);
      for (let i = 0; i < 20; i++) run(sp, randomReading(), true);
      overlaps.push(overlap(first, run(sp, input, true)));
    }
    expect(overlaps.reduce((a, b) => a + b, 0) / overlaps.length).toBeGreaterThanOrEqual(38);
    expect(Math.min(...overlaps)).toBeGreaterThanOrEqual(36);
  });

  it('maps unrelated inputs to nearly disjoint columns (≈ 0.8 shared on average)', () => {
    const rng = new MT19937(15);
    let shared = 0;
    const pairs = 40;
    for (let i = 0; i < pairs; i++) shared += overlap(run(fresh, randomInput(rng), false), run(fresh, randomInput(rng), false));
    expect(shared / pairs).toBeLessThan(2.5);
  });

  it('shares fewer columns the further apart two values are (until their encodings stop overlapping)', () => {
    const encode = makeEncoder();
    const distances = [0, 2, 4, 6, 10, 15, 21];
    const means = distances.map((distance) => {
      let total = 0;
      for (const base of [0, 40, 80, 120]) total += overlap(run(fresh, encode(10, base), false), run(fresh, encode(10, base + distance), false));
      return total / 4;
    });
    expect(means[0]).toBe(40);
    for (let k = 1; k < means.length; k++) expect(means[k]!).toBeLessThanOrEqual(means[k - 1]! + 0.5);
    expect(means[1]!).toBeGreaterThan(means[6]! + 15);
  });

  it('keeps its incremental overlaps equal to a from-scratch count while learning on a slowly changing stream', () => {
    const sp = SpatialPooler.create(spParams, INPUT_SIZE);
    const encode = makeEncoder();
    const rng = new MT19937(18);
    for (let i = 0; i < 300; i++) {
      const input = encode((i / 12) % 24, 20 + 10 * Math.sin(i / 15) + rng.getReal64() * 3);
      run(sp, input, true);
      if (i % 50 !== 49) continue;
      run(sp, input, false); // overlaps of this input after the learning step just taken
      const active = new Set(input);
      for (let column = 0; column < sp.columnCount; column += 7) {
        const { potential, permanences } = sp.column(column);
        const expected = potential.filter((bit, slot) => active.has(bit) && permanences[slot]! >= 0.2).length;
        expect(sp.overlapOf(column)).toBe(expected);
      }
    }
  });

  it('continues identically after a snapshot round trip (outputs and bytes)', () => {
    const sp = SpatialPooler.create(spParams, INPUT_SIZE);
    const rng = new MT19937(16);
    const inputs = Array.from({ length: 180 }, () => randomInput(rng));
    inputs.slice(0, 120).forEach((input) => run(sp, input, true));
    const copy = SpatialPooler.read(new SnapshotReader(bytesOf(sp)), spParams);
    for (const input of inputs.slice(120)) expect(run(copy, input, true)).toEqual(run(sp, input, true));
    expectSameBytes(bytesOf(copy), bytesOf(sp));
  });

  it('supports boosting (boostStrength > 0) with the same 40-column output', () => {
    const sp = SpatialPooler.create(spatialPoolerParamsSchema.parse({ columnCount: 256, activeColumnCount: 10, boostStrength: 2 }), 100);
    const rng = new MT19937(17);
    for (let i = 0; i < 100; i++) {
      const input = rng.sample(Array.from({ length: 100 }, (_, bit) => bit), 10);
      expect(run(sp, input, true)).toHaveLength(10);
    }
  });
});
