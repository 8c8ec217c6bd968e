import { MT19937, MT19937_STATE_BYTES } from '../random/mt19937';
import { checkActiveColumns } from './active-columns';
import { CellSet } from './cell-set';
import { Connections } from './connections';
import { type BacktrackingTmParams, toPermanenceUnits } from './params';
import { SegmentActivity, sortSegmentsByCell } from './segment-activity';
import { isDutyCycleTier, SegmentDutyCycles } from './segment-duty-cycles';
import type { SnapshotReader, SnapshotWriter } from './snapshot';

/** A learning step's proposal for one segment, applied on the next step if its column becomes active. */
interface SegmentUpdate {
  segment: number;
  cell: number;
  /** The cells the segment should hear: its synapses from them are reinforced, the missing ones grown. Ascending. */
  cells: Uint32Array;
  /** The learning iteration it was made in. */
  madeAt: number;
}

/**
 * Without pooling nupic fixes segUpdateValidDuration at 1: a proposal made on one step is
 * applied on the next or dropped.
 */
const UPDATE_VALID_FOR = 1;

/**
 * NuPIC's backtracking temporal memory (BacktrackingTM, run by NAB's `numenta` detector as
 * Cells4, `temporalImp: 'cpp'`), written from its published description and code. It keeps two
 * states side by side, on one set of segments:
 *
 * **Inference** (what the raw anomaly and the predictions come from), each step:
 * 1. phase 1: in each active column the cells predicted on the previous step become active; a
 *    column with none bursts (all its cells). The input is "in sequence" if at least half the
 *    columns were predicted.
 * 2. phase 2: every segment whose active synapses (of any permanence) reach activationThreshold
 *    makes its column "confident" (nupic's non-zero column confidence); if its active connected
 *    synapses reach it, its cell is predicted. Enough prediction means at least half the average
 *    input's columns are predicted.
 * 3. backtracking: when phase 1 or 2 falls short, the last maxInfBacktrack + 1 inputs are replayed
 *    from start cells (cell 0 of each column), oldest start first; the first start that stays
 *    in sequence up to and including the current input's predictions is taken (the most
 *    context); failing all, the current input from start cells; failing that, the burst.
 *
 * **Learning**, after inference, each step:
 * 1. The previous step's proposals (one per predicted column) are applied to the segments whose
 *    column is now active: synapses from the proposal's cells +permanenceIncrement (at most
 *    permanenceMax), the others −permanenceDecrement (gone at 0), new synapses at
 *    initialPermanence to the proposal's new cells, the weakest inactive synapses making room
 *    past maxSynapsesPerSegment.
 * 2. phase 1: one learning cell per active column: the cell predicted for learning, or the cell
 *    of the segment best matching the previous learning cells (≥ minThreshold active synapses of
 *    any permanence), reinforced and grown to newSynapseCount, or a random non-start cell of the
 *    column with room, given a new segment on newSynapseCount of the previous learning cells.
 * 3. "Pay attention mode": after pamLength steps out of sequence (fewer than half the columns
 *    predicted), or after maxSeqLength steps of one sequence, learning starts over: it replays
 *    the last maxLrnBacktrack inputs from start cells to find the oldest start that stays in
 *    sequence (re-learning along it), or else starts on the current input's start cells.
 * 4. phase 2: in each column, the cell of the segment with the most active synapses (≥
 *    activationThreshold, any permanence) on the learning cells is predicted for learning, and a
 *    proposal for that segment is queued (its active synapses, topped up to newSynapseCount).
 *
 * **Raw anomaly**: the share of active columns that were not confident after the previous step
 * (TMRegion's anomalyScore from topDownCompute), or with `rawAnomalyColumns: 'predicted'` not
 * predicted.
 *
 * Ties are broken as nupic does (within a cell its first segment in creation order, across
 * cells the highest cell). Where Vigil differs, and why:
 * - Permanences are whole units of 1e-4 (see params.ts), not float32: NAB's constants are
 *   exact in them, so nothing drifts by platform.
 * - Random choices (the cell for a new segment, the cells a segment grows synapses to) draw
 *   from Vigil's MT19937 with the seed, not nupic's generator, so the same choices are not the
 *   same cells as nupic's.
 * - Segments keep creation order in their cell (nupic's Python order; Cells4 reuses freed
 *   slots), which only changes which of two equally good segments is picked.
 * - Column confidences are kept as "non-zero or not", the only thing the anomaly reads of them:
 *   a confidence is a sum of duty cycles, which are always positive.
 * - With maxInfBacktrack 0, a step out of sequence predicts from the burst (Cells4 would keep
 *   the previous prediction); nupic's settings never do that.
 *
 * Same inputs give the same outputs and snapshot bytes; segment and synapse ids never show
 * (every order that matters is by cell and creation), so a restored model continues exactly.
 */
