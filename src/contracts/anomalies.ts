import { z } from 'zod';
import { incidentStatusSchema, type IncidentStatus } from '../detectors/incident';
import { type DetectorName, detectorNameSchema, type Explanation, explanationSchema } from '../detectors/registry';
import { type Source, sourceSchema } from '../reading';
import { jsonContract } from './contract';

export const suppressionSchema = z.object({ kind: z.enum(['snooze', 'maintenance']), until: z.number(), reason: z.string().optional() });
export type Suppression = z.infer<typeof suppressionSchema>;

/**
 * `anomalies`: one step of an anomaly's life per record, keyed by device id. `anomalyId` is the
 * same for raised → updated → resolved; `eventId` is unique per step and deterministic, so
 * consumers can de-duplicate re-publications (it is also in the `vigil.event-id` header).
 */
export const anomalyEventSchema = z.object({
  eventId: z.string(),
  anomalyId: z.string(),
  status: incidentStatusSchema,
  deviceId: z.string(),
  detector: detectorNameSchema,
  field: z.string(),
  /** Event time of the reading behind this step. */
  ts: z.number(),
  value: z.number(),
  /** What the detector judged the value against; `kind` is the detector. */
  explanation: explanationSchema,
  source: sourceSchema,
  /** The reading's attributes, when it has any (a csv3 line's status, an EPA record's columns). */
  attrs: z.record(z.string(), z.string()).optional(),
  /**
   * Set on a step made while its device or field was snoozed or in a maintenance window: the
   * anomaly is detected and recorded as ever, but not routed to people (Alertmanager) nor shown
   * as open on the board. `until`: when that silence ends (epoch ms).
   */
  suppressed: suppressionSchema.optional(),
});
export type AnomalyEvent = z.infer<typeof anomalyEventSchema>;

/** An anomaly is named after the reading that raised it. */
export function anomalyIdFor(detector: DetectorName, deviceId: string, field: string, source: Source): string {
  return `${deviceId}/${detector}/${field}/${source.topic}/${source.partition}/${source.offset}`;
}

/** One step of the anomaly `anomalyId`, caused by the reading at `source`. */
export function anomalyEvent(step: {
  anomalyId: string;
  status: IncidentStatus;
  deviceId: string;
  detector: DetectorName;
  field: string;
  ts: number;
  value: number;
  explanation: Explanation;
  source: Source;
  attrs?: Record<string, string> | undefined;
}): AnomalyEvent {
  const { anomalyId, status, source, attrs } = step;
  // A raise happens once per anomaly; later steps are told apart by the reading that caused them.
  const eventId = status === 'raised' ? `${anomalyId}/raised` : `${anomalyId}/${status}/${source.topic}/${source.partition}/${source.offset}`;
  return {
    eventId, anomalyId, status, deviceId: step.deviceId, detector: step.detector, field: step.field, ts: step.ts, value: step.value, explanation: step.explanation, source,
    ...(attrs === undefined ? {} : { attrs }),
  };
}

export const anomaliesContract = jsonContract('anomalies', anomalyEventSchema, (event) => event.deviceId, (event) => event.eventId);
