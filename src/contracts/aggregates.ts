import { z } from 'zod';
import { jsonContract } from './contract';

/**
 * `aggregates` (compacted; key `aggregateKey`): a window's result per device and field.
 * `hourly`: one per device, field and hour of event time, re-published as late readings arrive
 * while the window is open, then once more with `final: true`.
 * `last-minute`: the device's readings of a field over the minute of event time ending at its
 * newest reading, re-published as it changes: with `anomalousReadings` and `anomalousMax`, the
 * anomaly report of a minute (how many readings were anomalous, and the largest of them).
 */
export const aggregateSchema = z.object({
  deviceId: z.string(),
  field: z.string(),
  kind: z.enum(['hourly', 'last-minute']),
  /** Window length, e.g. 3600000 for the hourly averages. */
  windowMs: z.number().int().positive(),
  windowStart: z.number(),
  windowEnd: z.number(),
  count: z.number().int().nonnegative(),
  /** Null only for a last minute without readings (the batch's readings were older than it). */
  avg: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  /** Readings of the window a detector found anomalous (each raised or updated an anomaly): a run of ten counts ten. */
  anomalousReadings: z.number().int().nonnegative(),
  /** The largest anomalous reading; null when there is none. */
  anomalousMax: z.number().nullable(),
  final: z.boolean(),
});
export type Aggregate = z.infer<typeof aggregateSchema>;

/** The compaction key: one record per hourly window, one sliding record per device and field. */
export function aggregateKey(aggregate: Aggregate): string {
  const window = aggregate.kind === 'hourly' ? String(aggregate.windowStart) : 'last-minute';
  return `${aggregate.deviceId}|${aggregate.field}|${window}`;
}

export const aggregatesContract = jsonContract('aggregates', aggregateSchema, aggregateKey);
