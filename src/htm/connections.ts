import { ListArena } from './list-arena';
import { PERMANENCE_SCALE } from './params';
import type { SnapshotReader, SnapshotWriter } from './snapshot';

// Imported bindings compile to property reads through getters; hot loops use a local copy.
const MAX_PERMANENCE = PERMANENCE_SCALE;

/**
 * The Temporal Memory's dendrite segments and synapses, in flat typed arrays (nupic.core's
 * and htm.core's `Connections`, same semantics):
 *
 * - A cell's segments are kept in creation order (a singly linked list through the segment
 *   ids); a segment's synapses too (a list in a ListArena, order-preserving removal). Both
 *   orders decide tie-breaks, so they are part of the model.
 * - Each cell has the list of synapses it is presynaptic to, so counting dendrite activity
 *   walks only the active cells' fan-out. Those lists are unordered (activity is a sum).
 * - Destroyed segment and synapse ids go on free lists and are reused, last freed first.
 * - Segments are ordered by (cell, creation ordinal), never by id, so ids are not
 *   observable: snapshots are written canonically (cells ascending, each cell's segments and
 *   each segment's synapses in order) without ids or free lists, and two models that
 *   behave the same serialise to the same bytes whatever their id history.
 *
 * Permanences are integer units of 1e-4 (see params.ts). Cells fit 16 bits (≤ 65,536).
 */
export class Connections {
  readonly cellCount: number;

  private readonly cellFirstSegment: Int32Array;
  private readonly cellLastSegment: Int32Array;
  private readonly cellSegmentCount: Uint16Array;

  private segmentIds = 0;
  private liveSegmentCount = 0;
  private nextOrdinal = 0;
  private segmentCell: Uint16Array = new Uint16Array(0);
  private segmentNext: Int32Array = new Int32Array(0);
  private segmentOrdinal: Float64Array = new Float64Array(0);
  private segmentLastUsed: Float64Array = new Float64Array(0);
  private segmentAlive: Uint8Array = new Uint8Array(0);
  private freeSegments: Int32Array = new Int32Array(0);
  private freeSegmentCount = 0;
  private readonly segmentSynapses: ListArena;

  private synapseIds = 0;
  private liveSynapseCount = 0;
  private synapsePresynaptic: Uint16Array = new Uint16Array(0);
  private synapsePermanence: Uint16Array = new Uint16Array(0);
  private synapseSegment: Uint32Array = new Uint32Array(0);
  /** Where each synapse sits in its presynaptic cell's list, for O(1) removal. */
  private synapseFanOutPosition: Uint32Array = new Uint32Array(0);
  private freeSynapses: Int32Array = new Int32Array(0);
  private freeSynapseCount = 0;
  private readonly fanOut: ListArena;

  constructor(cellCount: number) {
    if (!Number.isInteger(cellCount) || cellCount < 1 || cellCount > 65536) throw new RangeError(`cell count ${cellCount} must be 1..65536`);
    this.cellCount = cellCount;
    this.cellFirstSegment = new Int32Array(cellCount).fill(-1);
    this.cellLastSegment = new Int32Array(cellCount).fill(-1);
    this.cellSegmentCount = new Uint16Array(cellCount);
    this.segmentSynapses = new ListArena(0, 32, 1 << 16);
    this.fanOut = new ListArena(cellCount, 8, 1 << 16);
    this.growSegments(1024);
    this.growSynapses(1 << 15);
  }

  /** One more than the largest segment id in use: the size an array indexed by segment needs. */
  get segmentIdLimit(): number {
    return this.segmentIds;
  }

  get segmentCount(): number {
    return this.liveSegmentCount;
  }

  get synapseCount(): number {
    return this.liveSynapseCount;
  }

  numSegments(cell: number): number {
    return this.cellSegmentCount[cell]!;
  }

  numSynapses(segment: number): number {
    return this.segmentSynapses.length(segment);
  }

