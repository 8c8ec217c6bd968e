import { z } from 'zod';
import type { Aggregate } from '../contracts/aggregates';

export const HOUR_MS = 3600_000;
export const MINUTE_MS = 60_000;
/** The last-minute report slides by whole seconds: 60 buckets bound its state at any rate. */
const BUCKET_MS = 1000;

const hourlyWindowSchema = z.object({
  start: z.number(),
  count: z.number().int().positive(),
  sum: z.number(),
  min: z.number(),
  max: z.number(),
  /** Readings a detector found anomalous (raised or updated an anomaly), and the largest of them. */
  anomalous: z.number().int().nonnegative(),
  anomalousMax: z.number().nullable(),
});
type HourlyWindow = z.infer<typeof hourlyWindowSchema>;

/** One second of a field's recent readings: [second start, count, sum, min, max, anomalous readings, their max]. */
const secondBucketSchema = z.tuple([z.number(), z.number().int().positive(), z.number(), z.number(), z.number(), z.number().int().nonnegative(), z.number().nullable()]);
type SecondBucket = z.infer<typeof secondBucketSchema>;

/** A device's event-time windows, per field: open hours and the seconds of the last minute. */
export const windowsStateSchema = z.object({
  hourly: z.record(z.string(), z.array(hourlyWindowSchema)),
  recent: z.record(z.string(), z.array(secondBucketSchema)),
  /** `field|hourStart` of the hours changed since the last flush; fields whose last minute changed. */
  changedHours: z.array(z.string()),
  changedFields: z.array(z.string()),
});
export type WindowsState = z.infer<typeof windowsStateSchema>;

export const emptyWindows = (): WindowsState => ({ hourly: {}, recent: {}, changedHours: [], changedFields: [] });

const hourOf = (ts: number) => Math.floor(ts / HOUR_MS) * HOUR_MS;
const secondOf = (ts: number) => Math.floor(ts / BUCKET_MS) * BUCKET_MS;

function markChanged(list: string[], key: string): void {
  if (!list.includes(key)) list.push(key);
}

/** The largest of the anomalous values so far and this one, when it is anomalous. */
const anomalousMaxOf = (max: number | null, value: number, anomalous: boolean) => (anomalous ? Math.max(max ?? value, value) : max);

/** Adds a reading's value to its hour and its second; `anomalous` when a detector found it so (raised or updated an anomaly). */
export function addToWindows(windows: WindowsState, field: string, ts: number, value: number, anomalous: boolean): void {
  const hours = (windows.hourly[field] ??= []);
  const start = hourOf(ts);
  let hour = hours.find((w) => w.start === start);
  if (!hour) {
    hour = { start, count: 0, sum: 0, min: value, max: value, anomalous: 0, anomalousMax: null };
    hours.push(hour);
    hours.sort((a, b) => a.start - b.start);
  }
  hour.count += 1;
  hour.sum += value;
  hour.min = Math.min(hour.min, value);
  hour.max = Math.max(hour.max, value);
  if (anomalous) hour.anomalous += 1;
  hour.anomalousMax = anomalousMaxOf(hour.anomalousMax, value, anomalous);
  markChanged(windows.changedHours, `${field}|${start}`);

  const seconds = (windows.recent[field] ??= []);
  const second = secondOf(ts);
  const bucket = seconds.find((b) => b[0] === second);
  if (bucket) {
    bucket[1] += 1;
    bucket[2] += value;
    bucket[3] = Math.min(bucket[3], value);
    bucket[4] = Math.max(bucket[4], value);
    if (anomalous) bucket[5] += 1;
    bucket[6] = anomalousMaxOf(bucket[6], value, anomalous);
  } else {
    seconds.push([second, 1, value, value, value, anomalous ? 1 : 0, anomalous ? value : null]);
    seconds.sort((a, b) => a[0] - b[0]);
  }
  markChanged(windows.changedFields, field);
}

function hourlyAggregate(deviceId: string, field: string, hour: HourlyWindow, final: boolean): Aggregate {
  return {
    deviceId, field, kind: 'hourly', windowMs: HOUR_MS, windowStart: hour.start, windowEnd: hour.start + HOUR_MS,
    count: hour.count, avg: hour.sum / hour.count, min: hour.min, max: hour.max, anomalousReadings: hour.anomalous, anomalousMax: hour.anomalousMax, final,
  };
}

/**
 * The aggregates to publish after a batch, given the device's event-time watermark (its newest
 * reading): every changed hour, final for the hours whose lateness has run out (which are then
 * forgotten), and the last minute of every field that changed.
 */
export function flushWindows(windows: WindowsState, deviceId: string, watermark: number, allowedLatenessMs: number): Aggregate[] {
  const aggregates: Aggregate[] = [];
  const changed = new Set(windows.changedHours);
  for (const [field, hours] of Object.entries(windows.hourly)) {
    const open: HourlyWindow[] = [];
    for (const hour of hours) {
      const final = hour.start + HOUR_MS + allowedLatenessMs <= watermark;
      if (final) aggregates.push(hourlyAggregate(deviceId, field, hour, true));
      else {
        if (changed.has(`${field}|${hour.start}`)) aggregates.push(hourlyAggregate(deviceId, field, hour, false));
        open.push(hour);
      }
    }
    if (open.length > 0) windows.hourly[field] = open;
    else delete windows.hourly[field];
  }
  const minuteStart = watermark - MINUTE_MS;
  for (const [field, seconds] of Object.entries(windows.recent)) {
    const kept = seconds.filter(([second]) => second + BUCKET_MS > minuteStart);
    if (kept.length > 0) windows.recent[field] = kept;
    else delete windows.recent[field];
    if (!windows.changedFields.includes(field)) continue;
    const count = kept.reduce((n, b) => n + b[1], 0);
    const any = count > 0;
    aggregates.push({
      deviceId, field, kind: 'last-minute', windowMs: MINUTE_MS, windowStart: minuteStart, windowEnd: watermark, count,
      avg: any ? kept.reduce((sum, b) => sum + b[2], 0) / count : null,
      min: any ? Math.min(...kept.map((b) => b[3])) : null,
      max: any ? Math.max(...kept.map((b) => b[4])) : null,
      anomalousReadings: kept.reduce((n, b) => n + b[5], 0),
      anomalousMax: kept.reduce<number | null>((max, b) => (b[6] === null ? max : Math.max(max ?? b[6], b[6])), null),
      final: false,
    });
  }
  windows.changedHours = [];
  windows.changedFields = [];
  return aggregates;
}

/** True when some hour's lateness has run out at this watermark: it is final and must go out now. */
export function hasHoursToClose(windows: WindowsState, watermark: number, allowedLatenessMs: number): boolean {
  return Object.values(windows.hourly).some((hours) => hours.some((hour) => hour.start + HOUR_MS + allowedLatenessMs <= watermark));
}

/** True when a reading at `ts` is older than the watermark allows: its hour has been finalised. */
export function isTooLate(watermark: number | null, ts: number, allowedLatenessMs: number): boolean {
  return watermark !== null && ts < watermark - allowedLatenessMs;
}
