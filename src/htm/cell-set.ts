/**
 * A set of cells: a flag per cell for O(1) membership and the list of members, so clearing and
 * copying cost the members, not the cell count. The list is in insertion order until `sort`.
 */
export class CellSet {
  private readonly flags: Uint8Array;
  private members: Uint32Array;
  private size = 0;

  constructor(readonly cellCount: number) {
    this.flags = new Uint8Array(cellCount);
    this.members = new Uint32Array(Math.min(cellCount, 64));
  }

  get count(): number {
    return this.size;
  }

  /** The members without copying; valid until the set changes. */
  view(): Uint32Array {
    return this.members.subarray(0, this.size);
  }

  /** The backing list, whose first `count` entries are the members (for Connections.computeActivity). */
  get list(): Uint32Array {
    return this.members;
  }

  has(cell: number): boolean {
    return this.flags[cell] === 1;
  }

  add(cell: number): void {
    if (this.flags[cell] === 1) return;
    this.flags[cell] = 1;
    if (this.size === this.members.length) {
      const grown = new Uint32Array(Math.min(this.cellCount, this.members.length * 2));
      grown.set(this.members);
      this.members = grown;
    }
    this.members[this.size++] = cell;
  }

  clear(): void {
    for (let k = 0; k < this.size; k++) this.flags[this.members[k]!] = 0;
    this.size = 0;
  }

  copyFrom(other: CellSet): void {
    this.clear();
    const members = other.members;
    for (let k = 0; k < other.size; k++) this.add(members[k]!);
  }

  /** Puts the members in ascending order, the order every observable use of them needs. */
  sort(): void {
    this.members.subarray(0, this.size).sort();
  }
}