  cellForSegment(segment: number): number {
    return this.segmentCell[segment]!;
  }

  isAlive(segment: number): boolean {
    return this.segmentAlive[segment] === 1;
  }

  lastUsed(segment: number): number {
    return this.segmentLastUsed[segment]!;
  }

  setLastUsed(segment: number, iteration: number): void {
    this.segmentLastUsed[segment] = iteration;
  }

  presynapticCell(synapse: number): number {
    return this.synapsePresynaptic[synapse]!;
  }

  /** Permanence in units of 1e-4. */
  permanence(synapse: number): number {
    return this.synapsePermanence[synapse]!;
  }

  /** Sets a synapse's permanence (units of 1e-4, 1..10000); removal at 0 is the caller's (destroySynapseAt). */
  setPermanence(synapse: number, units: number): void {
    this.synapsePermanence[synapse] = units;
  }

  /** The cell's segments in creation order. */
  segmentsForCell(cell: number): number[] {
    const segments: number[] = [];
    for (let segment = this.cellFirstSegment[cell]!; segment !== -1; segment = this.segmentNext[segment]!) segments.push(segment);
    return segments;
  }

  /** The synapse at `position` (creation order) of the segment's list. */
  synapseAt(segment: number, position: number): number {
    return this.segmentSynapses.get(segment, position);
  }

  /** The segment's synapses in creation order. */
  synapsesForSegment(segment: number): number[] {
    const synapses: number[] = [];
    const count = this.segmentSynapses.length(segment);
    for (let position = 0; position < count; position++) synapses.push(this.segmentSynapses.get(segment, position));
    return synapses;
  }

  /** nupic's segment order: by cell, then by creation. */
  compareSegments(a: number, b: number): number {
    return this.segmentCell[a]! - this.segmentCell[b]! || this.segmentOrdinal[a]! - this.segmentOrdinal[b]!;
  }

  /** The cell's first segment with the smallest lastUsed (the least recently used). */
  leastRecentlyUsedSegment(cell: number): number {
    let best = -1;
    let bestLastUsed = Infinity;
    for (let segment = this.cellFirstSegment[cell]!; segment !== -1; segment = this.segmentNext[segment]!) {
      if (this.segmentLastUsed[segment]! < bestLastUsed) {
        best = segment;
        bestLastUsed = this.segmentLastUsed[segment]!;
      }
    }
    return best;
  }

  createSegment(cell: number, lastUsed: number): number {
    if (!(cell >= 0 && cell < this.cellCount)) throw new RangeError(`cell ${cell} out of range`);
    let segment: number;
    if (this.freeSegmentCount > 0) segment = this.freeSegments[--this.freeSegmentCount]!;
    else {
      if (this.segmentIds === this.segmentCell.length) this.growSegments(this.segmentIds * 2);
      segment = this.segmentIds++;
      this.segmentSynapses.ensureLists(this.segmentIds);
    }
    this.segmentCell[segment] = cell;
    this.segmentNext[segment] = -1;
    this.segmentOrdinal[segment] = this.nextOrdinal++;
    this.segmentLastUsed[segment] = lastUsed;
    this.segmentAlive[segment] = 1;
    this.segmentSynapses.clear(segment);
    const last = this.cellLastSegment[cell]!;
    if (last === -1) this.cellFirstSegment[cell] = segment;
    else this.segmentNext[last] = segment;
    this.cellLastSegment[cell] = segment;
    this.cellSegmentCount[cell]!++;
    this.liveSegmentCount++;
    return segment;
  }