export class BacktrackingTemporalMemory {
  readonly columnCount: number;
  readonly cellsPerColumn: number;
  readonly cellCount: number;
  readonly connections: Connections;

  private readonly rng: MT19937;
  private readonly initialUnits: number;
  private readonly connectedUnits: number;
  private readonly incrementUnits: number;
  private readonly decrementUnits: number;
  private readonly maxUnits: number;
  private readonly dutyCycles = new SegmentDutyCycles();

  /** Learning steps so far (nupic's lrnIterationIdx), the clock of duty cycles and proposals. */
  private learningIteration = 0;
  /** Moving average of the active column count; 0 until the first input. */
  private averageInputDensity = 0;
  private pamCounter: number;
  private learnedSequenceLength = 0;
  /** Set by reset until the next compute: both states then start on start cells. */
  private resetCalled = false;

  private readonly inferenceActive: CellSet;
  private readonly inferencePredicted: CellSet;
  private readonly inferencePredictedBefore: CellSet;
  private readonly backupActive: CellSet;
  private readonly backupPredictedBefore: CellSet;
  /** Per column: 1 if confident after the last inference step (see the class comment). */
  private readonly confident: Uint8Array;
  private readonly confidentColumns: Uint32Array;
  private confidentCount = 0;
  private inferencePatterns: Uint16Array[] = [];

  private readonly learningActive: CellSet;
  private readonly learningActiveBefore: CellSet;
  private readonly learningPredicted: CellSet;
  private readonly learningPredictedBefore: CellSet;
  private learningPatterns: Uint16Array[] = [];
  private updates: SegmentUpdate[] = [];

  private readonly inferenceActivity = new SegmentActivity();
  private readonly learningActivity = new SegmentActivity();
  /** Scratch: segments reaching a threshold, sorted by cell (learning phases). */
  private chosen = new Uint32Array(1024);
  private sortKeys = new Float64Array(1024);
  /** Scratch marks, all 0 between uses. */
  private readonly cellMark: Uint8Array;
  private readonly columnMark: Uint8Array;

  private constructor(
    readonly params: BacktrackingTmParams,
    columnCount: number,
    rng: MT19937,
    connections?: Connections,
  ) {
    if (!Number.isInteger(columnCount) || columnCount < 1) throw new RangeError(`TM column count ${columnCount} invalid`);
    this.columnCount = columnCount;
    this.cellsPerColumn = params.cellsPerColumn;
    this.cellCount = columnCount * params.cellsPerColumn;
    this.connections = connections ?? new Connections(this.cellCount);
    this.rng = rng;
    this.initialUnits = toPermanenceUnits(params.initialPermanence);
    this.connectedUnits = toPermanenceUnits(params.connectedPermanence);
    this.incrementUnits = toPermanenceUnits(params.permanenceIncrement);
    this.decrementUnits = toPermanenceUnits(params.permanenceDecrement);
    this.maxUnits = toPermanenceUnits(params.permanenceMax);
    this.pamCounter = params.pamLength;
    const cells = this.cellCount;
    this.inferenceActive = new CellSet(cells);
    this.inferencePredicted = new CellSet(cells);
    this.inferencePredictedBefore = new CellSet(cells);
    this.backupActive = new CellSet(cells);
    this.backupPredictedBefore = new CellSet(cells);
    this.learningActive = new CellSet(cells);
    this.learningActiveBefore = new CellSet(cells);
    this.learningPredicted = new CellSet(cells);
    this.learningPredictedBefore = new CellSet(cells);
    this.confident = new Uint8Array(columnCount);
    this.confidentColumns = new Uint32Array(columnCount);
    this.cellMark = new Uint8Array(cells);
    this.columnMark = new Uint8Array(columnCount);
  }

  static create(params: BacktrackingTmParams, columnCount: number): BacktrackingTemporalMemory {
    return new BacktrackingTemporalMemory(params, columnCount, new MT19937(params.seed));
  }

  /**
   * One step on the active columns (ascending, distinct): inference, then learning if `learn`.
   * Returns the raw anomaly of this input against the previous step's prediction.
   */
  compute(activeColumns: ArrayLike<number>, learn = true): number {
    checkActiveColumns(activeColumns, this.columnCount);
    const columns = Uint16Array.from(activeColumns);
    const rawAnomaly = this.rawAnomaly(columns);
    if (learn) {
      this.learningIteration++;
      if (isDutyCycleTier(this.learningIteration)) this.refreshDutyCycles();
    }
    this.averageInputDensity = this.averageInputDensity === 0 ? columns.length : 0.99 * this.averageInputDensity + 0.01 * columns.length;
    this.updateInference(columns);
    if (learn) this.updateLearning(columns);
    this.resetCalled = false;
    return rawAnomaly;
  }

