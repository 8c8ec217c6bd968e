import { z } from 'zod';
import { formatWallTime, wallClockAt } from '../time/wall-time';
import type { AnomalyEvent } from '../contracts/anomalies';
import { jsonContract, type KafkaRecord } from '../contracts/contract';
import { USAGE_INT_ATTR } from '../formats/usage';
import { pythonJsonObject } from './python-json';

/**
 * `anomaly`: the usage format's anomalies as a polling Isolation Forest consumer publishes them:
 * value exactly `{ts, usage}`, in the bytes Python's `json.dumps` writes (`{"ts": "…", "usage": 412.0}`), `ts` the reading's wall time as the meter's rows write it
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

/** Decodes any JSON of the shape (what consumers do); `meterAnomalyMessage` writes the exact bytes. */
export const meterAnomaliesContract = jsonContract('anomaly', meterAnomalySchema, null);

/**
 * The message of a meter anomaly, as the Python consumer wrote it: `json.dumps` of `{"ts": …,
 * "usage": …}` with the value as the usage message had it (a float, or an int when written as one).
 */
export function meterAnomalyMessage(anomaly: { key: string; record: MeterAnomaly }, event: Pick<AnomalyEvent, 'attrs'>): KafkaRecord {
  const ints = event.attrs?.[USAGE_INT_ATTR] === 'true' ? new Set(['usage']) : undefined;
  return { key: anomaly.key, value: pythonJsonObject(anomaly.record, ints) };
}
