import type { Reading, Source } from '../reading';
import type { KafkaRecord } from './contract';

/**
 * `readings.dlq`: what could not be applied, keyed by its original key. The value is the
 * original bytes (a message the ingest refused) or the canonical reading (one a device refused
 * as too late); headers say why and where it came from, as Kafka Connect's `errors.*` headers do.
 */
export const DLQ_HEADERS = {
  reason: 'vigil.dlq.reason',
  detail: 'vigil.dlq.detail',
  topic: 'vigil.dlq.source.topic',
  partition: 'vigil.dlq.source.partition',
  offset: 'vigil.dlq.source.offset',
  timestamp: 'vigil.dlq.source.timestamp',
  originalBytes: 'vigil.dlq.original.bytes',
  truncated: 'vigil.dlq.truncated',
  /** `canonical-reading` when the value is Vigil's reading rather than the original bytes. */
  value: 'vigil.dlq.value',
} as const;

/** The headers every dead letter carries: why, and where the message came from. */
export function deadLetterHeaders(reason: string, detail: string, source: Source): Record<string, string> {
  return {
    [DLQ_HEADERS.reason]: reason,
    [DLQ_HEADERS.detail]: detail,
    [DLQ_HEADERS.topic]: source.topic,
    [DLQ_HEADERS.partition]: String(source.partition),
    [DLQ_HEADERS.offset]: String(source.offset),
  };
}

/** A reading a device refused as too late: its hour was final and its models had moved on. */
export function lateReadingRecord(reading: Reading, source: Source, watermark: number, allowedLatenessMs: number): KafkaRecord {
  const detail = `event time ${new Date(reading.ts).toISOString()} is more than ${allowedLatenessMs} ms behind the device's newest reading (${new Date(watermark).toISOString()})`;
  return { key: reading.deviceId, value: JSON.stringify(reading), headers: { ...deadLetterHeaders('late', detail, source), [DLQ_HEADERS.value]: 'canonical-reading' } };
}