  /**
   * Forgets the current sequence (nupic's reset): no active, predicted or confident state, no
   * pending proposal or remembered input; the next input starts on its start cells, for
   * inference and learning. HtmModel never resets (NAB does not); sequences of separate
   * episodes can.
   */
  reset(): void {
    for (const cells of [this.inferenceActive, this.inferencePredicted, this.inferencePredictedBefore, this.learningActive, this.learningActiveBefore, this.learningPredicted, this.learningPredictedBefore]) {
      cells.clear();
    }
    for (let k = 0; k < this.confidentCount; k++) this.confident[this.confidentColumns[k]!] = 0;
    this.confidentCount = 0;
    this.updates = [];
    this.inferencePatterns = [];
    this.learningPatterns = [];
    this.resetCalled = true;
  }

  /** The cells that learnt this step (one per active column); valid until the next compute. */
  winnerCellsView(): Uint32Array {
    return this.learningActive.view();
  }

  getWinnerCells(): number[] {
    return Array.from(this.learningActive.view()).sort((a, b) => a - b);
  }

  getActiveCells(): number[] {
    return Array.from(this.inferenceActive.view()).sort((a, b) => a - b);
  }

  /** Cells predicted to become active next, ascending. */
  getPredictiveCells(): number[] {
    return Array.from(this.inferencePredicted.view());
  }

  /** Calls `visit` once per predicted cell, ascending, without allocating. */
  forEachPredictiveCell(visit: (cell: number) => void): void {
    const cells = this.inferencePredicted.view();
    for (let k = 0; k < cells.length; k++) visit(cells[k]!);
  }

  /** Columns confident after the last step (what the next raw anomaly counts as predicted), ascending. */
  getConfidentColumns(): number[] {
    return Array.from(this.confidentColumns.subarray(0, this.confidentCount)).sort((a, b) => a - b);
  }

  private rawAnomaly(columns: Uint16Array): number {
    if (columns.length === 0) return 0;
    let predicted = 0;
    if (this.params.rawAnomalyColumns === 'confidence') {
      for (let k = 0; k < columns.length; k++) predicted += this.confident[columns[k]!]!;
    } else {
      const marks = this.columnMark;
      const cells = this.inferencePredicted.view();
      for (let k = 0; k < cells.length; k++) marks[Math.floor(cells[k]! / this.cellsPerColumn)] = 1;
      for (let k = 0; k < columns.length; k++) predicted += marks[columns[k]!]!;
      for (let k = 0; k < cells.length; k++) marks[Math.floor(cells[k]! / this.cellsPerColumn)] = 0;
    }
    return (columns.length - predicted) / columns.length;
  }

  private refreshDutyCycles(): void {
    const connections = this.connections;
    for (let cell = 0; cell < this.cellCount; cell++) {
      if (connections.numSegments(cell) === 0) continue;
      for (const segment of connections.segmentsForCell(cell)) this.dutyCycles.dutyCycle(segment, this.learningIteration);
    }
  }

  // ---------------------------------------------------------------- inference

  private updateInference(columns: Uint16Array): void {
    this.inferencePredictedBefore.copyFrom(this.inferencePredicted);
    if (this.params.maxInfBacktrack > 0) {
      if (this.inferencePatterns.length > this.params.maxInfBacktrack) this.inferencePatterns.shift();
      this.inferencePatterns.push(columns);
    }
    if (this.inferPhase1(columns, this.resetCalled) && this.inferPhase2()) return;
    if (this.params.maxInfBacktrack > 0) this.inferBacktrack();
    else this.inferPhase2();
  }

  /** Active cells from the previous prediction (or start cells); whether enough columns were predicted. */
  private inferPhase1(columns: Uint16Array, useStartCells: boolean): boolean {
    const active = this.inferenceActive;
    const before = this.inferencePredictedBefore;
    const perColumn = this.cellsPerColumn;
    active.clear();
    if (useStartCells) {
      for (let k = 0; k < columns.length; k++) active.add(columns[k]! * perColumn);
      return true;
    }
    let predictedColumns = 0;
    for (let k = 0; k < columns.length; k++) {
      const first = columns[k]! * perColumn;
      let found = false;
      for (let cell = first; cell < first + perColumn; cell++) {
        if (!before.has(cell)) continue;
        active.add(cell);
        found = true;
      }
      if (found) predictedColumns++;
      else for (let cell = first; cell < first + perColumn; cell++) active.add(cell);
    }
    return predictedColumns >= 0.5 * columns.length;
  }