  destroySegment(segment: number): void {
    if (this.segmentAlive[segment] !== 1) throw new Error(`segment ${segment} is not alive`);
    const count = this.segmentSynapses.length(segment);
    for (let position = 0; position < count; position++) this.releaseSynapse(this.segmentSynapses.get(segment, position));
    this.segmentSynapses.clear(segment);
    const cell = this.segmentCell[segment]!;
    let previous = -1;
    let current = this.cellFirstSegment[cell]!;
    while (current !== segment) {
      previous = current;
      current = this.segmentNext[current]!;
    }
    const next = this.segmentNext[segment]!;
    if (previous === -1) this.cellFirstSegment[cell] = next;
    else this.segmentNext[previous] = next;
    if (this.cellLastSegment[cell] === segment) this.cellLastSegment[cell] = previous;
    this.cellSegmentCount[cell]!--;
    this.segmentAlive[segment] = 0;
    if (this.freeSegmentCount === this.freeSegments.length) this.freeSegments = grownInt32(this.freeSegments, this.freeSegments.length * 2 + 16);
    this.freeSegments[this.freeSegmentCount++] = segment;
    this.liveSegmentCount--;
  }

  /** Appends a synapse from `presynapticCell` to the segment; `permanence` in units of 1e-4. */
  createSynapse(segment: number, presynapticCell: number, permanence: number): number {
    if (this.segmentAlive[segment] !== 1) throw new Error(`segment ${segment} is not alive`);
    if (!(presynapticCell >= 0 && presynapticCell < this.cellCount)) throw new RangeError(`cell ${presynapticCell} out of range`);
    let synapse: number;
    if (this.freeSynapseCount > 0) synapse = this.freeSynapses[--this.freeSynapseCount]!;
    else {
      if (this.synapseIds === this.synapsePresynaptic.length) this.growSynapses(this.synapseIds * 2);
      synapse = this.synapseIds++;
    }
    this.synapsePresynaptic[synapse] = presynapticCell;
    this.synapsePermanence[synapse] = permanence;
    this.synapseSegment[synapse] = segment;
    this.segmentSynapses.push(segment, synapse);
    this.synapseFanOutPosition[synapse] = this.fanOut.push(presynapticCell, synapse);
    this.liveSynapseCount++;
    return synapse;
  }

  /** Removes the synapse at `position` of the segment's list (later ones keep their order). */
  destroySynapseAt(segment: number, position: number): void {
    const synapse = this.segmentSynapses.get(segment, position);
    this.segmentSynapses.removeOrdered(segment, position);
    this.releaseSynapse(synapse);
  }

  /**
   * Counts, for every segment with a synapse from an active cell, its active potential
   * synapses and its active connected ones (permanence ≥ connected). Records each segment
   * reached for the first time in `touched` (whose counts must start at zero) and returns
   * how many there are.
   */
  computeActivity(
    activeCells: Uint32Array,
    activeCellCount: number,
    connectedPermanence: number,
    potential: Uint16Array,
    connected: Uint16Array,
    touched: Uint32Array,
  ): number {
    const fanOut = this.fanOut;
    const fanOutData = fanOut.data;
    const synapseSegment = this.synapseSegment;
    const synapsePermanence = this.synapsePermanence;
    let touchedCount = 0;
    for (let k = 0; k < activeCellCount; k++) {
      const cell = activeCells[k]!;
      const start = fanOut.start(cell);
      const end = start + fanOut.length(cell);
      for (let at = start; at < end; at++) {
        const synapse = fanOutData[at]!;
        const segment = synapseSegment[synapse]!;
        if (potential[segment]!++ === 0) touched[touchedCount++] = segment;
        if (synapsePermanence[synapse]! >= connectedPermanence) connected[segment]!++;
      }
    }
    return touchedCount;
  }

  /** computeActivity without the connected counts (one memory access less per synapse). */
  computePotentialActivity(activeCells: Uint32Array, activeCellCount: number, potential: Uint16Array, touched: Uint32Array): number {
    const fanOut = this.fanOut;
    const fanOutData = fanOut.data;
    const synapseSegment = this.synapseSegment;
    let touchedCount = 0;
    for (let k = 0; k < activeCellCount; k++) {
      const cell = activeCells[k]!;
      const start = fanOut.start(cell);
      const end = start + fanOut.length(cell);
      for (let at = start; at < end; at++) {
        const segment = synapseSegment[fanOutData[at]!]!;
        if (potential[segment]!++ === 0) touched[touchedCount++] = segment;
      }
    }
    return touchedCount;
  }

