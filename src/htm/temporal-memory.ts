import { MT19937, MT19937_STATE_BYTES } from '../random/mt19937';
import { checkActiveColumns } from './active-columns';
import { Connections } from './connections';
import { type TemporalMemoryParams, toPermanenceUnits } from './params';
import { sortSegmentsByCell } from './segment-activity';
import type { SnapshotReader, SnapshotWriter } from './snapshot';

/** Every per-segment array starts this long and grows together (ensureSegmentCapacity). */
const INITIAL_SEGMENT_CAPACITY = 1024;
/** 40 active columns × 32 cells, NAB's most. */
const INITIAL_CELL_LIST_CAPACITY = 1280;

/**
 * The BAMI Temporal Memory as nupic.core (NAB's `numentaTM`) runs it:
 *
 * 1. Raw anomaly: the share of active columns that held no cell with an active segment
 *    after the previous step.
 * 2. activateCells: one ascending walk over the active columns merged with the previous
 *    step's active and matching segments (ordered by cell, then creation):
 *    - a column with active segments: their cells become active and winners; when learning
 *      each active segment is reinforced and grows synapses up to maxNewSynapseCount;
 *    - an active column without: every cell bursts; the winner is the cell of the best
 *      matching segment (most active potential synapses, first on ties) or else a least-used
 *      cell (fewest segments, random tie-break); when learning the best matching segment is
 *      reinforced and grows, or a new segment is created on the winner and grows
 *      min(maxNewSynapseCount, previous winners) synapses;
 *    - an inactive column with matching segments: when learning, those segments lose
 *      predictedSegmentDecrement on synapses from previously active cells.
 * 3. activateDendrites: count each segment's active connected and active potential synapses;
 *    active ≥ activationThreshold, matching ≥ minThreshold. When learning, active segments
 *    are stamped with the iteration (for least-recently-used eviction) and it advances.
 *
 * At maxSegmentsPerCell the cell's least recently used segment is destroyed to make room
 * (nupic's rule; htm.core instead drops the one with the smallest Σ permanence²). When a
 * segment would exceed maxSynapsesPerSegment, its weakest synapses not from previous winner
 * cells are destroyed first (the first in order on ties).
 */
export class TemporalMemory {
  readonly columnCount: number;
  readonly cellsPerColumn: number;
  readonly cellCount: number;
  readonly connections: Connections;

  private readonly rng: MT19937;
  private iteration = 0;
  private readonly initialUnits: number;
  private readonly connectedUnits: number;
  private readonly incrementUnits: number;
  private readonly decrementUnits: number;
  private readonly punishUnits: number;

  private activeCells: Uint32Array;
  private activeCellCount = 0;
  private previousActiveCells: Uint32Array;
  private winnerCells: Uint32Array;
  private winnerCellCount = 0;
  private previousWinnerCells: Uint32Array;
  private previousWinnerCellCount = 0;
  /** 1 for the previous step's active cells while activateCells runs, otherwise all 0. */
  private readonly previouslyActive: Uint8Array;

  private activeSegments = new Uint32Array(INITIAL_SEGMENT_CAPACITY);
  /** The column of each active segment, fixed when the list is built (ids may be reused later). */
  private activeSegmentColumns = new Uint32Array(INITIAL_SEGMENT_CAPACITY);
  private activeSegmentCount = 0;
  private matchingSegments = new Uint32Array(INITIAL_SEGMENT_CAPACITY);
  private matchingSegmentColumns = new Uint32Array(INITIAL_SEGMENT_CAPACITY);
  private matchingSegmentCount = 0;
  /** Per-segment activity of the last activateDendrites, non-zero only for `touched` segments. */
  private potentialCounts = new Uint16Array(INITIAL_SEGMENT_CAPACITY);
  private connectedCounts = new Uint16Array(INITIAL_SEGMENT_CAPACITY);
  private touched = new Uint32Array(INITIAL_SEGMENT_CAPACITY);
  private touchedCount = 0;
  private sortKeys = new Float64Array(INITIAL_SEGMENT_CAPACITY);
  /** Scratch for growSynapses. */
  private candidates: Uint32Array;

