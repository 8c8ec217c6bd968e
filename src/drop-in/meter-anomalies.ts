import { z } from 'zod';
import { formatWallTime, wallClockAt } from '../time/wall-time';
import type { AnomalyEvent } from '../contracts/anomalies';
import { jsonContract } from '../contracts/contract';

/**
 * `anomaly`: the usage format's anomalies as a polling Isolation Forest consumer publishes them:
 * value exactly `{ts, usage}`, `ts` the reading's wall time as the meter's rows write it
 * (`2024-01-30 10:30:00`), one record per reading the seasonal forest flags. Keyed by the meter,
 * so a meter's records keep their order (the consumers this replaces read values only).
 */
export const meterAnomalySchema = z.strictObject({ ts: z.string(), usage: z.number() });
export type MeterAnomaly = z.infer<typeof meterAnomalySchema>;

/**
 * The record of an anomaly step when it is one: a seasonal-forest verdict on usage that raised or
 * updated an anomaly. The wall time is the instant's in the zone the usage format reads rows in:
 * the same text the row had (a repeated autumn hour maps back to the instant it was read as).
 */
export function meterAnomaly(event: AnomalyEvent, timeZone: string): { key: string; record: MeterAnomaly } | undefined {
  if (event.detector !== 'seasonal-iforest' || event.field !== 'usage' || event.status === 'resolved') return undefined;
  return { key: event.deviceId, record: { ts: formatWallTime(wallClockAt(event.ts, timeZone)), usage: event.value } };
}

export const meterAnomaliesContract = jsonContract('anomaly', meterAnomalySchema, null);
