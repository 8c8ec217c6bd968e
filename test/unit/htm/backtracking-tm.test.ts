import { describe, expect, it } from 'vitest';
import { BacktrackingTemporalMemory } from '../../../src/htm/backtracking-tm';
import { type BacktrackingTmParams, backtrackingTmParamsSchema } from '../../../src/htm/params';
import { SnapshotReader, SnapshotWriter } from '../../../src/htm/snapshot';
import { MT19937 } from '../../../src/random/mt19937';
import { expectSameBytes } from './helpers';

/**
 * Small hand-checkable cases: 4 cells per column, patterns of 4 columns, thresholds 3 (predict)
 * and 2 (reuse a segment), 4 new synapses per segment, NAB's permanences (start 0.21, connected
 * at 0.5, ±0.1), so a synapse connects on its third reinforcement.
 */
const small: Partial<BacktrackingTmParams> = {
  cellsPerColumn: 4,
  activationThreshold: 3,
  minThreshold: 2,
  newSynapseCount: 4,
  maxSegmentsPerCell: 8,
  maxSynapsesPerSegment: 8,
  seed: 42,
};
const COLUMNS = 64;

function makeTm(overrides: Partial<BacktrackingTmParams> = {}): BacktrackingTemporalMemory {
  return BacktrackingTemporalMemory.create(backtrackingTmParamsSchema.parse({ ...small, ...overrides }), COLUMNS);
}

/** Pattern k: the 4 columns 4k … 4k + 3. */
const pattern = (k: number): number[] => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3];
const [A, B, C, D, X, N1, N2] = [0, 1, 2, 3, 4, 10, 11].map(pattern) as [number[], number[], number[], number[], number[], number[], number[]];
const startCells = (columns: number[]): number[] => columns.map((column) => column * 4);
const columnsOf = (cells: number[]): number[] => [...new Set(cells.map((cell) => Math.floor(cell / 4)))];

function snapshotOf(tm: BacktrackingTemporalMemory): Uint8Array {
  const out = new SnapshotWriter();
  tm.write(out);
  return out.finish();
}

/** `cycles` times: reset, then the sequence. */
function train(tm: BacktrackingTemporalMemory, sequence: number[][], cycles: number): void {
  for (let cycle = 0; cycle < cycles; cycle++) {
    tm.reset();
    for (const columns of sequence) tm.compute(columns);
  }
}

describe('BacktrackingTemporalMemory: learning, step by step', () => {
  it('grows one segment per unpredicted column on a non-start cell, from all the previous learning cells at 0.21', () => {
    const tm = makeTm();
    expect(tm.compute(A)).toBe(1);
    expect(tm.connections.segmentCount).toBe(0); // nothing was active before: nothing to learn from
    const first = tm.getWinnerCells();
    expect(columnsOf(first)).toEqual(A);
    expect(first.every((cell) => cell % 4 !== 0)).toBe(true);

    expect(tm.compute(B)).toBe(1);
    expect(tm.connections.segmentCount).toBe(4);
    for (let cell = 4 * B[0]!; cell < 4 * (B[3]! + 1); cell++) {
      for (const segment of tm.connections.segmentsForCell(cell)) {
        expect(cell % 4).not.toBe(0);
        const synapses = tm.connections.synapsesForSegment(segment);
        expect(synapses.map((s) => tm.connections.presynapticCell(s))).toEqual(first);
        expect(synapses.map((s) => tm.connections.permanence(s))).toEqual([2100, 2100, 2100, 2100]);
      }
    }
  });

  it('starts learning over on start cells after pamLength inputs out of sequence', () => {
    const tm = makeTm({ pamLength: 3 });
    tm.compute(A);
    tm.compute(B);
    expect(tm.getWinnerCells().some((cell) => cell % 4 === 0)).toBe(false);
    tm.compute(C); // the third input nothing predicted: nothing earlier leads here, so C's start cells
    expect(tm.getWinnerCells()).toEqual(startCells(C));
  });

  it('learns A-B-C-D from start cells and predicts each next input exactly', () => {
    const tm = makeTm();
    train(tm, [A, B, C, D], 6);
    tm.reset();
    expect(tm.compute(A)).toBe(1); // nothing is predicted after a reset
    expect(tm.getActiveCells()).toEqual(startCells(A));
    const predictedB = tm.getPredictiveCells();
    expect(predictedB).toHaveLength(4);
    expect(columnsOf(predictedB)).toEqual(B);
    expect(tm.getConfidentColumns()).toEqual(B);
    expect(tm.compute(B)).toBe(0);
    expect(tm.getActiveCells()).toEqual(predictedB);
    expect(columnsOf(tm.getPredictiveCells())).toEqual(C);
    expect(tm.compute(C)).toBe(0);
    expect(tm.compute(D)).toBe(0);
    expect(tm.getPredictiveCells()).toEqual([]); // the sequence ended there every time
  });

  it("counts a column as predicted from any segment reaching the threshold (NuPIC's confidence), or only from connected ones", () => {
    // One cycle: B's segments hear A's start cells at 0.21, below the connected 0.5.
    for (const [rawAnomalyColumns, expected] of [['confidence', 0], ['predicted', 1]] as const) {
      const tm = makeTm({ rawAnomalyColumns });
      train(tm, [A, B], 1);
      tm.reset();
      tm.compute(A);
      expect(tm.getPredictiveCells()).toEqual([]);
      expect(tm.getConfidentColumns()).toEqual(B);
      expect(tm.compute(B)).toBe(expected);
    }
  });

  it('makes room on a full cell by dropping its segment with the lowest duty cycle', () => {
    const tm = makeTm({ cellsPerColumn: 2, maxSegmentsPerCell: 1 });
    tm.reset();
    tm.compute(A);
    tm.compute(B); // B's only non-start cells get a segment from A's start cells
    tm.reset();
    tm.compute(X);
    tm.compute(B); // unpredicted again: the full cells give up their segment for one from X's
    for (const column of B) {
      const segments = tm.connections.segmentsForCell(column * 2 + 1);
      expect(segments).toHaveLength(1);
      expect(tm.connections.synapsesForSegment(segments[0]!).map((s) => tm.connections.presynapticCell(s))).toEqual(X.map((c) => c * 2));
    }
  });
});