  private constructor(
    readonly params: TemporalMemoryParams,
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
    this.punishUnits = toPermanenceUnits(params.predictedSegmentDecrement);
    // Cell lists hold at most (active columns × cellsPerColumn) cells; they start small and
    // grow on demand (ensureCellListCapacity) rather than taking 1.3 MB per model up front.
    const initialCells = Math.min(this.cellCount, INITIAL_CELL_LIST_CAPACITY);
    this.activeCells = new Uint32Array(initialCells);
    this.previousActiveCells = new Uint32Array(initialCells);
    this.winnerCells = new Uint32Array(initialCells);
    this.previousWinnerCells = new Uint32Array(initialCells);
    this.candidates = new Uint32Array(initialCells);
    this.previouslyActive = new Uint8Array(this.cellCount);
  }

  static create(params: TemporalMemoryParams, columnCount: number): TemporalMemory {
    return new TemporalMemory(params, columnCount, new MT19937(params.seed));
  }

  /** Learning iterations so far (nupic's `iteration`, the clock of segment recency). */
  get iterations(): number {
    return this.iteration;
  }

  /**
   * One step on the active columns (ascending, distinct). Returns the raw anomaly score,
   * computed from the predictions made on the previous step before anything changes.
   */
  compute(activeColumns: ArrayLike<number>, learn = true): number {
    checkActiveColumns(activeColumns, this.columnCount);
    this.ensureCellListCapacity(activeColumns.length * this.cellsPerColumn);
    const rawAnomaly = this.rawAnomaly(activeColumns);
    this.activateCells(activeColumns, learn);
    this.activateDendrites(learn);
    return rawAnomaly;
  }

  /** Forgets the current sequence context (nupic's reset): no active, winner or predicted cells. */
  reset(): void {
    this.activeCellCount = 0;
    this.winnerCellCount = 0;
    this.activeSegmentCount = 0;
    this.matchingSegmentCount = 0;
  }

  getActiveCells(): number[] {
    return Array.from(this.activeCells.subarray(0, this.activeCellCount));
  }

  /** The winner cells without copying; valid until the next compute. */
  winnerCellsView(): Uint32Array {
    return this.winnerCells.subarray(0, this.winnerCellCount);
  }

  getWinnerCells(): number[] {
    return Array.from(this.winnerCells.subarray(0, this.winnerCellCount));
  }

  /** Cells with an active segment: the cells predicted to become active next, ascending. */
  getPredictiveCells(): number[] {
    const cells: number[] = [];
    this.forEachPredictiveCell((cell) => cells.push(cell));
    return cells;
  }

  /** Calls `visit` once per predictive cell, ascending, without allocating. */
  forEachPredictiveCell(visit: (cell: number) => void): void {
    let previous = -1;
    for (let k = 0; k < this.activeSegmentCount; k++) {
      const cell = this.connections.cellForSegment(this.activeSegments[k]!);
      if (cell !== previous) visit(cell);
      previous = cell;
    }
  }

  getActiveSegments(): number[] {
    return Array.from(this.activeSegments.subarray(0, this.activeSegmentCount));
  }

  getMatchingSegments(): number[] {
    return Array.from(this.matchingSegments.subarray(0, this.matchingSegmentCount));
  }

  /** Active potential synapses of a segment at the last activateDendrites. */
  numActivePotentialSynapses(segment: number): number {
    return this.potentialCounts[segment] ?? 0;
  }

  /**
   * Creates a segment on `cell` stamped with the current iteration, first evicting the least
   * recently used segments while the cell is at maxSegmentsPerCell.
   */
  createSegment(cell: number): number {
    const connections = this.connections;
    while (connections.numSegments(cell) >= this.params.maxSegmentsPerCell) {
      connections.destroySegment(connections.leastRecentlyUsedSegment(cell));
    }
    return connections.createSegment(cell, this.iteration);
  }

  /**
   * Iteration, generator, active and winner cells, and the connections. Active and matching
   * segments with their counts are a function of those and are recomputed on read.
   */
  write(out: SnapshotWriter): void {
    out.u32(this.columnCount);
    out.f64(this.iteration);
    out.raw(this.rng.saveState());
    out.u32(this.activeCellCount);
    out.u16Array(Uint16Array.from(this.activeCells.subarray(0, this.activeCellCount)));
    out.u32(this.winnerCellCount);
    out.u16Array(Uint16Array.from(this.winnerCells.subarray(0, this.winnerCellCount)));
    this.connections.write(out);
  }