  /** Predicted cells and confident columns from the active cells; whether enough columns are predicted. */
  private inferPhase2(): boolean {
    const activity = this.inferenceActivity;
    activity.compute(this.connections, this.inferenceActive, this.connectedUnits);
    const predicted = this.inferencePredicted;
    predicted.clear();
    for (let k = 0; k < this.confidentCount; k++) this.confident[this.confidentColumns[k]!] = 0;
    this.confidentCount = 0;
    const threshold = this.params.activationThreshold;
    const perColumn = this.cellsPerColumn;
    const marks = this.columnMark;
    const { potential, connected, touched } = activity;
    let predictedColumns = 0;
    for (let k = 0; k < activity.touchedCount; k++) {
      const segment = touched[k]!;
      if (potential[segment]! < threshold) continue;
      const cell = this.connections.cellForSegment(segment);
      const column = Math.floor(cell / perColumn);
      if (this.confident[column] === 0) {
        this.confident[column] = 1;
        this.confidentColumns[this.confidentCount++] = column;
      }
      if (connected[segment]! >= threshold && !predicted.has(cell)) {
        predicted.add(cell);
        if (marks[column] === 0) {
          marks[column] = 1;
          predictedColumns++;
        }
      }
    }
    const cells = predicted.view();
    for (let k = 0; k < cells.length; k++) marks[Math.floor(cells[k]! / perColumn)] = 0;
    predicted.sort();
    return predictedColumns >= 0.5 * this.averageInputDensity;
  }

  /**
   * Replays the remembered inputs from start cells, oldest start first, and keeps the first
   * start that stays in sequence through the current input; else the burst. Drops the
   * remembered inputs that failed as starts, and those before the one taken.
   */
  private inferBacktrack(): void {
    const patterns = this.inferencePatterns;
    const count = patterns.length;
    this.backupActive.copyFrom(this.inferenceActive);
    this.backupPredictedBefore.copyFrom(this.inferencePredictedBefore);
    let failed = 0;
    let taken = -1;
    for (let start = 0; start < count; start++) {
      let inSequence = false;
      for (let offset = start; offset < count; offset++) {
        if (offset !== start) this.inferencePredictedBefore.copyFrom(this.inferencePredicted);
        inSequence = this.inferPhase1(patterns[offset]!, offset === start);
        if (!inSequence) break;
        inSequence = this.inferPhase2();
        if (!inSequence) break;
      }
      if (inSequence) {
        taken = start;
        break;
      }
      failed++;
    }
    if (taken === -1) {
      this.inferenceActive.copyFrom(this.backupActive);
      this.inferPhase2();
    }
    // The failed starts are exactly those before the one taken (all of them when none was).
    const drop = taken === -1 ? failed : taken + 1;
    if (drop > 0) this.inferencePatterns = patterns.slice(drop);
    this.inferencePredictedBefore.copyFrom(this.backupPredictedBefore);
  }

  // ---------------------------------------------------------------- learning

  private updateLearning(columns: Uint16Array): void {
    this.learningActiveBefore.copyFrom(this.learningActive);
    this.learningPredictedBefore.copyFrom(this.learningPredicted);
    if (this.params.maxLrnBacktrack > 0) {
      if (this.learningPatterns.length > this.params.maxLrnBacktrack) this.learningPatterns.shift();
      this.learningPatterns.push(columns);
    }
    this.applyUpdates(columns);
    if (this.pamCounter > 0) this.pamCounter--;
    this.learnedSequenceLength++;
    if (!this.resetCalled && this.learnPhase1(columns, false)) this.pamCounter = this.params.pamLength;
    const maxSequence = this.params.maxSeqLength;
    if (this.resetCalled || this.pamCounter === 0 || (maxSequence !== 0 && this.learnedSequenceLength >= maxSequence)) {
      const stepsBack = this.resetCalled ? 0 : this.learnBacktrack();
      if (stepsBack === 0) {
        this.learningActive.clear();
        for (let k = 0; k < columns.length; k++) this.learningActive.add(columns[k]! * this.cellsPerColumn);
        this.learningPatterns = [];
      }
      this.pamCounter = this.params.pamLength;
      this.learnedSequenceLength = stepsBack;
      this.updates = [];
    }
    this.learnPhase2(false);
  }

  /** Applies the pending proposals of segments whose column is active; drops the rest. */
  private applyUpdates(columns: Uint16Array): void {
    if (this.updates.length === 0) return;
    const marks = this.columnMark;
    for (let k = 0; k < columns.length; k++) marks[columns[k]!] = 1;
    const pending = this.updates;
    this.updates = [];
    for (const update of pending) {
      if (this.learningIteration - update.madeAt > UPDATE_VALID_FOR) continue;
      if (marks[Math.floor(update.cell / this.cellsPerColumn)] === 1) this.adaptSegment(update.segment, update.cells);
    }
    for (let k = 0; k < columns.length; k++) marks[columns[k]!] = 0;
  }

