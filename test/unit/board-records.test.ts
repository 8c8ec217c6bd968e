import { describe, expect, it } from 'vitest';
import { BoardModel } from '../../src/board/model';
import { type BoardTopics, foldMessage } from '../../src/board/records';
import { aggregatesContract } from '../../src/contracts/aggregates';
import { anomaliesContract, anomalyEvent } from '../../src/contracts/anomalies';
import { deviceEvent, deviceEventsContract } from '../../src/contracts/device-events';
import { formatsByTopic } from '../../src/formats';
import { loadConfig } from '../../src/config';

const config = loadConfig({});
const topics: BoardTopics = {
  anomalies: 'anomalies', deviceEvents: 'device-events', aggregates: 'aggregates', enriched: 'readings.enriched',
  inputs: formatsByTopic([{ topic: 'sensor-raw', format: 'sensor' }], config.formats), maxMessageBytes: 1024,
};
const message = (topic: string, value: string | Buffer | null, key: string | null = 'd') => ({ topic, key: key === null ? null : Buffer.from(key), value: typeof value === 'string' ? Buffer.from(value) : value, timestamp: 0 });

const raised = anomalyEvent({
  anomalyId: 'd/zscore/temp/t/0/1', status: 'raised', deviceId: 'd', detector: 'zscore', field: 'temp', ts: 5000, value: 45,
  explanation: { kind: 'zscore', n: 40, mean: 20, stdev: 1, z: 25, k: 4, direction: 'above', lower: 16, upper: 24 }, source: { topic: 't', partition: 0, offset: 1 },
});

describe('the board reading a message', () => {
  it('folds each topic’s records in, decoded with its contract', () => {
    const model = new BoardModel();
    expect(foldMessage(model, topics, message('anomalies', anomaliesContract.encode(raised).value))).toBe(true);
    expect(foldMessage(model, topics, message('device-events', deviceEventsContract.encode(deviceEvent('d', 'DISCONNECTED', 1, 1, 6000)).value))).toBe(true);
    const hour = { deviceId: 'd', field: 'temp', kind: 'hourly' as const, windowMs: 3_600_000, windowStart: 0, windowEnd: 3_600_000, count: 1, avg: 1, min: 1, max: 1, anomalousReadings: 0, anomalousMax: null, final: true };
    expect(foldMessage(model, topics, message('aggregates', aggregatesContract.encode(hour).value))).toBe(true);
    expect(foldMessage(model, topics, message('sensor-raw', JSON.stringify({ id: 'd', ts: 7000, temp: 20, hum: 40 })))).toBe(true);
    expect(model.summaries()).toEqual([
      { deviceId: 'd', status: 'DISCONNECTED', lastReadingTs: 7000, anomaliesLastMinute: 1, maxLastMinute: 45, field: 'temp', openAnomalies: 1, anomaliesTotal: 1, severity: 'offline', silencedUntil: null },
    ]);
    expect(model.detail('d')?.series).toEqual({ temp: [[7000, 20]], hum: [[7000, 40]] });
  });

  it('skips whatever it cannot read, and stays as it was', () => {
    const model = new BoardModel();
    foldMessage(model, topics, message('anomalies', anomaliesContract.encode(raised).value));
    const before = JSON.stringify(model.summaries());
    const changes = model.changes;
    const bad = [
      message('anomalies', 'not json'),
      message('anomalies', null),
      message('anomalies', Buffer.from([0xff, 0xfe, 0x00])),
      message('anomalies', JSON.stringify({ ...raised, ts: 'soon' })),
      message('anomalies', JSON.stringify({ ...raised, explanation: { kind: 'threshold' } })),
      message('anomalies', '{"__proto__": {"polluted": true}}'),
      message('device-events', JSON.stringify({ eventId: 'e', deviceId: 'd', type: 'ON FIRE', at: 1, lastSeenAt: null, lastReadingTs: null })),
      message('aggregates', JSON.stringify({ deviceId: 'd', kind: 'hourly' })),
      message('aggregates', null), // a tombstone on the compacted topic
      message('readings.enriched', '[]'),
      message('sensor-raw', JSON.stringify({ id: 'd', ts: 8000, temp: 'hot' })),
      message('sensor-raw', JSON.stringify({ id: 'other', ts: 8000, temp: 20, hum: 40 })), // the key names another device
      message('sensor-raw', JSON.stringify({ id: 'd', ts: 8000, temp: 20, hum: 40, pad: 'x'.repeat(2000) })), // over the ingest's limit
      message('unknown-topic', '{}'),
    ];
    for (const m of bad) expect(foldMessage(model, topics, m)).toBe(false);
    expect(model.changes).toBe(changes);
    expect(JSON.stringify(model.summaries())).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