  static read(input: SnapshotReader, params: TemporalMemoryParams): TemporalMemory {
    const columnCount = input.u32();
    const iteration = input.f64();
    const rng = MT19937.fromState(input.raw(MT19937_STATE_BYTES));
    const activeCount = input.u32();
    const active = input.u16Array(activeCount);
    const winnerCount = input.u32();
    const winners = input.u16Array(winnerCount);
    const connections = Connections.read(input, columnCount * params.cellsPerColumn);
    const tm = new TemporalMemory(params, columnCount, rng, connections);
    if (activeCount > tm.cellCount || winnerCount > tm.cellCount) throw new Error('snapshot: TM cell lists too long');
    tm.iteration = iteration;
    tm.ensureCellListCapacity(Math.max(activeCount, winnerCount));
    tm.activeCells.set(active);
    tm.activeCellCount = activeCount;
    tm.winnerCells.set(winners);
    tm.winnerCellCount = winnerCount;
    tm.computeSegmentActivity();
    return tm;
  }

  private rawAnomaly(activeColumns: ArrayLike<number>): number {
    const activeCount = activeColumns.length;
    if (activeCount === 0) return 0;
    let predicted = 0;
    let segment = 0;
    for (let k = 0; k < activeCount; k++) {
      const column = activeColumns[k]!;
      while (segment < this.activeSegmentCount && this.activeSegmentColumns[segment]! < column) segment++;
      if (segment < this.activeSegmentCount && this.activeSegmentColumns[segment] === column) predicted++;
    }
    return (activeCount - predicted) / activeCount;
  }

  private activateCells(activeColumns: ArrayLike<number>, learn: boolean): void {
    const previouslyActive = this.previouslyActive;
    const previousActive = this.activeCells;
    const previousActiveCount = this.activeCellCount;
    for (let k = 0; k < previousActiveCount; k++) previouslyActive[previousActive[k]!] = 1;
    this.activeCells = this.previousActiveCells;
    this.previousActiveCells = previousActive;
    this.activeCellCount = 0;
    const previousWinners = this.winnerCells;
    this.winnerCells = this.previousWinnerCells;
    this.previousWinnerCells = previousWinners;
    this.previousWinnerCellCount = this.winnerCellCount;
    this.winnerCellCount = 0;

    const columnCount = activeColumns.length;
    const activeSegmentCount = this.activeSegmentCount;
    const matchingSegmentCount = this.matchingSegmentCount;
    const activeSegmentColumns = this.activeSegmentColumns;
    const matchingSegmentColumns = this.matchingSegmentColumns;
    let columnIndex = 0;
    let activeIndex = 0;
    let matchingIndex = 0;
    while (columnIndex < columnCount || activeIndex < activeSegmentCount || matchingIndex < matchingSegmentCount) {
      let column = columnIndex < columnCount ? activeColumns[columnIndex]! : Infinity;
      if (activeIndex < activeSegmentCount) column = Math.min(column, activeSegmentColumns[activeIndex]!);
      if (matchingIndex < matchingSegmentCount) column = Math.min(column, matchingSegmentColumns[matchingIndex]!);
      const isActive = columnIndex < columnCount && activeColumns[columnIndex] === column;
      if (isActive) columnIndex++;
      const activeFrom = activeIndex;
      while (activeIndex < activeSegmentCount && activeSegmentColumns[activeIndex] === column) activeIndex++;
      const matchingFrom = matchingIndex;
      while (matchingIndex < matchingSegmentCount && matchingSegmentColumns[matchingIndex] === column) matchingIndex++;

      if (isActive) {
        if (activeIndex > activeFrom) this.activatePredictedColumn(activeFrom, activeIndex, learn);
        else this.burstColumn(column, matchingFrom, matchingIndex, learn);
      } else if (learn && this.punishUnits > 0) {
        for (let k = matchingFrom; k < matchingIndex; k++) {
          this.connections.adaptSegment(this.matchingSegments[k]!, previouslyActive, -this.punishUnits, 0);
        }
      }
    }

    for (let k = 0; k < previousActiveCount; k++) previouslyActive[previousActive[k]!] = 0;
  }

  private activatePredictedColumn(from: number, to: number, learn: boolean): void {
    const connections = this.connections;
    let k = from;
    while (k < to) {
      const cell = connections.cellForSegment(this.activeSegments[k]!);
      this.activeCells[this.activeCellCount++] = cell;
      this.winnerCells[this.winnerCellCount++] = cell;
      // A cell may have several active segments; each learns.
      do {
        const segment = this.activeSegments[k]!;
        if (learn) this.reinforceAndGrow(segment);
        k++;
      } while (k < to && connections.cellForSegment(this.activeSegments[k]!) === cell);
    }
  }