  /** One learning cell per active column (see the class comment); whether the input was in sequence. */
  private learnPhase1(columns: Uint16Array, readOnly: boolean): boolean {
    const active = this.learningActive;
    const predictedBefore = this.learningPredictedBefore;
    const perColumn = this.cellsPerColumn;
    active.clear();
    let matchingCount = 0;
    if (!readOnly) matchingCount = this.segmentsReaching(this.learningActiveBefore, this.params.minThreshold);
    const matching = this.chosen;
    const counts = this.learningActivity.potential;
    let at = 0;
    let unpredicted = 0;
    for (let k = 0; k < columns.length; k++) {
      const column = columns[k]!;
      const first = column * perColumn;
      let predictedCell = -1;
      for (let cell = first; cell < first + perColumn; cell++) {
        if (predictedBefore.has(cell)) {
          predictedCell = cell;
          break;
        }
      }
      if (predictedCell !== -1) {
        active.add(predictedCell);
        continue;
      }
      unpredicted++;
      if (readOnly) continue;
      while (at < matchingCount && this.columnOf(matching[at]!) < column) at++;
      const best = this.bestSegmentInColumn(matching, at, matchingCount, column, counts, this.params.minThreshold);
      if (best !== -1) {
        active.add(this.connections.cellForSegment(best));
        const cells = this.proposalFor(best, this.learningActiveBefore);
        if (cells.length > 0) this.adaptSegment(best, cells);
      } else {
        const cell = this.cellForNewSegment(column);
        active.add(cell);
        const cells = this.chooseCellsToLearnFrom(-1, this.params.newSynapseCount, this.learningActiveBefore);
        if (cells.length > 0) this.createSegment(cell, cells);
      }
    }
    return unpredicted < Math.floor(columns.length / 2);
  }

  /** In each column the best segment on the learning cells becomes a prediction and, unless readOnly, a proposal. */
  private learnPhase2(readOnly: boolean): void {
    const count = this.segmentsReaching(this.learningActive, this.params.activationThreshold);
    const segments = this.chosen;
    const counts = this.learningActivity.potential;
    this.learningPredicted.clear();
    let at = 0;
    while (at < count) {
      const column = this.columnOf(segments[at]!);
      const best = this.bestSegmentInColumn(segments, at, count, column, counts, this.params.activationThreshold);
      while (at < count && this.columnOf(segments[at]!) === column) at++;
      const cell = this.connections.cellForSegment(best);
      this.learningPredicted.add(cell);
      if (readOnly) continue;
      const cells = this.proposalFor(best, this.learningActive);
      if (cells.length > 0) this.updates.push({ segment: best, cell, cells, madeAt: this.learningIteration });
    }
  }

  /**
   * Replays the last inputs from start cells (read only) to find the oldest start that stays
   * in sequence up to the current input, then replays from it learning. Returns how many
   * steps back it started, or 0 when no start worked (the caller starts over on start cells).
   */
  private learnBacktrack(): number {
    const starts = this.learningPatterns.length - 1;
    if (starts <= 0) return 0;
    let start = 0;
    let inSequence = false;
    for (; start < starts; start++) {
      inSequence = this.learnReplayFrom(start, true);
      if (inSequence) break;
    }
    if (!inSequence) {
      this.learningPatterns = [];
      return 0;
    }
    this.learnReplayFrom(start, false);
    // Every start before the one taken failed; they and the one taken leave the history.
    this.learningPatterns = this.learningPatterns.slice(start + 1);
    return starts - start;
  }

  private learnReplayFrom(start: number, readOnly: boolean): boolean {
    const patterns = this.learningPatterns;
    const current = patterns.length - 1;
    if (!readOnly) this.updates = [];
    let inSequence = true;
    for (let offset = start; offset <= current; offset++) {
      this.learningActiveBefore.copyFrom(this.learningActive);
      this.learningPredictedBefore.copyFrom(this.learningPredicted);
      const columns = patterns[offset]!;
      if (!readOnly) this.applyUpdates(columns);
      if (offset === start) {
        this.learningActive.clear();
        for (let k = 0; k < columns.length; k++) this.learningActive.add(columns[k]! * this.cellsPerColumn);
        inSequence = true;
      } else {
        inSequence = this.learnPhase1(columns, readOnly);
      }
      if (!inSequence || offset === current) break;
      this.learnPhase2(readOnly);
    }
    return inSequence;
  }

  // ---------------------------------------------------------------- segments

  private columnOf(segment: number): number {
    return Math.floor(this.connections.cellForSegment(segment) / this.cellsPerColumn);
  }

