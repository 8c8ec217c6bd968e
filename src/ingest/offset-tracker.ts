/**
 * The offsets of one partition that the ingest has taken but not yet committed. An offset is
 * committable once it and every offset before it is done (signalled to its workflow, or
 * dead-lettered), so a crash never commits past a reading that Temporal has not acknowledged.
 */
export class OffsetTracker {
  private readonly offsets: number[] = [];
  private head = 0;
  private readonly done = new Set<number>();
  private nextExpected: number | undefined;

  /** Registers an offset in fetch order; false for an offset this tracker has already taken. */
  accept(offset: number): boolean {
    if (this.nextExpected !== undefined && offset < this.nextExpected) return false;
    this.offsets.push(offset);
    this.nextExpected = offset + 1;
    return true;
  }

  complete(offset: number): void {
    this.done.add(offset);
  }

  /** The offset to commit (last done + 1, Kafka's convention), or undefined if nothing new is done. */
  takeCommittable(): number | undefined {
    let last: number | undefined;
    while (this.head < this.offsets.length) {
      const offset = this.offsets[this.head] as number;
      if (!this.done.delete(offset)) break;
      last = offset;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets.splice(0, this.head);
      this.head = 0;
    }
    return last === undefined ? undefined : last + 1;
  }

  /** Offsets taken and not yet committable: what backpressure counts. */
  get outstanding(): number {
    return this.offsets.length - this.head;
  }
}
