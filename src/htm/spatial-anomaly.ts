import type { SnapshotReader, SnapshotWriter } from './snapshot';

/**
 * NAB's spatial anomaly check (numenta detector `handleRecord`): a value further than
 * `tolerance` × (max − min) beyond the min or max seen so far is anomalous whatever the
 * temporal model says. Nothing is flagged until two different values have been seen.
 */
export class SpatialAnomaly {
  private min: number | null = null;
  private max: number | null = null;

  constructor(readonly tolerance: number) {}

  get range(): { min: number; max: number } | null {
    return this.min === null || this.max === null ? null : { min: this.min, max: this.max };
  }

  /**
   * Whether `value` lies outside the tolerated range; then, when `widen` is set, widens the
   * seen range to include it. NaN (a missing value) is never anomalous and never widens.
   */
  check(value: number, widen: boolean): boolean {
    if (Number.isNaN(value)) return false;
    let anomalous = false;
    if (this.min !== null && this.max !== null && this.min !== this.max) {
      const slack = (this.max - this.min) * this.tolerance;
      anomalous = value > this.max + slack || value < this.min - slack;
    }
    if (widen) {
      if (this.max === null || value > this.max) this.max = value;
      if (this.min === null || value < this.min) this.min = value;
    }
    return anomalous;
  }

  write(out: SnapshotWriter): void {
    out.nullableF64(this.min);
    out.nullableF64(this.max);
  }

  static read(input: SnapshotReader, tolerance: number): SpatialAnomaly {
    const spatial = new SpatialAnomaly(tolerance);
    spatial.min = input.nullableF64();
    spatial.max = input.nullableF64();
    return spatial;
  }
}