  /**
   * Adds `increment` to synapses from cells marked in `previouslyActive` and subtracts
   * `decrement` from the others, clipping to [0, 1]; synapses reaching 0 are destroyed, and
   * the segment too if none remain (nupic). Returns whether the segment still exists.
   */
  adaptSegment(segment: number, previouslyActive: Uint8Array, increment: number, decrement: number): boolean {
    const list = this.segmentSynapses;
    // Removing a synapse shifts the list in place: the array and the start stay valid.
    const synapses = list.data;
    const start = list.start(segment);
    let length = list.length(segment);
    const permanences = this.synapsePermanence;
    const presynaptic = this.synapsePresynaptic;
    const swing = increment + decrement;
    let position = 0;
    while (position < length) {
      const synapse = synapses[start + position]!;
      // Branch-free: previouslyActive holds 0 or 1.
      let permanence = permanences[synapse]! - decrement + swing * previouslyActive[presynaptic[synapse]!]!;
      if (permanence > MAX_PERMANENCE) permanence = MAX_PERMANENCE;
      if (permanence <= 0) {
        this.destroySynapseAt(segment, position);
        length--;
        continue;
      }
      permanences[synapse] = permanence;
      position++;
    }
    if (length > 0) return true;
    this.destroySegment(segment);
    return false;
  }

  /** Arena and array footprint in bytes (approximate; for reports). */
  get approximateBytes(): number {
    const perSegment = 2 + 4 + 8 + 8 + 1 + 12;
    const perSynapse = 2 + 2 + 4 + 4 + 4;
    return (
      this.segmentCell.length * perSegment +
      this.synapsePresynaptic.length * perSynapse +
      (this.segmentSynapses.capacity + this.fanOut.capacity) * 4 +
      this.cellCount * 10
    );
  }

  write(out: SnapshotWriter): void {
    const cells: number[] = [];
    const segmentsPerCell: number[] = [];
    for (let cell = 0; cell < this.cellCount; cell++) {
      const count = this.cellSegmentCount[cell]!;
      if (count === 0) continue;
      cells.push(cell);
      segmentsPerCell.push(count);
    }
    const lastUsed = new Float64Array(this.liveSegmentCount);
    const synapsesPerSegment = new Uint16Array(this.liveSegmentCount);
    const presynaptic = new Uint16Array(this.liveSynapseCount);
    const permanence = new Uint16Array(this.liveSynapseCount);
    let segmentIndex = 0;
    let synapseIndex = 0;
    for (const cell of cells) {
      for (let segment = this.cellFirstSegment[cell]!; segment !== -1; segment = this.segmentNext[segment]!) {
        lastUsed[segmentIndex] = this.segmentLastUsed[segment]!;
        const count = this.segmentSynapses.length(segment);
        synapsesPerSegment[segmentIndex++] = count;
        for (let position = 0; position < count; position++) {
          const synapse = this.segmentSynapses.get(segment, position);
          presynaptic[synapseIndex] = this.synapsePresynaptic[synapse]!;
          permanence[synapseIndex++] = this.synapsePermanence[synapse]!;
        }
      }
    }
    out.u32(cells.length);
    out.u32(this.liveSegmentCount);
    out.u32(this.liveSynapseCount);
    out.u16Array(Uint16Array.from(cells));
    out.u16Array(Uint16Array.from(segmentsPerCell));
    out.f64Array(lastUsed);
    out.u16Array(synapsesPerSegment);
    out.u16Array(presynaptic);
    out.u16Array(permanence);
  }

