/**
 * Many growable lists of 32-bit values in one flat Uint32Array, so that neither segments nor
 * cells need an object of their own. Each list owns a block (start, capacity); a full block
 * is moved to the end of the arena with twice the room, and the space it left behind is
 * reclaimed by compacting once it reaches half the live blocks.
 *
 * Positions inside a list are stable across moves and compaction (blocks are copied whole).
 */
export class ListArena {
  private values: Uint32Array;
  private starts: Uint32Array;
  private lengths: Uint32Array;
  private capacities: Uint32Array;
  private listCount: number;
  /** Arena slots handed out so far (the end of the last block). */
  private used = 0;
  /** Slots owned by live blocks; used − reserved is reclaimable. */
  private reserved = 0;

  constructor(
    listCount: number,
    private readonly firstBlockSize: number,
    initialCapacity = 1024,
  ) {
    this.listCount = listCount;
    this.values = new Uint32Array(Math.max(initialCapacity, firstBlockSize));
    this.starts = new Uint32Array(listCount);
    this.lengths = new Uint32Array(listCount);
    this.capacities = new Uint32Array(listCount);
  }

  /** The backing array; valid until the next push (which may move it). */
  get data(): Uint32Array {
    return this.values;
  }

  start(list: number): number {
    return this.starts[list]!;
  }

  length(list: number): number {
    return this.lengths[list]!;
  }

  get(list: number, position: number): number {
    return this.values[this.starts[list]! + position]!;
  }

  set(list: number, position: number, value: number): void {
    this.values[this.starts[list]! + position] = value;
  }

  /** Makes room for lists 0..count−1 (new lists start empty). */
  ensureLists(count: number): void {
    if (count <= this.listCount) return;
    let capacity = Math.max(this.starts.length, 16);
    while (capacity < count) capacity *= 2;
    if (capacity > this.starts.length) {
      this.starts = grown(this.starts, capacity);
      this.lengths = grown(this.lengths, capacity);
      this.capacities = grown(this.capacities, capacity);
    }
    this.listCount = count;
  }

  /** Appends a value; returns its position in the list. */
  push(list: number, value: number): number {
    const length = this.lengths[list]!;
    if (length === this.capacities[list]!) this.moveToLargerBlock(list, length === 0 ? this.firstBlockSize : length * 2);
    this.values[this.starts[list]! + length] = value;
    this.lengths[list] = length + 1;
    return length;
  }

  /** Removes the value at `position`, shifting later values down (order is kept). */
  removeOrdered(list: number, position: number): void {
    const start = this.starts[list]!;
    const length = this.lengths[list]!;
    this.values.copyWithin(start + position, start + position + 1, start + length);
    this.lengths[list] = length - 1;
  }

  /**
   * Removes the value at `position` by moving the last value into it (order is not kept).
   * Returns the moved value, or −1 when the removed value was the last.
   */
  swapRemove(list: number, position: number): number {
    const start = this.starts[list]!;
    const last = this.lengths[list]! - 1;
    this.lengths[list] = last;
    if (position === last) return -1;
    const moved = this.values[start + last]!;
    this.values[start + position] = moved;
    return moved;
  }

  /** Empties a list but keeps its block for reuse. */
  clear(list: number): void {
    this.lengths[list] = 0;
  }

  /** Total slots in the arena (for memory reports). */
  get capacity(): number {
    return this.values.length;
  }

  private moveToLargerBlock(list: number, capacity: number): void {
    if (this.used + capacity > this.values.length) {
      // Compact once the abandoned blocks reach half the live ones: amortised O(1) per slot moved.
      if (2 * (this.used - this.reserved) >= this.reserved) this.compact();
      if (this.used + capacity > this.values.length) {
        let size = this.values.length * 2;
        while (size < this.used + capacity) size *= 2;
        this.values = grown(this.values, size);
      }
    }
    const oldStart = this.starts[list]!;
    const oldCapacity = this.capacities[list]!;
    this.values.copyWithin(this.used, oldStart, oldStart + this.lengths[list]!);
    this.starts[list] = this.used;
    this.capacities[list] = capacity;
    this.used += capacity;
    this.reserved += capacity - oldCapacity;
  }

  /** Packs the live blocks, in list order, to the front of a fresh array. */
  private compact(): void {
    const packed = new Uint32Array(this.values.length);
    let at = 0;
    for (let list = 0; list < this.listCount; list++) {
      const capacity = this.capacities[list]!;
      if (capacity === 0) continue;
      const start = this.starts[list]!;
      packed.set(this.values.subarray(start, start + this.lengths[list]!), at);
      this.starts[list] = at;
      at += capacity;
    }
    this.values = packed;
    this.used = at;
  }
}

function grown(array: Uint32Array, capacity: number): Uint32Array {
  const larger = new Uint32Array(capacity);
  larger.set(array);
  return larger;
}
