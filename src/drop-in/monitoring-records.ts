import { z } from 'zod';
import { epaColumns, type EpaProperty } from '../formats/epa';
import { jsonContract } from '../contracts/contract';
import type { EnrichedReading } from '../contracts/enriched';

/**
 * `monitoringEnriched2`: the EPA format's enriched readings as the HTM pipeline its users ran
 * writes them: the input `MonitoringRecord` with every column (text, as Jackson writes the class)
 * plus `prediction`, `error` (|prediction − actual|), `anomaly` (the raw anomaly score) and
 * `predictionNext`; null while the model has no prediction yet. Keyed by the device id.
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
export function monitoringRecord(enriched: EnrichedReading, attrs: Readonly<Record<string, string>>): MonitoringRecord {
  const columns = Object.fromEntries(epaColumns.map(([, property]) => [property, attrs[property] ?? ''])) as Record<EpaProperty, string>;
  return {
    ...columns,
    sampleMeasurement: attrs.sampleMeasurement ?? String(enriched.value),
    prediction: enriched.prediction,
    error: enriched.prediction === null ? null : Math.abs(enriched.prediction - enriched.value),
    anomaly: enriched.anomaly,
    predictionNext: enriched.predictionNext,
  };
}

export const monitoringRecordsContract = jsonContract('monitoringEnriched2', monitoringRecordSchema, null);