  /**
   * Counts every segment's active synapses (any permanence) on `cells` into learningActivity and
   * puts those with at least `threshold` in `chosen`, sorted by cell and creation. Returns how many.
   */
  private segmentsReaching(cells: CellSet, threshold: number): number {
    const activity = this.learningActivity;
    activity.compute(this.connections, cells, null);
    if (this.chosen.length < activity.touchedCount) {
      this.chosen = new Uint32Array(activity.potential.length);
      this.sortKeys = new Float64Array(activity.potential.length);
    }
    let count = 0;
    for (let k = 0; k < activity.touchedCount; k++) {
      const segment = activity.touched[k]!;
      if (activity.potential[segment]! >= threshold) this.chosen[count++] = segment;
    }
    sortSegmentsByCell(this.connections, this.chosen, count, this.sortKeys);
    return count;
  }

  /**
   * nupic's getBestMatchingCell over the entries of `column` in `segments` from `from` (sorted by
   * cell and creation, all at or above threshold): each cell's first segment with its most
   * active synapses; of the cells, the most active, the highest cell on ties. −1 if none.
   */
  private bestSegmentInColumn(segments: Uint32Array, from: number, to: number, column: number, counts: Uint16Array, threshold: number): number {
    let best = -1;
    let bestActivity = threshold;
    let at = from;
    while (at < to && this.columnOf(segments[at]!) === column) {
      const cell = this.connections.cellForSegment(segments[at]!);
      let cellBest = -1;
      let cellActivity = 0;
      while (at < to && this.connections.cellForSegment(segments[at]!) === cell) {
        const segment = segments[at]!;
        if (counts[segment]! > cellActivity) {
          cellActivity = counts[segment]!;
          cellBest = segment;
        }
        at++;
      }
      if (cellActivity >= bestActivity) {
        bestActivity = cellActivity;
        best = cellBest;
      }
    }
    return best;
  }

  /**
   * nupic's getSegmentActiveSynapses with newSynapses: the segment's synapses from `state`,
   * topped up with cells of `state` it does not hear yet to newSynapseCount. Ascending.
   */
  private proposalFor(segment: number, state: CellSet): Uint32Array {
    const connections = this.connections;
    const heard: number[] = [];
    const synapseCount = connections.numSynapses(segment);
    for (let position = 0; position < synapseCount; position++) {
      const cell = connections.presynapticCell(connections.synapseAt(segment, position));
      if (state.has(cell)) heard.push(cell);
    }
    const missing = this.params.newSynapseCount - heard.length;
    const added = missing > 0 ? this.chooseCellsToLearnFrom(segment, missing, state) : [];
    return Uint32Array.from([...heard, ...added]).sort();
  }

  /**
   * Up to `count` cells of `state` that `segment` (−1: a new one) has no synapse from, chosen at
   * random from the ascending candidates when there are more; returned ascending.
   */
  private chooseCellsToLearnFrom(segment: number, count: number, state: CellSet): number[] {
    const connections = this.connections;
    const marks = this.cellMark;
    const synapseCount = segment === -1 ? 0 : connections.numSynapses(segment);
    for (let position = 0; position < synapseCount; position++) marks[connections.presynapticCell(connections.synapseAt(segment, position))] = 1;
    const candidates: number[] = [];
    const members = state.view();
    for (let k = 0; k < members.length; k++) if (marks[members[k]!] === 0) candidates.push(members[k]!);
    for (let position = 0; position < synapseCount; position++) marks[connections.presynapticCell(connections.synapseAt(segment, position))] = 0;
    candidates.sort((a, b) => a - b);
    if (candidates.length <= count) return candidates;
    if (count === 1) return [candidates[this.rng.getUInt32(candidates.length)]!];
    // A partial Fisher–Yates: the first `count` places get a uniform sample without replacement.
    for (let k = 0; k < count; k++) {
      const pick = k + this.rng.getUInt32(candidates.length - k);
      const chosen = candidates[pick]!;
      candidates[pick] = candidates[k]!;
      candidates[k] = chosen;
    }
    return candidates.slice(0, count).sort((a, b) => a - b);
  }

  /**
   * A random non-start cell of the column with room for a segment; if every one is full, the
   * column's segment with the lowest duty cycle is destroyed and its cell returned.
   */
  private cellForNewSegment(column: number): number {
    const connections = this.connections;
    const perColumn = this.cellsPerColumn;
    const first = column * perColumn + (perColumn > 1 ? 1 : 0);
    const end = column * perColumn + perColumn;
    const roomy: number[] = [];
    for (let cell = first; cell < end; cell++) if (connections.numSegments(cell) < this.params.maxSegmentsPerCell) roomy.push(cell);
    if (roomy.length > 0) return roomy[this.rng.getUInt32(roomy.length)]!;
    let weakest = -1;
    let weakestDutyCycle = 1;
    for (let cell = first; cell < end; cell++) {
      for (const segment of connections.segmentsForCell(cell)) {
        const dutyCycle = this.dutyCycles.dutyCycle(segment, this.learningIteration);
        if (dutyCycle < weakestDutyCycle || weakest === -1) {
          weakest = segment;
          weakestDutyCycle = dutyCycle;
        }
      }
    }
    const cell = connections.cellForSegment(weakest);
    this.destroySegment(weakest);
    return cell;
  }

