import { z } from 'zod';
import { thresholdRuleKinds } from './detectors/threshold';
import { directionSchema } from './detectors/zscore';
import { incidentStatusSchema } from './detectors/incident';
import { type Source, sourceSchema } from './reading';

export const zscoreExplanationSchema = z.object({
  kind: z.literal('zscore'),
  n: z.number(),
  mean: z.number(),
  stdev: z.number(),
  /** Standard deviations from the mean; null when stdev is 0. */
  z: z.number().nullable(),
  k: z.number(),
  direction: directionSchema,
  lower: z.number(),
  upper: z.number(),
});

export const thresholdExplanationSchema = z.object({
  kind: z.literal('threshold'),
  low: z.number().nullable(),
  high: z.number().nullable(),
  rule: z.enum(thresholdRuleKinds),
  n: z.number(),
  windowMs: z.number(),
  violationsInWindow: z.number(),
  consecutive: z.number(),
});

export const seasonalIForestExplanationSchema = z.object({
  kind: z.literal('seasonal-iforest'),
  /** Isolation score s(x); above 0.5 is an outlier (scikit-learn's "auto" rule). */
  score: z.number(),
  /** The local (day-of-week, hour, minute) slot, e.g. 'Mon 08:10'. */
  slot: z.string(),
  comparables: z.number().int(),
  comparablesMin: z.number(),
  comparablesMax: z.number(),
  comparablesMean: z.number(),
  historyDays: z.number(),
});

export const htmExplanationSchema = z.object({
  kind: z.literal('htm'),
  /** NAB's final score max(spatial, logLikelihood), compared with `threshold`. */
  score: z.number(),
  threshold: z.number(),
  /** Share of the active columns the model did not predict. */
  rawScore: z.number().nullable(),
  likelihood: z.number(),
  logLikelihood: z.number(),
  /** The value left the range seen so far by more than 5 % of it (NAB's spatial anomaly). */
  spatialAnomaly: z.boolean(),
  prediction: z.number().nullable(),
});

/**
 * One step of an anomaly's life, as published on `anomalies`. `anomalyId` is the same for
 * raised → updated → resolved; `eventId` is unique per step and deterministic, so consumers
 * can de-duplicate re-publications.
 */
export const anomalyEventSchema = z.object({
  eventId: z.string(),
  anomalyId: z.string(),
  status: incidentStatusSchema,
  deviceId: z.string(),
  detector: z.enum(['zscore', 'threshold', 'seasonal-iforest', 'htm']),
  field: z.string(),
  /** Event time of the reading behind this step. */
  ts: z.number(),
  value: z.number(),
  explanation: z.discriminatedUnion('kind', [zscoreExplanationSchema, thresholdExplanationSchema, seasonalIForestExplanationSchema, htmExplanationSchema]),
  source: sourceSchema,
});
export type AnomalyEvent = z.infer<typeof anomalyEventSchema>;
export type Detector = AnomalyEvent['detector'];

export function anomalyId(detector: Detector, deviceId: string, field: string, source: Source): string {
  return `${deviceId}/${detector}/${field}/${source.topic}/${source.partition}/${source.offset}`;
}

/** NEW: never reported (e.g. configured before its first reading). */
export const connectionStatusSchema = z.enum(['NEW', 'CONNECTED', 'DISCONNECTED']);
export type ConnectionStatus = z.infer<typeof connectionStatusSchema>;

/** A change of a device's connection, as published on `device-events`. */
export const deviceEventSchema = z.object({
  eventId: z.string(),
  deviceId: z.string(),
  type: z.enum(['CONNECTED', 'DISCONNECTED', 'RETIRED']),
  /** Workflow time of the change, epoch ms. */
  at: z.number(),
  /** When the device's last batch of readings was received, epoch ms. */
  lastSeenAt: z.number().nullable(),
  lastReadingTs: z.number().nullable(),
});
export type DeviceEvent = z.infer<typeof deviceEventSchema>;

/**
 * A window aggregate as published on `aggregates` (compacted; key `aggregateKey`).
 * `hourly` (seed 003): one per device, field and hour of event time, re-published as late
 * readings arrive while the window is open, then once more with `final: true`.
 * `last-minute` (seed 000): the device's readings and anomalies of a field over the minute of
 * event time ending at its newest reading, re-published after every batch that touches it.
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
  /** Anomalies raised on this field within the window. */
  anomalies: z.number().int().nonnegative(),
  final: z.boolean(),
});
export type Aggregate = z.infer<typeof aggregateSchema>;

/** The compaction key: one record per hourly window, one sliding record per device and field. */
export function aggregateKey(aggregate: Aggregate): string {
  const window = aggregate.kind === 'hourly' ? String(aggregate.windowStart) : 'last-minute';
  return `${aggregate.deviceId}|${aggregate.field}|${window}`;
}

/**
 * Seed 002's enriched record on `readings.enriched`, one per reading of an HTM field: what the
 * model predicted for it, the error, the raw anomaly score and the likelihood, and what it
 * predicts next. `anomaly` is null while the model still learns the value range.
 */
export const enrichedReadingSchema = z.object({
  deviceId: z.string(),
  field: z.string(),
  ts: z.number(),
  value: z.number(),
  prediction: z.number().nullable(),
  error: z.number().nullable(),
  anomaly: z.number().nullable(),
  likelihood: z.number(),
  logLikelihood: z.number(),
  predictionNext: z.number().nullable(),
  spatialAnomaly: z.boolean(),
  score: z.number(),
  source: sourceSchema,
});
export type EnrichedReading = z.infer<typeof enrichedReadingSchema>;