  private burstColumn(column: number, matchingFrom: number, matchingTo: number, learn: boolean): void {
    const firstCell = column * this.cellsPerColumn;
    for (let cell = firstCell; cell < firstCell + this.cellsPerColumn; cell++) this.activeCells[this.activeCellCount++] = cell;

    let bestSegment = -1;
    let bestCount = -1;
    for (let k = matchingFrom; k < matchingTo; k++) {
      const segment = this.matchingSegments[k]!;
      const count = this.potentialCounts[segment]!;
      if (count > bestCount) {
        bestSegment = segment;
        bestCount = count;
      }
    }
    const winner = bestSegment !== -1 ? this.connections.cellForSegment(bestSegment) : this.leastUsedCell(column);
    this.winnerCells[this.winnerCellCount++] = winner;

    if (!learn) return;
    if (bestSegment !== -1) {
      this.reinforceAndGrow(bestSegment);
      return;
    }
    // Don't grow a segment that could never match.
    const growCount = Math.min(this.params.maxNewSynapseCount, this.previousWinnerCellCount);
    if (growCount > 0) this.growSynapses(this.createSegment(winner), growCount);
  }

  /** Reinforce a correctly active or best matching segment, then top it up with new synapses. */
  private reinforceAndGrow(segment: number): void {
    const survived = this.connections.adaptSegment(segment, this.previouslyActive, this.incrementUnits, this.decrementUnits);
    if (!survived) return;
    const growCount = this.params.maxNewSynapseCount - this.potentialCounts[segment]!;
    if (growCount > 0) this.growSynapses(segment, growCount);
  }

  /** The cell with the fewest segments, a random one among ties (one draw even without a tie). */
  private leastUsedCell(column: number): number {
    const connections = this.connections;
    const firstCell = column * this.cellsPerColumn;
    const endCell = firstCell + this.cellsPerColumn;
    let fewest = Infinity;
    let tied = 0;
    for (let cell = firstCell; cell < endCell; cell++) {
      const count = connections.numSegments(cell);
      if (count < fewest) {
        fewest = count;
        tied = 1;
      } else if (count === fewest) tied++;
    }
    let pick = this.rng.getUInt32(tied);
    for (let cell = firstCell; cell < endCell; cell++) {
      if (connections.numSegments(cell) !== fewest) continue;
      if (pick === 0) return cell;
      pick--;
    }
    throw new Error('unreachable: least used cell not found');
  }

  /**
   * Adds up to `desired` synapses from previous winner cells the segment does not yet hear,
   * chosen at random, first making room by destroying its weakest synapses if needed.
   */
  private growSynapses(segment: number, desired: number): void {
    const connections = this.connections;
    const candidates = this.candidates;
    let candidateCount = this.previousWinnerCellCount;
    candidates.set(this.previousWinnerCells.subarray(0, candidateCount));
    const existing = connections.numSynapses(segment);
    for (let position = 0; position < existing; position++) {
      const cell = connections.presynapticCell(connections.synapseAt(segment, position));
      const at = binarySearch(candidates, candidateCount, cell);
      if (at === -1) continue;
      candidates.copyWithin(at, at + 1, candidateCount);
      candidateCount--;
    }
    const actual = Math.min(desired, candidateCount);
    const maxSynapses = this.params.maxSynapsesPerSegment;
    const overrun = existing + actual - maxSynapses;
    if (overrun > 0) this.destroyWeakestSynapses(segment, overrun);
    const room = Math.max(0, maxSynapses - connections.numSynapses(segment));
    const toCreate = Math.min(actual, room);
    for (let k = 0; k < toCreate; k++) {
      const at = this.rng.getUInt32(candidateCount);
      connections.createSynapse(segment, candidates[at]!, this.initialUnits);
      candidates.copyWithin(at, at + 1, candidateCount);
      candidateCount--;
    }
  }