  private createSegment(cell: number, cells: ArrayLike<number>): void {
    const segment = this.connections.createSegment(cell, this.learningIteration);
    for (let k = 0; k < cells.length; k++) this.connections.createSynapse(segment, cells[k]!, this.initialUnits);
    this.dutyCycles.start(segment, this.learningIteration);
  }

  private destroySegment(segment: number): void {
    this.updates = this.updates.filter((update) => update.segment !== segment);
    this.connections.destroySegment(segment);
  }

  /**
   * Applies a proposal (nupic's adaptSegment): synapses from `cells` are reinforced, the others
   * weakened (removed at 0), the cells the segment does not hear yet get new synapses, after
   * the weakest synapses make room past maxSynapsesPerSegment (inactive ones first, lowest
   * permanence then lowest cell first). A segment left without synapses is destroyed.
   */
  private adaptSegment(segment: number, cells: Uint32Array): void {
    const connections = this.connections;
    if (!connections.isAlive(segment)) return;
    connections.setLastUsed(segment, this.learningIteration);
    this.dutyCycles.reinforce(segment, this.learningIteration);
    const marks = this.cellMark;
    for (let k = 0; k < cells.length; k++) marks[cells[k]!] = 1;
    let position = 0;
    while (position < connections.numSynapses(segment)) {
      const synapse = connections.synapseAt(segment, position);
      const from = connections.presynapticCell(synapse);
      let units = connections.permanence(synapse);
      if (marks[from] === 1) {
        units = Math.min(units + this.incrementUnits, this.maxUnits);
        marks[from] = 2; // heard already: no new synapse
      } else {
        units -= this.decrementUnits;
      }
      if (units <= 0) {
        connections.destroySynapseAt(segment, position);
        continue;
      }
      connections.setPermanence(synapse, units);
      position++;
    }
    const added: number[] = [];
    for (let k = 0; k < cells.length; k++) {
      if (marks[cells[k]!] === 1) added.push(cells[k]!);
    }
    const overflow = connections.numSynapses(segment) + added.length - this.params.maxSynapsesPerSegment;
    if (overflow > 0) this.freeSynapses(segment, overflow, marks);
    for (let k = 0; k < cells.length; k++) marks[cells[k]!] = 0;
    for (const cell of added) connections.createSynapse(segment, cell, this.initialUnits);
    if (connections.numSynapses(segment) === 0) this.destroySegment(segment);
  }

