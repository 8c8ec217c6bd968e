import { describe, expect, it } from 'vitest';
import { Connections } from '../../../src/htm/connections';
import { type TemporalMemoryParams, temporalMemoryParamsSchema, toPermanenceUnits } from '../../../src/htm/params';
import { SnapshotReader, SnapshotWriter } from '../../../src/htm/snapshot';
import { TemporalMemory } from '../../../src/htm/temporal-memory';
import { MT19937 } from '../../../src/random/mt19937';
import { expectSameBytes } from './helpers';

/**
 * Hand-built cases after htm.core's TemporalMemoryTest.cpp (same names and set-ups, small
 * parameter sets), then behaviour with NAB's numentaTM parameters.
 */

type Overrides = Partial<TemporalMemoryParams>;

function makeTm(overrides: Overrides, columnCount = 32): TemporalMemory {
  return TemporalMemory.create(temporalMemoryParamsSchema.parse({ seed: 42, ...overrides }), columnCount);
}

/** htm.core's common set: 4 cells per column, thresholds 3/2, connected 0.5. */
const base: Overrides = {
  cellsPerColumn: 4,
  activationThreshold: 3,
  initialPermanence: 0.21,
  connectedPermanence: 0.5,
  minThreshold: 2,
  maxNewSynapseCount: 3,
  permanenceIncrement: 0.1,
  permanenceDecrement: 0.1,
  predictedSegmentDecrement: 0,
};

function segmentWith(tm: TemporalMemory, cell: number, synapses: [number, number][]): number {
  const segment = tm.createSegment(cell);
  for (const [presynaptic, permanence] of synapses) tm.connections.createSynapse(segment, presynaptic, toPermanenceUnits(permanence));
  return segment;
}

function permanences(tm: TemporalMemory, segment: number): number[] {
  return tm.connections.synapsesForSegment(segment).map((synapse) => tm.connections.permanence(synapse) / 10_000);
}

function presynapticCells(tm: TemporalMemory, segment: number): number[] {
  return tm.connections.synapsesForSegment(segment).map((synapse) => tm.connections.presynapticCell(synapse));
}

/** Every segment (by cell, in order) with its synapses: a comparable picture of the connections. */
function describeConnections(connections: Connections): string {
  const parts: string[] = [];
  for (let cell = 0; cell < connections.cellCount; cell++) {
    for (const segment of connections.segmentsForCell(cell)) {
      const synapses = connections.synapsesForSegment(segment).map((s) => `${connections.presynapticCell(s)}@${connections.permanence(s)}`);
      parts.push(`${cell}:[${synapses.join(',')}]`);
    }
  }
  return parts.join(' ');
}