  /** Destroys up to `count` of the segment's lowest-permanence synapses not from previous winners. */
  private destroyWeakestSynapses(segment: number, count: number): void {
    const connections = this.connections;
    const eligible: number[] = [];
    for (let position = 0; position < connections.numSynapses(segment); position++) {
      const synapse = connections.synapseAt(segment, position);
      const cell = connections.presynapticCell(synapse);
      if (binarySearch(this.previousWinnerCells, this.previousWinnerCellCount, cell) === -1) eligible.push(synapse);
    }
    for (let destroyed = 0; destroyed < count && eligible.length > 0; destroyed++) {
      let weakest = 0;
      for (let k = 1; k < eligible.length; k++) {
        if (connections.permanence(eligible[k]!) < connections.permanence(eligible[weakest]!)) weakest = k;
      }
      const synapse = eligible[weakest]!;
      eligible.splice(weakest, 1);
      for (let position = 0; ; position++) {
        if (connections.synapseAt(segment, position) === synapse) {
          connections.destroySynapseAt(segment, position);
          break;
        }
      }
    }
  }

  private activateDendrites(learn: boolean): void {
    this.computeSegmentActivity();
    if (!learn) return;
    for (let k = 0; k < this.activeSegmentCount; k++) this.connections.setLastUsed(this.activeSegments[k]!, this.iteration);
    this.iteration++;
  }

  /** Counts segment activity from the active cells and rebuilds the sorted active and matching lists. */
  private computeSegmentActivity(): void {
    const potential = this.potentialCounts;
    const connected = this.connectedCounts;
    for (let k = 0; k < this.touchedCount; k++) {
      const segment = this.touched[k]!;
      potential[segment] = 0;
      connected[segment] = 0;
    }
    this.ensureSegmentCapacity(this.connections.segmentIdLimit);
    this.touchedCount = this.connections.computeActivity(
      this.activeCells,
      this.activeCellCount,
      this.connectedUnits,
      this.potentialCounts,
      this.connectedCounts,
      this.touched,
    );

    const activationThreshold = this.params.activationThreshold;
    const minThreshold = this.params.minThreshold;
    let activeCount = 0;
    let matchingCount = 0;
    for (let k = 0; k < this.touchedCount; k++) {
      const segment = this.touched[k]!;
      if (this.connectedCounts[segment]! >= activationThreshold) this.activeSegments[activeCount++] = segment;
      if (this.potentialCounts[segment]! >= minThreshold) this.matchingSegments[matchingCount++] = segment;
    }
    this.activeSegmentCount = activeCount;
    this.matchingSegmentCount = matchingCount;
    sortSegmentsByCell(this.connections, this.activeSegments, activeCount, this.sortKeys);
    sortSegmentsByCell(this.connections, this.matchingSegments, matchingCount, this.sortKeys);
    for (let k = 0; k < activeCount; k++) {
      this.activeSegmentColumns[k] = Math.floor(this.connections.cellForSegment(this.activeSegments[k]!) / this.cellsPerColumn);
    }
    for (let k = 0; k < matchingCount; k++) {
      this.matchingSegmentColumns[k] = Math.floor(this.connections.cellForSegment(this.matchingSegments[k]!) / this.cellsPerColumn);
    }
  }

  private ensureCellListCapacity(needed: number): void {
    if (needed <= this.activeCells.length) return;
    const grow = (from: Uint32Array): Uint32Array => {
      const to = new Uint32Array(needed);
      to.set(from);
      return to;
    };
    this.activeCells = grow(this.activeCells);
    this.previousActiveCells = grow(this.previousActiveCells);
    this.winnerCells = grow(this.winnerCells);
    this.previousWinnerCells = grow(this.previousWinnerCells);
    this.candidates = new Uint32Array(needed);
  }

  private ensureSegmentCapacity(limit: number): void {
    if (limit <= this.potentialCounts.length) return;
    let capacity = this.potentialCounts.length;
    while (capacity < limit) capacity *= 2;
    const potential = new Uint16Array(capacity);
    potential.set(this.potentialCounts);
    this.potentialCounts = potential;
    const connected = new Uint16Array(capacity);
    connected.set(this.connectedCounts);
    this.connectedCounts = connected;
    this.touched = new Uint32Array(capacity);
    this.activeSegments = new Uint32Array(capacity);
    this.activeSegmentColumns = new Uint32Array(capacity);
    this.matchingSegments = new Uint32Array(capacity);
    this.matchingSegmentColumns = new Uint32Array(capacity);
    this.sortKeys = new Float64Array(capacity);
  }
}

/** Index of `value` in the ascending first `count` items, or −1. */
function binarySearch(sorted: Uint32Array, count: number, value: number): number {
  let low = 0;
  let high = count - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const item = sorted[middle]!;
    if (item < value) low = middle + 1;
    else if (item > value) high = middle - 1;
    else return middle;
  }
  return -1;
}
