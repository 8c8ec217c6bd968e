/**
 * The newest `capacity` points of one field, oldest first out, in two typed arrays: a device
 * page's series costs 16 bytes a point however many devices the board holds.
 */
export class BoundedSeries {
  private readonly ts: Float64Array;
  private readonly values: Float64Array;
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  push(ts: number, value: number): void {
    const at = (this.start + this.length) % this.capacity;
    this.ts[at] = ts;
    this.values[at] = value;
    if (this.length < this.capacity) this.length += 1;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** The points, oldest first, as [ts, value]. */
  points(): Array<[number, number]> {
    return Array.from({ length: this.length }, (_, i) => {
      const at = (this.start + i) % this.capacity;
      return [this.ts[at] as number, this.values[at] as number];
    });
  }
}