describe('TemporalMemory: htm.core TemporalMemoryTest cases', () => {
  it('ActivateCorrectlyPredictiveCells', () => {
    const tm = makeTm(base);
    segmentWith(tm, 4, [[0, 0.5], [1, 0.5], [2, 0.5], [3, 0.5]]);
    tm.compute([0]);
    expect(tm.getPredictiveCells()).toEqual([4]);
    tm.compute([1]);
    expect(tm.getActiveCells()).toEqual([4]);
  });

  it('BurstUnpredictedColumns', () => {
    const tm = makeTm(base);
    expect(tm.compute([0])).toBe(1);
    expect(tm.getActiveCells()).toEqual([0, 1, 2, 3]);
  });

  it('ZeroActiveColumns', () => {
    const tm = makeTm(base);
    segmentWith(tm, 4, [[0, 0.5], [1, 0.5], [2, 0.5], [3, 0.5]]);
    tm.compute([0]);
    expect(tm.getActiveCells()).not.toHaveLength(0);
    expect(tm.getPredictiveCells()).not.toHaveLength(0);
    expect(tm.compute([])).toBe(0);
    expect(tm.getActiveCells()).toEqual([]);
    expect(tm.getWinnerCells()).toEqual([]);
    expect(tm.getPredictiveCells()).toEqual([]);
  });

  it('PredictedActiveCellsAreAlwaysWinners', () => {
    const tm = makeTm(base);
    segmentWith(tm, 4, [[0, 0.5], [1, 0.5], [2, 0.5]]);
    segmentWith(tm, 6, [[0, 0.5], [1, 0.5], [2, 0.5]]);
    tm.compute([0], false);
    expect(tm.compute([1], false)).toBe(0);
    expect(tm.getWinnerCells()).toEqual([4, 6]);
  });

  it('ReinforceCorrectlyActiveSegments', () => {
    const tm = makeTm({ ...base, initialPermanence: 0.2, maxNewSynapseCount: 4, permanenceDecrement: 0.08, predictedSegmentDecrement: 0.02 });
    const segment = segmentWith(tm, 5, [[0, 0.5], [1, 0.5], [2, 0.5], [81, 0.5]]);
    tm.compute([0]);
    tm.compute([1]);
    expect(tm.getActiveCells()).toEqual([5]);
    expect(permanences(tm, segment).slice(0, 4)).toEqual([0.6, 0.6, 0.6, 0.42]);
  });

  it('ReinforceSelectedMatchingSegmentInBurstingColumn and NoChangeToNonselectedMatchingSegmentsInBurstingColumn', () => {
    const tm = makeTm({ ...base, permanenceDecrement: 0.08 });
    const selected = segmentWith(tm, 4, [[0, 0.3], [1, 0.3], [2, 0.3], [81, 0.3]]);
    const other = segmentWith(tm, 5, [[0, 0.3], [1, 0.3], [81, 0.3]]);
    tm.compute([0]);
    tm.compute([1]);
    expect(tm.getActiveCells()).toEqual([4, 5, 6, 7]);
    expect(tm.getWinnerCells()).toEqual([4]);
    expect(permanences(tm, selected).slice(0, 4)).toEqual([0.4, 0.4, 0.4, 0.22]);
    expect(permanences(tm, other)).toEqual([0.3, 0.3, 0.3]);
  });

  it('NoChangeToMatchingSegmentsInPredictedActiveColumn', () => {
    const tm = makeTm(base);
    segmentWith(tm, 4, [[0, 0.5], [1, 0.5], [2, 0.5], [3, 0.5]]);
    const sameCell = segmentWith(tm, 4, [[0, 0.3], [1, 0.3]]);
    const otherCell = segmentWith(tm, 5, [[0, 0.3], [1, 0.3]]);
    tm.compute([0]);
    expect(tm.getPredictiveCells()).toEqual([4]);
    tm.compute([1]);
    expect(permanences(tm, sameCell)).toEqual([0.3, 0.3]);
    expect(permanences(tm, otherCell)).toEqual([0.3, 0.3]);
  });

  it('PunishMatchingSegmentsInInactiveColumns', () => {
    const tm = makeTm({ ...base, initialPermanence: 0.2, predictedSegmentDecrement: 0.02 });
    const active = segmentWith(tm, 42, [[0, 0.5], [1, 0.5], [2, 0.5]]);
    const matching1 = segmentWith(tm, 43, [[0, 0.5], [1, 0.5], [81, 0.5]]);
    const matching2 = segmentWith(tm, 44, [[0, 0.5], [1, 0.5], [81, 0.5]]);
    tm.compute([0]);
    tm.compute([1]);
    expect(permanences(tm, active)).toEqual([0.48, 0.48, 0.48]);
    expect(permanences(tm, matching1)).toEqual([0.48, 0.48, 0.5]);
    expect(permanences(tm, matching2)).toEqual([0.48, 0.48, 0.5]);
  });

  it('AddSegmentToCellWithFewestSegments (ties broken at random)', () => {
    let grewOnCell1 = false;
    let grewOnCell2 = false;
    for (let seed = 0; seed < 100; seed++) {
      const tm = makeTm({ ...base, initialPermanence: 0.2, maxNewSynapseCount: 4, predictedSegmentDecrement: 0.02, seed });
      const segment1 = segmentWith(tm, 0, [[4, 0.5]]);
      const segment2 = segmentWith(tm, 3, [[5, 0.5]]);
      tm.compute([1, 2, 3, 4]);
      const previousWinners = tm.getWinnerCells();
      tm.compute([0]);
      expect(tm.getActiveCells()).toEqual([0, 1, 2, 3]);
      expect(tm.connections.segmentCount).toBe(3);
      expect(tm.connections.numSegments(0)).toBe(1);
      expect(tm.connections.numSegments(3)).toBe(1);
      expect(tm.connections.numSynapses(segment1)).toBe(1);
      expect(tm.connections.numSynapses(segment2)).toBe(1);
      let grown = tm.connections.segmentsForCell(1);
      if (grown.length === 0) {
        grown = tm.connections.segmentsForCell(2);
        grewOnCell2 = true;
      } else grewOnCell1 = true;
      expect(grown).toHaveLength(1);
      expect(presynapticCells(tm, grown[0]!).sort((a, b) => a - b)).toEqual(previousWinners);
      expect(previousWinners.map((cell) => Math.floor(cell / 4))).toEqual([1, 2, 3, 4]);
    }
    expect(grewOnCell1 && grewOnCell2).toBe(true);
  });

  it('DestroyWeakSynapseOnWrongPrediction', () => {
    const tm = makeTm({ ...base, initialPermanence: 0.2, maxNewSynapseCount: 4, predictedSegmentDecrement: 0.02 });
    const segment = segmentWith(tm, 5, [[0, 0.5], [1, 0.5], [2, 0.5], [3, 0.015]]);
    tm.compute([0]);
    tm.compute([2]);
    expect(tm.connections.numSynapses(segment)).toBe(3);
  });

  it('DestroyWeakSynapseOnActiveReinforce', () => {
    const tm = makeTm({ ...base, initialPermanence: 0.2, maxNewSynapseCount: 4, predictedSegmentDecrement: 0.02 });
    const segment = segmentWith(tm, 5, [[0, 0.5], [1, 0.5], [2, 0.5], [81, 0.009]]);
    tm.compute([0]);
    tm.compute([1]);
    expect(presynapticCells(tm, segment).slice(0, 3)).toEqual([0, 1, 2]);
    expect(presynapticCells(tm, segment)).not.toContain(81);
  });

  it('destroys a segment that loses its last synapse (nupic)', () => {
    const tm = makeTm({ ...base, predictedSegmentDecrement: 0.02 });
    const segment = segmentWith(tm, 44, [[0, 0.01], [1, 0.01]]);
    tm.compute([0]);
    tm.compute([1]);
    expect(tm.connections.isAlive(segment)).toBe(false);
    expect(tm.connections.numSegments(44)).toBe(0);
  });

  it('NewSegmentAddSynapsesToSubsetOfWinnerCells', () => {
    const tm = makeTm({ ...base, maxNewSynapseCount: 2 });
    tm.compute([0, 1, 2]);
    const previousWinners = tm.getWinnerCells();
    expect(previousWinners).toHaveLength(3);
    tm.compute([4]);
    const winners = tm.getWinnerCells();
    expect(winners).toHaveLength(1);
    const segments = tm.connections.segmentsForCell(winners[0]!);
    expect(segments).toHaveLength(1);
    const cells = presynapticCells(tm, segments[0]!);
    expect(cells).toHaveLength(2);
    for (const cell of cells) expect(previousWinners).toContain(cell);
    expect(permanences(tm, segments[0]!)).toEqual([0.21, 0.21]);
  });

  it('NewSegmentAddSynapsesToAllWinnerCells', () => {
    const tm = makeTm({ ...base, maxNewSynapseCount: 4 });
    tm.compute([0, 1, 2]);
    const previousWinners = tm.getWinnerCells();
    tm.compute([4]);
    const segments = tm.connections.segmentsForCell(tm.getWinnerCells()[0]!);
    expect(presynapticCells(tm, segments[0]!).sort((a, b) => a - b)).toEqual(previousWinners);
  });

  it('MatchingSegmentAddSynapsesToSubsetOfWinnerCells', () => {
    const tm = makeTm({ ...base, cellsPerColumn: 1, minThreshold: 1 });
    const segment = segmentWith(tm, 4, [[0, 0.5]]);
    tm.compute([0, 1, 2, 3]);
    expect(tm.getWinnerCells()).toEqual([0, 1, 2, 3]);
    tm.compute([4]);
    const cells = presynapticCells(tm, segment);
    expect(cells).toHaveLength(3);
    expect(cells[0]).toBe(0);
    for (const cell of cells.slice(1)) expect([1, 2, 3]).toContain(cell);
    expect(permanences(tm, segment).slice(1)).toEqual([0.21, 0.21]);
  });

  it('RecycleWeakestSynapseToMakeRoomForNewSynapse', () => {
    const tm = makeTm({ ...base, cellsPerColumn: 1, minThreshold: 1, permanenceIncrement: 0.02, permanenceDecrement: 0.02, maxSynapsesPerSegment: 4 }, 100);
    // One cell per column, so the winner cells are known.
    const segment = segmentWith(tm, 4, [[81, 0.6], [0, 0.11], [1, 0.2], [31, 0.6]]);
    tm.compute([1, 2, 3]);
    expect(tm.getWinnerCells()).toEqual([1, 2, 3]);
    tm.compute([4]);
    expect(tm.connections.numSynapses(segment)).toBe(4);
    // The weakest (0 at 0.09) goes, then the first of the tied 0.58s (81); 31 stays.
    expect(new Set(presynapticCells(tm, segment))).toEqual(new Set([1, 2, 3, 31]));
  });

  it('RecycleLeastRecentlyActiveSegmentToMakeRoomForNewSegment', () => {
    const tm = makeTm({ ...base, cellsPerColumn: 1, initialPermanence: 0.5, permanenceIncrement: 0.02, permanenceDecrement: 0.02, maxSegmentsPerCell: 2 });
    tm.compute([0, 1, 2]);
    tm.compute([9]);
    expect(tm.connections.numSegments(9)).toBe(1);
    const oldest = tm.connections.segmentsForCell(9)[0]!;
    const oldestCells = new Set(presynapticCells(tm, oldest));
    tm.reset();
    tm.compute([3, 4, 5]);
    tm.compute([9]);
    expect(tm.connections.numSegments(9)).toBe(2);
    tm.reset();
    tm.compute([6, 7, 8]);
    tm.compute([9]);
    expect(tm.connections.numSegments(9)).toBe(2);
    for (const segment of tm.connections.segmentsForCell(9)) {
      expect(presynapticCells(tm, segment).filter((cell) => oldestCells.has(cell))).toEqual([]);
    }
  });

  it('CreateSegmentDestroyOld: at the cap the least recently used segment is destroyed and its id reused', () => {
    const tm = makeTm({ ...base, cellsPerColumn: 1, predictedSegmentDecrement: 0.02, maxSegmentsPerCell: 2 });
    const segment1 = segmentWith(tm, 12, [[1, 0.5], [2, 0.5], [3, 0.5]]);
    // Let time pass with segment1 active (stamped), then create two more on the cell.
    tm.compute([1, 2, 3]);
    tm.compute([]);
    const segment2 = segmentWith(tm, 12, [[4, 0.5], [5, 0.5], [6, 0.5]]);
    tm.compute([]);
    // segment1 was last used at iteration 0, segment2 created at iteration 2: segment1 goes.
    const segment3 = segmentWith(tm, 12, [[7, 0.5], [8, 0.5], [9, 0.5]]);
    expect(tm.connections.numSegments(12)).toBe(2);
    expect(tm.connections.segmentsForCell(12)).toEqual([segment2, segment3]);
    expect(segment3).toBe(segment1); // segment1 was destroyed and the free list handed its id back
    expect(presynapticCells(tm, segment3)).toEqual([7, 8, 9]);
  });

  it('ConnectionsNeverChangeWhenLearningDisabled', () => {
    const tm = makeTm({ ...base, initialPermanence: 0.2, maxNewSynapseCount: 4, predictedSegmentDecrement: 0.02 });
    segmentWith(tm, 4, [[0, 0.5], [1, 0.5], [2, 0.5]]);
    segmentWith(tm, 43, [[0, 0.5], [1, 0.5], [81, 0.5]]);
    const before = describeConnections(tm.connections);
    tm.compute([0], false);
    tm.compute([1, 2], false);
    tm.compute([5, 9], false);
    expect(describeConnections(tm.connections)).toBe(before);
    expect(tm.iterations).toBe(0);
  });
});

