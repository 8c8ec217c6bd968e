import type { CellSet } from './cell-set';
import type { Connections } from './connections';

/** Segment ids stay below 2³² (at most 65,536 cells × 65,535 segments). */
const SEGMENT_ID_SPAN = 2 ** 32;

/**
 * Per-segment activity from one set of active cells, by forward propagation (each active
 * cell's outgoing synapses): the active synapses of each segment whatever their permanence
 * ("potential", nupic's activity with connectedSynapsesOnly false) and the connected ones.
 * Only segments reached are touched; counts of the others read 0.
 */
export class SegmentActivity {
  potential = new Uint16Array(1024);
  connected = new Uint16Array(1024);
  touched = new Uint32Array(1024);
  touchedCount = 0;

  /** With `connectedUnits` null only the potential counts are taken (the connected ones read 0). */
  compute(connections: Connections, cells: CellSet, connectedUnits: number | null): void {
    for (let k = 0; k < this.touchedCount; k++) {
      const segment = this.touched[k]!;
      this.potential[segment] = 0;
      this.connected[segment] = 0;
    }
    this.touchedCount = 0;
    const limit = connections.segmentIdLimit;
    if (limit > this.potential.length) {
      let capacity = this.potential.length;
      while (capacity < limit) capacity *= 2;
      this.potential = new Uint16Array(capacity);
      this.connected = new Uint16Array(capacity);
      this.touched = new Uint32Array(capacity);
    }
    this.touchedCount =
      connectedUnits === null
        ? connections.computePotentialActivity(cells.list, cells.count, this.potential, this.touched)
        : connections.computeActivity(cells.list, cells.count, connectedUnits, this.potential, this.connected, this.touched);
  }
}

/**
 * Sorts segment ids by (cell, creation order), the order nupic walks a cell's segments in. A
 * numeric sort of cell · 2³² + id (exact in a double) groups them by cell; the rare runs of
 * several segments on one cell are then put in creation order. `keys` is scratch of at least
 * `count` entries.
 */
export function sortSegmentsByCell(connections: Connections, segments: Uint32Array, count: number, keys: Float64Array): void {
  if (count < 2) return;
  for (let k = 0; k < count; k++) {
    const segment = segments[k]!;
    keys[k] = connections.cellForSegment(segment) * SEGMENT_ID_SPAN + segment;
  }
  keys.subarray(0, count).sort();
  for (let k = 0; k < count; k++) segments[k] = keys[k]! % SEGMENT_ID_SPAN;
  let runStart = 0;
  for (let k = 1; k <= count; k++) {
    if (k < count && connections.cellForSegment(segments[k]!) === connections.cellForSegment(segments[runStart]!)) continue;
    for (let i = runStart + 1; i < k; i++) {
      const segment = segments[i]!;
      let j = i - 1;
      while (j >= runStart && connections.compareSegments(segments[j]!, segment) > 0) {
        segments[j + 1] = segments[j]!;
        j--;
      }
      segments[j + 1] = segment;
    }
    runStart = k;
  }
}
