import { z } from 'zod';
import { sourceSchema } from '../reading';
import { jsonContract } from './contract';

/**
 * `readings.enriched`: one record per reading of an HTM field, keyed by device id: what the
 * model predicted for it, the error, the raw anomaly score and the likelihood, and what it
 * predicts next. `anomaly` is null while the model still learns the value range.
 */
export const enrichedReadingSchema = z.object({
  deviceId: z.string(),
  field: z.string(),
  ts: z.number(),
  value: z.number(),
  prediction: z.number().nullable(),
  /** value − prediction. */
  error: z.number().nullable(),
  /** The raw anomaly score: the share of active columns the model did not predict. */
  anomaly: z.number().nullable(),
  likelihood: z.number(),
  logLikelihood: z.number(),
  predictionNext: z.number().nullable(),
  spatialAnomaly: z.boolean(),
  score: z.number(),
  source: sourceSchema,
});
export type EnrichedReading = z.infer<typeof enrichedReadingSchema>;

/** One record per (device, field, source reading): a re-scored reading has the same id. */
export const enrichedId = (record: EnrichedReading) => `${record.deviceId}/${record.field}/${record.source.topic}/${record.source.partition}/${record.source.offset}`;

export const enrichedContract = jsonContract('readings.enriched', enrichedReadingSchema, (record) => record.deviceId, enrichedId);
