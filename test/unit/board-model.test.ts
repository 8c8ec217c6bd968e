import { describe, expect, it } from 'vitest';
import { BoardModel } from '../../src/board/model';
import type { AnomalyEvent } from '../../src/contracts/anomalies';

const reading = (deviceId: string, ts: number, temp: number) => ({ deviceId, ts, values: { temp } });

let offset = 0;
function anomaly(deviceId: string, ts: number, value: number, status: AnomalyEvent['status'], anomalyId = `${deviceId}/a/${ts}`, field = 'temp'): AnomalyEvent {
  offset += 1;
  return {
    eventId: `${anomalyId}/${status}/${ts}`, anomalyId, status, deviceId, detector: 'zscore', field, ts, value,
    explanation: { kind: 'zscore', n: 40, mean: 20, stdev: 1, z: value - 20, k: 4, direction: 'above', lower: 16, upper: 24 },
    source: { topic: 't', partition: 0, offset },
  };
}

describe('BoardModel', () => {
  it('counts anomalous readings (raised and updated steps) and their max over the device’s last minute of event time (seed 000)', () => {
    const model = new BoardModel();
    model.addAnomaly(anomaly('d', 0, 50, 'raised', 'old'));
    model.addAnomaly(anomaly('d', 0, 50, 'resolved', 'old'));
    model.addAnomaly(anomaly('d', 30_000, 31, 'raised', 'new'));
    model.addAnomaly(anomaly('d', 31_000, 35, 'updated', 'new'));
    model.addAnomaly(anomaly('d', 32_000, 33, 'updated', 'new'));
    model.addReading(reading('d', 70_000, 22)); // the minute is now (10 s, 70 s]: the old anomaly is out of it
    const [summary] = model.summaries();
    expect(summary).toEqual({
      deviceId: 'd', status: 'CONNECTED', lastReadingTs: 70_000, anomaliesLastMinute: 3, maxLastMinute: 35, field: 'temp',
      openAnomalies: 1, anomaliesTotal: 2, severity: 'open', silencedUntil: null,
    });
    model.addReading(reading('d', 92_000, 22)); // (32 s, 92 s]: only the second 32 is left
    expect(model.summaries()[0]).toMatchObject({ anomaliesLastMinute: 1, maxLastMinute: 33 });
    model.addReading(reading('d', 93_000, 22));
    expect(model.summaries()[0]).toMatchObject({ anomaliesLastMinute: 0, maxLastMinute: null, field: null });
  });

  it('counts a reading once when two detectors or two fields flag it; the max is of the latest anomalous field', () => {
    const model = new BoardModel();
    const temp = anomaly('d', 1000, 45, 'raised', 'z');
    model.addAnomaly(temp);
    model.addAnomaly({ ...temp, eventId: 'th/raised', anomalyId: 'th', detector: 'threshold' });
    model.addAnomaly({ ...temp, eventId: 'hum/raised', anomalyId: 'hum', field: 'hum', value: 99 });
    expect(model.summaries()[0]).toMatchObject({ anomaliesLastMinute: 1, maxLastMinute: 99, field: 'hum', anomaliesTotal: 3, openAnomalies: 3 });
  });

  it('colours by severity: open, recent, ok, offline', () => {
    const model = new BoardModel();
    model.addReading(reading('ok', 0, 20));
    model.addReading(reading('recent', 0, 40));
    model.addAnomaly(anomaly('recent', 0, 40, 'raised', 'x'));
    model.addAnomaly(anomaly('recent', 0, 40, 'resolved', 'x'));
    model.addReading(reading('off', 0, 20));
    model.addDeviceEvent({ eventId: 'e', deviceId: 'off', type: 'DISCONNECTED', at: 1, lastSeenAt: 0, lastReadingTs: 0 });
    expect(Object.fromEntries(model.summaries().map((s) => [s.deviceId, s.severity]))).toEqual({ ok: 'ok', recent: 'recent', off: 'offline' });
  });

  it('ignores a re-published event and counts changes for the server', () => {
    const model = new BoardModel();
    const event = anomaly('d', 5, 40, 'raised');
    model.addAnomaly(event);
    const changes = model.changes;
    model.addAnomaly(event);
    expect(model.changes).toBe(changes);
    expect(model.detail('d')?.anomalies).toHaveLength(1);
    expect(model.summaries()[0]).toMatchObject({ anomaliesLastMinute: 1, anomaliesTotal: 1 });
    expect(model.detail('unknown')).toBeUndefined();
  });

  it('keeps a bounded series per field, oldest first out', () => {
    const model = new BoardModel();
    for (let i = 0; i < 1000; i += 1) model.addReading(reading('d', i, i));
    const series = model.detail('d')?.series.temp ?? [];
    expect(series).toHaveLength(300);
    expect(series[0]).toEqual([700, 700]);
    expect(series.at(-1)).toEqual([999, 999]);
  });

  it('lists devices by id and computes a summary again only for a device that changed', () => {
    const model = new BoardModel();
    model.addReading(reading('b', 0, 1));
    model.addReading(reading('a', 0, 1));
    const [a, b] = model.summaries();
    expect([a?.deviceId, b?.deviceId]).toEqual(['a', 'b']);
    model.addReading(reading('b', 5, 1));
    const [a2, b2] = model.summaries();
    expect(a2).toBe(a);
    expect(b2).not.toBe(b);
    expect(b2?.lastReadingTs).toBe(5);
  });
});

