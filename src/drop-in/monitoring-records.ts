import { z } from 'zod';
import { epaColumns, type EpaProperty } from '../formats/epa';
import { jsonContract } from '../contracts/contract';
import type { EnrichedReading } from '../contracts/enriched';

/**
 * `monitoringEnriched2`: the EPA format's enriched readings as the HTM pipeline its users ran
 * writes them: the input `MonitoringRecord` with every column (text, as Jackson writes the class)
 * plus `prediction`, `error` (|prediction − actual|), `anomaly` (the raw anomaly score) and
 * `predictionNext`. While the model has no prediction yet (it learns its value's range first)
 * the four are 0, as the class's `double` fields are until set (`unknown: 'null'` writes null).
 * Keyed by the device id.
 */
const columnsSchema = Object.fromEntries(epaColumns.map(([, property]) => [property, z.string()])) as Record<EpaProperty, z.ZodString>;

export const monitoringRecordSchema = z.strictObject({
  ...columnsSchema,
  prediction: z.number().nullable(),
  error: z.number().nullable(),
  anomaly: z.number().nullable(),
  predictionNext: z.number().nullable(),
});
export type MonitoringRecord = z.infer<typeof monitoringRecordSchema>;

/**
 * The record of an enriched reading of the EPA format's value, given the reading's attributes
 * (the columns the format keeps): a column the input left empty is empty text, and
 * `sampleMeasurement` is the text the input wrote ("0.030"), or the value's when it is not known.
 */
export function monitoringRecord(enriched: EnrichedReading, attrs: Readonly<Record<string, string>>, unknown: MonitoringUnknown = 'zero'): MonitoringRecord {
  const columns = Object.fromEntries(epaColumns.map(([, property]) => [property, attrs[property] ?? ''])) as Record<EpaProperty, string>;
  const number = (value: number | null) => (value === null && unknown === 'zero' ? 0 : value);
  return {
    ...columns,
    sampleMeasurement: attrs.sampleMeasurement ?? String(enriched.value),
    prediction: number(enriched.prediction),
    error: number(enriched.prediction === null ? null : Math.abs(enriched.prediction - enriched.value)),
    anomaly: number(enriched.anomaly),
    predictionNext: number(enriched.predictionNext),
  };
}

/** What a MonitoringRecord's four numbers are while the model has none: 0 (a Java `double` never set) or null. */
export type MonitoringUnknown = 'zero' | 'null';

export const monitoringRecordsContract = jsonContract('monitoringEnriched2', monitoringRecordSchema, null);