describe('Connections', () => {
  it('keeps segments and synapses in creation order and reuses freed ids last-freed first', () => {
    const connections = new Connections(64);
    const a = connections.createSegment(7, 0);
    const b = connections.createSegment(7, 0);
    const c = connections.createSegment(7, 0);
    const synapses = [1, 2, 3, 4].map((cell) => connections.createSynapse(b, cell, 3000));
    connections.destroySynapseAt(b, 1);
    expect(connections.synapsesForSegment(b)).toEqual([synapses[0], synapses[2], synapses[3]]);
    connections.destroySegment(a);
    connections.destroySegment(c);
    expect(connections.segmentsForCell(7)).toEqual([b]);
    expect(connections.createSegment(9, 0)).toBe(c);
    expect(connections.createSegment(9, 0)).toBe(a);
    expect(connections.createSynapse(b, 5, 3000)).toBe(synapses[1]);
    expect(connections.synapsesForSegment(b).map((s) => connections.presynapticCell(s))).toEqual([1, 3, 4, 5]);
  });

  it('counts active potential and connected synapses through the presynaptic lists', () => {
    const connections = new Connections(64);
    const segment = connections.createSegment(10, 0);
    connections.createSynapse(segment, 1, 5000);
    connections.createSynapse(segment, 2, 4999);
    connections.createSynapse(segment, 3, 6000);
    const potential = new Uint16Array(4);
    const connected = new Uint16Array(4);
    const touched = new Uint32Array(4);
    expect(connections.computeActivity(Uint32Array.of(1, 2, 9), 3, 5000, potential, connected, touched)).toBe(1);
    expect([potential[segment], connected[segment]]).toEqual([2, 1]);
  });
});