  static read(input: SnapshotReader, cellCount: number): Connections {
    const connections = new Connections(cellCount);
    const cellTotal = input.u32();
    const segmentTotal = input.u32();
    const synapseTotal = input.u32();
    const cells = input.u16Array(cellTotal);
    const segmentsPerCell = input.u16Array(cellTotal);
    const lastUsed = input.f64Array(segmentTotal);
    const synapsesPerSegment = input.u16Array(segmentTotal);
    const presynaptic = input.u16Array(synapseTotal);
    const permanence = input.u16Array(synapseTotal);
    connections.growSegments(Math.max(1024, segmentTotal));
    connections.growSynapses(Math.max(1 << 15, synapseTotal));
    let segmentIndex = 0;
    let synapseIndex = 0;
    for (let k = 0; k < cellTotal; k++) {
      const cell = cells[k]!;
      if (cell >= cellCount || (k > 0 && cell <= cells[k - 1]!)) throw new Error('snapshot: TM cells out of order');
      for (let s = 0; s < segmentsPerCell[k]!; s++) {
        if (segmentIndex >= segmentTotal) throw new Error('snapshot: TM segment count mismatch');
        const segment = connections.createSegment(cell, lastUsed[segmentIndex]!);
        const count = synapsesPerSegment[segmentIndex++]!;
        if (count === 0 || synapseIndex + count > synapseTotal) throw new Error('snapshot: TM synapse count mismatch');
        for (let position = 0; position < count; position++) {
          const cellFrom = presynaptic[synapseIndex]!;
          const units = permanence[synapseIndex++]!;
          if (cellFrom >= cellCount || units === 0 || units > MAX_PERMANENCE) throw new Error('snapshot: TM synapse out of range');
          connections.createSynapse(segment, cellFrom, units);
        }
      }
    }
    if (segmentIndex !== segmentTotal || synapseIndex !== synapseTotal) throw new Error('snapshot: TM connection counts mismatch');
    return connections;
  }

  private releaseSynapse(synapse: number): void {
    const cell = this.synapsePresynaptic[synapse]!;
    const position = this.synapseFanOutPosition[synapse]!;
    const moved = this.fanOut.swapRemove(cell, position);
    if (moved !== -1) this.synapseFanOutPosition[moved] = position;
    if (this.freeSynapseCount === this.freeSynapses.length) this.freeSynapses = grownInt32(this.freeSynapses, this.freeSynapses.length * 2 + 64);
    this.freeSynapses[this.freeSynapseCount++] = synapse;
    this.liveSynapseCount--;
  }

  private growSegments(capacity: number): void {
    if (capacity <= this.segmentCell.length) return;
    this.segmentCell = grownCopy(this.segmentCell, new Uint16Array(capacity));
    this.segmentNext = grownCopy(this.segmentNext, new Int32Array(capacity));
    this.segmentOrdinal = grownCopy(this.segmentOrdinal, new Float64Array(capacity));
    this.segmentLastUsed = grownCopy(this.segmentLastUsed, new Float64Array(capacity));
    this.segmentAlive = grownCopy(this.segmentAlive, new Uint8Array(capacity));
  }

  private growSynapses(capacity: number): void {
    if (capacity <= this.synapsePresynaptic.length) return;
    this.synapsePresynaptic = grownCopy(this.synapsePresynaptic, new Uint16Array(capacity));
    this.synapsePermanence = grownCopy(this.synapsePermanence, new Uint16Array(capacity));
    this.synapseSegment = grownCopy(this.synapseSegment, new Uint32Array(capacity));
    this.synapseFanOutPosition = grownCopy(this.synapseFanOutPosition, new Uint32Array(capacity));
  }
}

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

function grownCopy<T extends TypedArray>(from: T, to: T): T {
  to.set(from as ArrayLike<number>);
  return to;
}

function grownInt32(from: Int32Array, capacity: number): Int32Array {
  const to = new Int32Array(capacity);
  to.set(from);
  return to;
}
