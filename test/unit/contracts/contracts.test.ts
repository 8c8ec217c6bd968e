import { describe, expect, it } from 'vitest';
import { type Aggregate, aggregatesContract } from '../../../src/contracts/aggregates';
import { anomaliesContract, anomalyEvent, anomalyIdFor } from '../../../src/contracts/anomalies';
import { deadLetterHeaders, lateReadingRecord } from '../../../src/contracts/dead-letters';
import { deviceEvent, deviceEventsContract } from '../../../src/contracts/device-events';
import { enrichedContract, type EnrichedReading } from '../../../src/contracts/enriched';

const source = { topic: 'sensor-raw', partition: 6, offset: 85 };

describe('the anomalies contract', () => {
  const id = anomalyIdFor('zscore', 'd1', 'temp', source);
  const step = (status: 'raised' | 'updated' | 'resolved', offset: number) =>
    anomalyEvent({
      anomalyId: id, status, deviceId: 'd1', detector: 'zscore', field: 'temp', ts: 1000 + offset, value: 36.9, source: { ...source, offset },
      explanation: { kind: 'zscore', n: 85, mean: 21, stdev: 0.6, z: 26.5, k: 4, direction: 'above', lower: 18.6, upper: 23.4 },
    });

  it('names an anomaly after the reading that raised it, and each step after the reading behind it', () => {
    expect(id).toBe('d1/zscore/temp/sensor-raw/6/85');
    expect(step('raised', 85).eventId).toBe('d1/zscore/temp/sensor-raw/6/85/raised');
    expect(step('updated', 86).eventId).toBe('d1/zscore/temp/sensor-raw/6/85/updated/sensor-raw/6/86');
    expect(step('resolved', 87).eventId).toBe('d1/zscore/temp/sensor-raw/6/85/resolved/sensor-raw/6/87');
  });

  it('is keyed by device, carries its event id in a header, and decodes to what was encoded', () => {
    const event = step('raised', 85);
    const record = anomaliesContract.encode(event);
    expect(record).toEqual({ key: 'd1', value: JSON.stringify(event), headers: { 'vigil.event-id': event.eventId } });
    expect(anomaliesContract.decode(Buffer.from(record.value))).toEqual(event);
  });

  it('refuses a record that is not an anomaly step, saying which topic it expected', () => {
    expect(() => anomaliesContract.decode('{not json')).toThrow('invalid record for anomalies: not JSON');
    expect(() => anomaliesContract.decode(JSON.stringify({ ...step('raised', 85), detector: 'astrology' }))).toThrow(/^invalid record for anomalies: .*detector/);
    expect(() => anomaliesContract.decode(JSON.stringify({ ...step('raised', 85), explanation: { kind: 'zscore' } }))).toThrow(/^invalid record for anomalies/);
    expect(() => anomaliesContract.decode(null)).toThrow('not JSON');
  });
});

describe('the other output contracts', () => {
  it('device events: one id per device, change and instant', () => {
    const event = deviceEvent('d1', 'DISCONNECTED', 5000, 4000, 3000);
    expect(event).toEqual({ eventId: 'd1/DISCONNECTED/5000', deviceId: 'd1', type: 'DISCONNECTED', at: 5000, lastSeenAt: 4000, lastReadingTs: 3000 });
    expect(deviceEventsContract.encode(event)).toMatchObject({ key: 'd1', headers: { 'vigil.event-id': 'd1/DISCONNECTED/5000' } });
    expect(deviceEventsContract.decode(deviceEventsContract.encode(event).value)).toEqual(event);
  });

  it('aggregates: keyed for compaction, one key per hour and one sliding key per field', () => {
    const hour: Aggregate = { deviceId: 'm', field: 'usage', kind: 'hourly', windowMs: 3_600_000, windowStart: 7_200_000, windowEnd: 10_800_000, count: 12, avg: 3, min: 1, max: 5, anomalousReadings: 0, anomalousMax: null, final: false };
    const minute: Aggregate = { ...hour, kind: 'last-minute', windowMs: 60_000, windowStart: 9_000_000, windowEnd: 9_060_000 };
    expect(aggregatesContract.encode(hour).key).toBe('m|usage|7200000');
    expect(aggregatesContract.encode(minute).key).toBe('m|usage|last-minute');
    expect(aggregatesContract.encode(hour).headers).toBeUndefined();
    expect(aggregatesContract.decode(aggregatesContract.encode(minute).value)).toEqual(minute);
  });

  it('enriched readings: one id per (device, field, source reading)', () => {
    const record: EnrichedReading = {
      deviceId: 'm', field: 'pm25', ts: 1, value: 9.9, prediction: 10, error: -0.1, anomaly: 0.2, likelihood: 0.5, logLikelihood: 0.03, predictionNext: 10.1, spatialAnomaly: false, score: 0.03, source,
    };
    expect(enrichedContract.encode(record)).toMatchObject({ key: 'm', headers: { 'vigil.event-id': 'm/pm25/sensor-raw/6/85' } });
    expect(enrichedContract.decode(enrichedContract.encode(record).value)).toEqual(record);
  });

  it('dead letters: the reason and the source in headers; a late reading as the reading read', () => {
    expect(deadLetterHeaders('invalid-json', 'Unexpected token', source)).toEqual({
      'vigil.dlq.reason': 'invalid-json',
      'vigil.dlq.detail': 'Unexpected token',
      'vigil.dlq.source.topic': 'sensor-raw',
      'vigil.dlq.source.partition': '6',
      'vigil.dlq.source.offset': '85',
    });
    const reading = { deviceId: 'm', ts: Date.UTC(2024, 0, 1, 8), values: { usage: 3 } };
    expect(lateReadingRecord(reading, source, Date.UTC(2024, 0, 1, 10), 3_600_000)).toEqual({
      key: 'm',
      value: JSON.stringify(reading),
      headers: {
        ...deadLetterHeaders('late', "event time 2024-01-01T08:00:00.000Z is more than 3600000 ms behind the device's newest reading (2024-01-01T10:00:00.000Z)", source),
        'vigil.dlq.value': 'canonical-reading',
      },
    });
  });
});