/** NAB numentaTM parameters over random 40-of-2048 column SDRs. */
describe('TemporalMemory with numentaTM parameters', () => {
  const nab = temporalMemoryParamsSchema.parse({});
  const rng = new MT19937(2024);
  const randomSdr = (): number[] =>
    rng.sample(Array.from({ length: 2048 }, (_, column) => column), 40).sort((a, b) => a - b);

  it('bursts the first input: raw 1, 1280 active cells, 40 winners, no segments; an empty input scores 0', () => {
    const tm = TemporalMemory.create(nab, 2048);
    expect(tm.compute(randomSdr())).toBe(1);
    expect(tm.getActiveCells()).toHaveLength(1280);
    expect(tm.getWinnerCells()).toHaveLength(40);
    expect(tm.connections.segmentCount).toBe(0);
    expect(tm.compute([])).toBe(0);
  });

  it('grows its cell lists for wider inputs (100 columns burst into 3200 cells)', () => {
    const tm = TemporalMemory.create(nab, 2048);
    const wide = rng.sample(Array.from({ length: 2048 }, (_, column) => column), 100).sort((a, b) => a - b);
    tm.compute(randomSdr());
    expect(tm.compute(wide)).toBe(1);
    expect(tm.getActiveCells()).toHaveLength(3200);
    expect(tm.getWinnerCells()).toHaveLength(100);
    tm.compute(randomSdr());
    expect(tm.connections.segmentCount).toBe(140);
  });

  it('learns a sequence: from the 9th pass (7 reinforcements from 0.24 to 0.5) all but its reset first element are predicted', () => {
    const tm = TemporalMemory.create(nab, 2048);
    const sequence = Array.from({ length: 6 }, randomSdr);
    const passRaw: number[][] = [];
    for (let pass = 0; pass < 12; pass++) {
      tm.reset();
      passRaw.push(sequence.map((sdr) => tm.compute(sdr)));
    }
    for (let pass = 0; pass < 8; pass++) expect(passRaw[pass]).toEqual([1, 1, 1, 1, 1, 1]);
    for (let pass = 8; pass < 12; pass++) expect(passRaw[pass]).toEqual([1, 0, 0, 0, 0, 0]);
  });

  it('learns a repeating sequence without resets (raw → ~0) and scores a novel input ≈ 1', () => {
    // Without resets each element's context changes once its predecessor becomes predicted,
    // so the BAMI TM relearns one transition at a time (about 8 passes each) before settling.
    const tm = TemporalMemory.create(nab, 2048);
    const sequence = Array.from({ length: 5 }, randomSdr);
    const passRaw: number[] = [];
    for (let pass = 0; pass < 70; pass++) {
      let sum = 0;
      for (const sdr of sequence) sum += tm.compute(sdr);
      passRaw.push(sum / sequence.length);
    }
    expect(passRaw.findIndex((raw) => raw < 1)).toBe(8);
    const late = passRaw.slice(-20);
    expect(late.reduce((a, b) => a + b, 0) / late.length).toBeLessThan(0.15);
    expect(tm.compute(randomSdr())).toBeGreaterThan(0.95);
  });

  it('continues identically after a snapshot round trip (outputs, cells and bytes)', () => {
    const tm = TemporalMemory.create(nab, 2048);
    const sequence = Array.from({ length: 6 }, randomSdr);
    const stream = Array.from({ length: 150 }, (_, k) => (k % 17 === 5 ? randomSdr() : sequence[k % sequence.length]!));
    stream.slice(0, 90).forEach((sdr) => tm.compute(sdr));
    const bytesOf = (memory: TemporalMemory): Uint8Array => {
      const out = new SnapshotWriter();
      memory.write(out);
      return out.finish();
    };
    const copy = TemporalMemory.read(new SnapshotReader(bytesOf(tm)), nab);
    expect(copy.getPredictiveCells()).toEqual(tm.getPredictiveCells());
    for (const sdr of stream.slice(90)) {
      expect(copy.compute(sdr)).toBe(tm.compute(sdr));
      expect(copy.getWinnerCells()).toEqual(tm.getWinnerCells());
    }
    expectSameBytes(bytesOf(copy), bytesOf(tm));
  });
});