describe('BoardModel at a late start', () => {
  const snapshot = { deviceId: 'd', status: 'DISCONNECTED' as const, anomalyCount: 7, lastReadingTs: 100_000, openIncidents: ['zscore:temp'] };

  it('shows what visibility knows: status, last reading, anomaly count and open anomalies', () => {
    const model = new BoardModel();
    model.applySnapshot(snapshot);
    expect(model.summaries()[0]).toEqual({
      deviceId: 'd', status: 'DISCONNECTED', lastReadingTs: 100_000, anomaliesLastMinute: 0, maxLastMinute: null, field: null,
      openAnomalies: 1, anomaliesTotal: 7, severity: 'offline', silencedUntil: null,
    });
  });

  it('adds the raises after the reading time visibility counted up to, not those before it', () => {
    const model = new BoardModel();
    model.applySnapshot(snapshot);
    model.addAnomaly(anomaly('d', 90_000, 40, 'raised')); // counted in the 7, and the open one the memo names
    expect(model.summaries()[0]).toMatchObject({ anomaliesTotal: 7, openAnomalies: 1 });
    model.addAnomaly(anomaly('d', 95_000, 20, 'resolved', 'd/a/90000'));
    model.addAnomaly(anomaly('d', 100_000, 41, 'raised')); // the reading visibility's count ends with
    model.addAnomaly(anomaly('d', 110_000, 42, 'raised', 'h', 'hum')); // new since
    expect(model.summaries()[0]).toMatchObject({ anomaliesTotal: 8, openAnomalies: 2, lastReadingTs: 110_000, anomaliesLastMinute: 3, maxLastMinute: 42, field: 'hum' });
  });

  it('lets a device event override visibility’s status, whatever the order', () => {
    const event = { eventId: 'e', deviceId: 'd', type: 'CONNECTED' as const, at: 1, lastSeenAt: 0, lastReadingTs: 120_000 };
    const before = new BoardModel();
    before.applySnapshot(snapshot);
    before.addDeviceEvent(event);
    const after = new BoardModel();
    after.addDeviceEvent(event);
    after.applySnapshot(snapshot);
    for (const model of [before, after]) expect(model.summaries()[0]).toMatchObject({ status: 'CONNECTED', lastReadingTs: 120_000 });
  });

  it('takes the newest reading time from any source: a device event, a last-minute aggregate, an anomaly', () => {
    const model = new BoardModel();
    model.addDeviceEvent({ eventId: 'e', deviceId: 'd', type: 'CONNECTED', at: 1, lastSeenAt: 0, lastReadingTs: 5_000 });
    const minute = { deviceId: 'd', field: 'temp', kind: 'last-minute' as const, windowMs: 60_000, windowStart: -40_000, windowEnd: 20_000, count: 3, avg: 1, min: 1, max: 1, anomalousReadings: 0, anomalousMax: null, final: false };
    model.addAggregate(minute);
    expect(model.summaries()[0]?.lastReadingTs).toBe(20_000);
    model.addAggregate({ ...minute, kind: 'hourly', windowMs: 3_600_000, windowStart: 0, windowEnd: 3_600_000 }); // an hour's end is no reading
    expect(model.summaries()[0]?.lastReadingTs).toBe(20_000);
    model.addAnomaly(anomaly('d', 25_000, 40, 'raised'));
    expect(model.summaries()[0]?.lastReadingTs).toBe(25_000);
  });

  it('makes a new device connected when its readings arrive', () => {
    const model = new BoardModel();
    model.applySnapshot({ ...snapshot, status: 'NEW', anomalyCount: 0, lastReadingTs: null, openIncidents: [] });
    expect(model.summaries()[0]?.status).toBe('NEW');
    model.addReading(reading('d', 1, 20));
    expect(model.summaries()[0]?.status).toBe('CONNECTED');
  });
});

describe('BoardModel aggregates', () => {
  it('keeps the latest version of each window, newest window first', () => {
    const model = new BoardModel();
    const hour = 3_600_000;
    const base = { deviceId: 'd', field: 'usage', kind: 'hourly' as const, windowMs: hour, min: 1, max: 5, anomalousReadings: 0, anomalousMax: null };
    model.addAggregate({ ...base, windowStart: 0, windowEnd: hour, count: 10, avg: 1.5, final: false });
    model.addAggregate({ ...base, windowStart: hour, windowEnd: 2 * hour, count: 3, avg: 2, final: false });
    model.addAggregate({ ...base, windowStart: 0, windowEnd: hour, count: 12, avg: 1.75, final: true }); // the late update
    expect(model.detail('d')?.aggregates.map((a) => [a.windowStart, a.count, a.avg, a.final])).toEqual([
      [hour, 3, 2, false],
      [0, 12, 1.75, true],
    ]);
  });

  it('keeps the newest 48 windows of a device', () => {
    const model = new BoardModel();
    const hour = 3_600_000;
    for (let i = 0; i < 60; i += 1) {
      model.addAggregate({ deviceId: 'd', field: 'usage', kind: 'hourly', windowMs: hour, windowStart: i * hour, windowEnd: (i + 1) * hour, count: 1, avg: 1, min: 1, max: 1, anomalousReadings: 0, anomalousMax: null, final: true });
    }
    const starts = model.detail('d')?.aggregates.map((a) => a.windowStart / hour) ?? [];
    expect(starts).toHaveLength(48);
    expect([starts[0], starts.at(-1)]).toEqual([59, 12]);
  });
});
