import { z } from 'zod';
import { directionSchema } from './detectors/zscore';
import { sourceSchema } from './reading';

/** An anomaly as published on the `anomalies` topic; `eventId` is deterministic so consumers can de-duplicate. */
export const anomalyEventSchema = z.object({
  eventId: z.string(),
  deviceId: z.string(),
  detector: z.literal('zscore'),
  field: z.string(),
  ts: z.number(),
  value: z.number(),
  baseline: z.object({ n: z.number(), mean: z.number(), stdev: z.number(), z: z.number().nullable() }),
  rule: z.object({ k: z.number(), direction: directionSchema, lower: z.number(), upper: z.number() }),
  source: sourceSchema,
});
export type AnomalyEvent = z.infer<typeof anomalyEventSchema>;

export function anomalyEventId(detector: string, deviceId: string, field: string, source: z.infer<typeof sourceSchema>): string {
  return `${deviceId}/${detector}/${field}/${source.topic}/${source.partition}/${source.offset}`;
}