  /** Destroys `count` synapses: those from unmarked cells first, each group by permanence then cell. */
  private freeSynapses(segment: number, count: number, marks: Uint8Array): void {
    const connections = this.connections;
    const ranked: { position: number; active: number; units: number; cell: number }[] = [];
    for (let position = 0; position < connections.numSynapses(segment); position++) {
      const synapse = connections.synapseAt(segment, position);
      const cell = connections.presynapticCell(synapse);
      ranked.push({ position, active: marks[cell] === 0 ? 0 : 1, units: connections.permanence(synapse), cell });
    }
    ranked.sort((a, b) => a.active - b.active || a.units - b.units || a.cell - b.cell);
    const doomed = ranked
      .slice(0, Math.min(count, ranked.length))
      .map((entry) => entry.position)
      .sort((a, b) => b - a);
    for (const position of doomed) connections.destroySynapseAt(segment, position);
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * Everything the next step reads: counters, generator, the inference prediction and confident
   * columns, the learning cells and prediction, the remembered inputs, pending proposals (by
   * cell and the segment's place in it), the connections and each segment's duty cycle data,
   * all in canonical order. Activity counts and the states a step overwrites are not written.
   */
  write(out: SnapshotWriter): void {
    out.u32(this.columnCount);
    out.f64(this.learningIteration);
    out.f64(this.averageInputDensity);
    out.u32(this.pamCounter);
    out.u32(this.learnedSequenceLength);
    out.bool(this.resetCalled);
    out.raw(this.rng.saveState());
    writeCells(out, this.inferenceActive);
    writeCells(out, this.inferencePredicted);
    writeList(out, this.getConfidentColumns());
    writeCells(out, this.learningActive);
    writeCells(out, this.learningPredicted);
    writePatterns(out, this.inferencePatterns);
    writePatterns(out, this.learningPatterns);
    out.u32(this.updates.length);
    for (const update of this.updates) {
      out.u32(update.cell);
      out.u32(this.connections.segmentsForCell(update.cell).indexOf(update.segment));
      out.f64(update.madeAt);
      writeList(out, Array.from(update.cells));
    }
    this.connections.write(out);
    const segments = this.segmentsInOrder();
    out.f64Array(Float64Array.from(segments, (segment) => this.dutyCycles.positive[segment]!));
    out.f64Array(Float64Array.from(segments, (segment) => this.dutyCycles.last[segment]!));
    out.f64Array(Float64Array.from(segments, (segment) => this.dutyCycles.lastIteration[segment]!));
  }

  static read(input: SnapshotReader, params: BacktrackingTmParams): BacktrackingTemporalMemory {
    const columnCount = input.u32();
    const learningIteration = input.f64();
    const averageInputDensity = input.f64();
    const pamCounter = input.u32();
    const learnedSequenceLength = input.u32();
    const resetCalled = input.bool();
    const rng = MT19937.fromState(input.raw(MT19937_STATE_BYTES));
    const cellCount = columnCount * params.cellsPerColumn;
    const inferenceActive = readList(input, cellCount);
    const inferencePredicted = readList(input, cellCount);
    const confident = readList(input, columnCount);
    const learningActive = readList(input, cellCount);
    const learningPredicted = readList(input, cellCount);
    const inferencePatterns = readPatterns(input, columnCount);
    const learningPatterns = readPatterns(input, columnCount);
    const updateCount = input.u32();
    const updates: { cell: number; place: number; madeAt: number; cells: number[] }[] = [];
    for (let k = 0; k < updateCount; k++) updates.push({ cell: input.u32(), place: input.u32(), madeAt: input.f64(), cells: readList(input, cellCount) });
    const connections = Connections.read(input, cellCount);
    const tm = new BacktrackingTemporalMemory(params, columnCount, rng, connections);
    const segments = tm.segmentsInOrder();
    const positive = input.f64Array(segments.length);
    const last = input.f64Array(segments.length);
    const lastIteration = input.f64Array(segments.length);
    tm.dutyCycles.ensure(connections.segmentIdLimit);
    segments.forEach((segment, k) => {
      tm.dutyCycles.positive[segment] = positive[k]!;
      tm.dutyCycles.last[segment] = last[k]!;
      tm.dutyCycles.lastIteration[segment] = lastIteration[k]!;
    });
    tm.learningIteration = learningIteration;
    tm.averageInputDensity = averageInputDensity;
    tm.pamCounter = pamCounter;
    tm.learnedSequenceLength = learnedSequenceLength;
    tm.resetCalled = resetCalled;
    for (const cell of inferenceActive) tm.inferenceActive.add(cell);
    for (const cell of inferencePredicted) tm.inferencePredicted.add(cell);
    for (const column of confident) {
      tm.confident[column] = 1;
      tm.confidentColumns[tm.confidentCount++] = column;
    }
    for (const cell of learningActive) tm.learningActive.add(cell);
    for (const cell of learningPredicted) tm.learningPredicted.add(cell);
    tm.inferencePatterns = inferencePatterns;
    tm.learningPatterns = learningPatterns;
    for (const update of updates) {
      const segment = connections.segmentsForCell(update.cell)[update.place];
      if (segment === undefined) throw new Error('snapshot: backtracking TM update names a missing segment');
      tm.updates.push({ segment, cell: update.cell, cells: Uint32Array.from(update.cells), madeAt: update.madeAt });
    }
    return tm;
  }

  /** Every segment id, by cell ascending and creation within a cell: the snapshot's order. */
  private segmentsInOrder(): number[] {
    const segments: number[] = [];
    for (let cell = 0; cell < this.cellCount; cell++) {
      if (this.connections.numSegments(cell) > 0) segments.push(...this.connections.segmentsForCell(cell));
    }
    return segments;
  }
}

function writeList(out: SnapshotWriter, values: readonly number[]): void {
  out.u32(values.length);
  out.u16Array(Uint16Array.from(values));
}

/** A cell set, ascending, so that equal states write equal bytes. */
function writeCells(out: SnapshotWriter, cells: CellSet): void {
  writeList(out, Array.from(cells.view()).sort((a, b) => a - b));
}

function readList(input: SnapshotReader, limit: number): number[] {
  const values = Array.from(input.u16Array(input.u32()));
  for (const value of values) if (value >= limit) throw new Error('snapshot: backtracking TM index out of range');
  return values;
}

function writePatterns(out: SnapshotWriter, patterns: readonly Uint16Array[]): void {
  out.u32(patterns.length);
  for (const pattern of patterns) writeList(out, Array.from(pattern));
}

function readPatterns(input: SnapshotReader, columnCount: number): Uint16Array[] {
  const count = input.u32();
  const patterns: Uint16Array[] = [];
  for (let k = 0; k < count; k++) patterns.push(Uint16Array.from(readList(input, columnCount)));
  return patterns;
}
