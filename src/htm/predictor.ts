import type { SnapshotReader, SnapshotWriter } from './snapshot';

/**
 * A tiny value decoder for the Temporal Memory, so records can carry a predicted value.
 *
 * Each cell remembers the values it stood for: every learning step, each winner cell's
 * remembered value moves towards the current reading (the plain mean of its first `window`
 * readings, then an exponential average with weight 1/window, so it follows slow drift).
 * A predictive cell (one with an active segment) expects its column to become active in
 * the same sequence context it learnt from, so the prediction for the next reading is the
 * mean of the remembered values of the predictive cells; with no predictive cell that has
 * a value there is no prediction.
 *
 * Cells rather than columns because a column is shared by every context of an input,
 * while a winner cell is specific to one; this keeps, for instance, the rising and the
 * falling pass through the same value apart. Cost: O(winners + predictive cells) a step.
 */
export class CellValuePredictor {
  private readonly values: Float64Array;
  private readonly counts: Uint16Array;

  constructor(
    readonly cellCount: number,
    readonly window: number,
  ) {
    this.values = new Float64Array(cellCount);
    this.counts = new Uint16Array(cellCount);
  }

  /** Moves each winner cell's remembered value towards `value`. */
  learn(winnerCells: ArrayLike<number>, value: number): void {
    if (!Number.isFinite(value)) return;
    for (let k = 0; k < winnerCells.length; k++) {
      const cell = winnerCells[k]!;
      const count = Math.min(this.counts[cell]! + 1, this.window);
      this.counts[cell] = count;
      this.values[cell] = this.values[cell]! + (value - this.values[cell]!) / count;
    }
  }

  /** The mean remembered value of the given cells that have one, or null. */
  predict(predictiveCells: ArrayLike<number>): number | null {
    let sum = 0;
    let count = 0;
    for (let k = 0; k < predictiveCells.length; k++) {
      const cell = predictiveCells[k]!;
      if (this.counts[cell] === 0) continue;
      sum += this.values[cell]!;
      count++;
    }
    return count === 0 ? null : sum / count;
  }

  /** Only cells that have a value, ascending. */
  write(out: SnapshotWriter): void {
    const cells: number[] = [];
    for (let cell = 0; cell < this.cellCount; cell++) if (this.counts[cell]! > 0) cells.push(cell);
    out.u32(cells.length);
    out.u16Array(Uint16Array.from(cells));
    out.u16Array(Uint16Array.from(cells, (cell) => this.counts[cell]!));
    out.f64Array(Float64Array.from(cells, (cell) => this.values[cell]!));
  }

  static read(input: SnapshotReader, cellCount: number, window: number): CellValuePredictor {
    const predictor = new CellValuePredictor(cellCount, window);
    const count = input.u32();
    const cells = input.u16Array(count);
    const counts = input.u16Array(count);
    const values = input.f64Array(count);
    for (let k = 0; k < count; k++) {
      const cell = cells[k]!;
      if (cell >= cellCount || counts[k] === 0 || counts[k]! > window) throw new Error('snapshot: predictor entry out of range');
      predictor.counts[cell] = counts[k]!;
      predictor.values[cell] = values[k]!;
    }
    return predictor;
  }
}