describe('TemporalMemory with one-shot parameters (connected 0.2, initial 0.21)', () => {
  const oneShot: Overrides = {
    cellsPerColumn: 32,
    activationThreshold: 13,
    minThreshold: 10,
    maxNewSynapseCount: 20,
    initialPermanence: 0.21,
    connectedPermanence: 0.2,
    permanenceIncrement: 0.1,
    permanenceDecrement: 0.1,
    predictedSegmentDecrement: 0,
  };
  const rng = new MT19937(77);
  const randomSdr = (): number[] =>
    rng.sample(Array.from({ length: 2048 }, (_, column) => column), 40).sort((a, b) => a - b);

  it('predicts A-B-C-D from the second pass on', () => {
    const tm = makeTm(oneShot, 2048);
    const [a, b, c, d] = [randomSdr(), randomSdr(), randomSdr(), randomSdr()];
    for (const sdr of [a, b, c, d]) expect(tm.compute(sdr)).toBe(1);
    tm.reset();
    expect(tm.compute(a)).toBe(1);
    for (const sdr of [b, c, d]) expect(tm.compute(sdr)).toBe(0);
  });

  it('keeps contexts apart: after A-B-C it predicts D, not Y (having learnt ABCD and XBCY)', () => {
    // C first learns in A's context and predicts Y too once XBCY is seen; a predicted-segment
    // decrement is what unlearns that stale prediction once X-B-C has its own cells.
    const tm = makeTm({ ...oneShot, predictedSegmentDecrement: 0.05 }, 2048);
    const [a, b, c, d, x, y] = Array.from({ length: 6 }, randomSdr) as [number[], number[], number[], number[], number[], number[]];
    for (let pass = 0; pass < 10; pass++) {
      for (const sequence of [[a, b, c, d], [x, b, c, y]]) {
        tm.reset();
        for (const sdr of sequence) tm.compute(sdr);
      }
    }
    tm.reset();
    for (const sdr of [a, b, c]) tm.compute(sdr, false);
    const predictedColumns = new Set(tm.getPredictiveCells().map((cell) => Math.floor(cell / 32)));
    expect(d.filter((column) => predictedColumns.has(column)).length).toBe(40);
    expect(y.filter((column) => predictedColumns.has(column)).length).toBeLessThanOrEqual(2);
    tm.reset();
    for (const sdr of [x, b, c]) tm.compute(sdr, false);
    const predictedAfterX = new Set(tm.getPredictiveCells().map((cell) => Math.floor(cell / 32)));
    expect(y.filter((column) => predictedAfterX.has(column)).length).toBe(40);
  });
});