describe('BacktrackingTemporalMemory: backtracking', () => {
  it('after a surprise, inference locks onto a learned sequence from its start instead of bursting', () => {
    const backtracking = makeTm();
    const bursting = makeTm({ maxInfBacktrack: 0 });
    for (const tm of [backtracking, bursting]) {
      train(tm, [A, B, C, D], 6);
      tm.compute(N1);
      tm.compute(N2);
      tm.compute(A); // unpredicted after the noise
    }
    // Learning does not depend on inference: both learnt the same segments.
    expect(backtracking.getWinnerCells()).toEqual(bursting.getWinnerCells());
    expect(bursting.getActiveCells()).toHaveLength(16); // all of A's cells
    expect(backtracking.getActiveCells()).toEqual(startCells(A));
    // From A's start cells only the sequence's next cells are predicted.
    const reference = makeTm();
    train(reference, [A, B, C, D], 6);
    reference.reset();
    reference.compute(A);
    expect(backtracking.getPredictiveCells()).toEqual(reference.getPredictiveCells());
    expect(backtracking.compute(B)).toBe(0);
  });

  it('when learning starts over, it replays recent inputs to resume a sequence that started earlier', () => {
    // After the training, N1 and A are unpredicted for learning; at B pamLength runs out. From
    // A's start cells the replay predicts B, so learning resumes there (B's learnt cells)
    // instead of on B's start cells.
    const replaying = makeTm();
    const notReplaying = makeTm({ maxLrnBacktrack: 0 });
    const reference = makeTm();
    train(reference, [A, B, C, D], 6);
    reference.reset();
    reference.compute(A);
    const learntB = reference.getPredictiveCells();
    for (const tm of [replaying, notReplaying]) {
      train(tm, [A, B, C, D], 6);
      tm.compute(N1);
      tm.compute(A);
      tm.compute(B);
    }
    expect(replaying.getWinnerCells()).toEqual(learntB);
    expect(notReplaying.getWinnerCells()).toEqual(startCells(B));
  });
});

describe('BacktrackingTemporalMemory: snapshots', () => {
  it('restores to a model that continues identically (outputs, cells and bytes), whatever the step', () => {
    const rng = new MT19937(9);
    const inputs: number[][] = [];
    for (let k = 0; k < 400; k++) {
      // A repeating sequence with one input in seven replaced by noise.
      inputs.push(k % 7 === 6 ? pattern(8 + rng.getUInt32(8)) : pattern(k % 5));
    }
    const learnAt = (k: number) => k % 23 !== 22;
    const reference = makeTm({ cellsPerColumn: 8, maxSegmentsPerCell: 3, maxSynapsesPerSegment: 5 });
    const raws: number[] = [];
    const snapshots = new Map<number, Uint8Array>();
    inputs.forEach((columns, k) => {
      if (k % 50 === 0) snapshots.set(k, snapshotOf(reference));
      if (k === 220) reference.reset();
      raws.push(reference.compute(columns, learnAt(k)));
    });
    const finalBytes = snapshotOf(reference);
    expect(reference.connections.segmentCount).toBeGreaterThan(10);
    for (const [at, bytes] of snapshots) {
      const params = backtrackingTmParamsSchema.parse({ ...small, cellsPerColumn: 8, maxSegmentsPerCell: 3, maxSynapsesPerSegment: 5 });
      const restored = BacktrackingTemporalMemory.read(new SnapshotReader(bytes), params);
      expectSameBytes(snapshotOf(restored), bytes);
      inputs.slice(at).forEach((columns, offset) => {
        const k = at + offset;
        if (k === 220) restored.reset();
        expect(restored.compute(columns, learnAt(k))).toBe(raws[k]);
      });
      expect(restored.getPredictiveCells()).toEqual(reference.getPredictiveCells());
      expectSameBytes(snapshotOf(restored), finalBytes);
    }
  });
});
