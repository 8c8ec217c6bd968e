/**
 * Whether the board has read the history of the topics it reads from the beginning: each
 * partition up to the end it had when the board started. Until then its numbers are partial,
 * and the page says so.
 */
export class HistoryProgress {
  /** `topic/partition` → the offset of the partition's last record at start. */
  private readonly pending = new Map<string, number>();

  /** A partition's offsets at start: there is history to read when it holds records. */
  expect(topic: string, partition: number, low: number, high: number): void {
    if (high > low) this.pending.set(`${topic}/${partition}`, high - 1);
  }

  /** A record was read. */
  saw(topic: string, partition: number, offset: number): void {
    const key = `${topic}/${partition}`;
    const last = this.pending.get(key);
    if (last !== undefined && offset >= last) this.pending.delete(key);
  }

  get done(): boolean {
    return this.pending.size === 0;
  }
}
