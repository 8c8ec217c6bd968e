/**
 * A device's anomalous readings over its last minute of event time: the sensor system's anomaly report
 * (count of anomalous readings and their max per device over a 1-minute window sliding by a
 * second). Kept in one-second buckets, so its size is bounded at any rate: at most 61 buckets.
 *
 * The minute is the one ending at the device's newest reading (`ref`), in whole seconds, as the
 * device's own last-minute report counts it (src/device/windows.ts): a second belongs to it when
 * it ends after `ref − 60 s`.
 */
export const MINUTE_MS = 60_000;
const BUCKET_MS = 1000;
/** Steps of one reading (two detectors, two fields) count once: the last sources counted are remembered. */
const SOURCES_REMEMBERED = 8;

interface Bucket {
  second: number;
  readings: number;
  /** The highest anomalous value per field in this second. */
  max: Map<string, number>;
}

export interface MinuteReport {
  count: number;
  max: number | null;
  field: string | null;
}

const secondOf = (ts: number) => Math.floor(ts / BUCKET_MS) * BUCKET_MS;
const inMinute = (second: number, ref: number) => second + BUCKET_MS > ref - MINUTE_MS;

export class AnomalousMinute {
  /** Ascending by second. */
  private buckets: Bucket[] = [];
  private readonly counted: string[] = [];
  /** The latest anomalous reading: its event time and field. */
  private latest: { ts: number; field: string } | undefined;

  /**
   * One anomalous reading's step (raised or updated) of `field` at event time `ts`, caused by the
   * reading `source`; `ref` is the device's newest reading time, already including `ts`.
   */
  add(step: { ts: number; field: string; value: number; source: string }, ref: number): void {
    this.prune(ref);
    const second = secondOf(step.ts);
    if (!inMinute(second, ref)) return;
    let bucket = this.buckets.find((b) => b.second === second);
    if (!bucket) {
      bucket = { second, readings: 0, max: new Map() };
      this.buckets.push(bucket);
      this.buckets.sort((a, b) => a.second - b.second);
    }
    if (!this.counted.includes(step.source)) {
      bucket.readings += 1;
      this.counted.push(step.source);
      if (this.counted.length > SOURCES_REMEMBERED) this.counted.shift();
    }
    bucket.max.set(step.field, Math.max(bucket.max.get(step.field) ?? -Infinity, step.value));
    if (!this.latest || step.ts >= this.latest.ts) this.latest = { ts: step.ts, field: step.field };
  }

  /** Count and max over the minute ending at `ref`. */
  report(ref: number | null): MinuteReport {
    const kept = ref === null ? [] : this.buckets.filter((b) => inMinute(b.second, ref));
    const count = kept.reduce((n, b) => n + b.readings, 0);
    const field = count > 0 && this.latest ? this.latest.field : null;
    if (field === null) return { count, max: null, field: null };
    const values = kept.flatMap((b) => (b.max.has(field) ? [b.max.get(field) as number] : []));
    return { count, max: values.length > 0 ? Math.max(...values) : null, field };
  }

  private prune(ref: number): void {
    if (this.buckets.length > 0 && !inMinute(this.buckets[0]?.second ?? 0, ref)) this.buckets = this.buckets.filter((b) => inMinute(b.second, ref));
  }
}
