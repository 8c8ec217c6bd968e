import { z } from 'zod';
import type { AnomalyEvent } from '../contracts/anomalies';
import { jsonContract } from '../contracts/contract';
import { isReportedTempAnomaly } from '../device/anomaly-report';

/**
 * `anomalyTopic`: the sensor format's anomalies as a Spark job that scores readings with a
 * standard-deviation model writes them: key = device id, value exactly `{id, ts, temp}` (its
 * `AnomalyReport`), one record per anomalous temp reading, `ts` in epoch ms as the reading had it.
 */
export const sensorAnomalyReportSchema = z.strictObject({ id: z.string(), ts: z.number().int(), temp: z.number() });
export type SensorAnomalyReport = z.infer<typeof sensorAnomalyReportSchema>;

/** The report of an anomaly step when it is one: a z-score verdict on temp that raised or updated an anomaly. */
export function sensorAnomalyReport(event: AnomalyEvent): SensorAnomalyReport | undefined {
  if (!isReportedTempAnomaly(event)) return undefined;
  return { id: event.deviceId, ts: event.ts, temp: event.value };
}

export const sensorAnomalyReportsContract = jsonContract('anomalyTopic', sensorAnomalyReportSchema, (report) => report.id);
