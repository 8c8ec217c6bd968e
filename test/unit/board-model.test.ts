import { describe, expect, it } from 'vitest';
import { BoardModel } from '../../src/board/model';
import type { AnomalyEvent } from '../../src/contracts/anomalies';

const reading = (deviceId: string, ts: number, temp: number) => ({ deviceId, ts, values: { temp } });

function anomaly(deviceId: string, ts: number, value: number, status: AnomalyEvent['status'], anomalyId = `${deviceId}/a/${ts}`): AnomalyEvent {
  return {
    eventId: `${anomalyId}/${status}/${ts}`, anomalyId, status, deviceId, detector: 'zscore', field: 'temp', ts, value,
    explanation: { kind: 'zscore', n: 40, mean: 20, stdev: 1, z: value - 20, k: 4, direction: 'above', lower: 16, upper: 24 },
    source: { topic: 't', partition: 0, offset: ts },
  };
}

describe('BoardModel', () => {
  it('reports anomaly count and max value over the device’s last minute of event time (seed 000)', () => {
    const model = new BoardModel();
    model.addReading(reading('d', 0, 50)); // more than a minute before the latest reading
    model.addReading(reading('d', 30_000, 31));
    model.addReading(reading('d', 70_000, 22));
    model.addAnomaly(anomaly('d', 0, 50, 'raised', 'old'));
    model.addAnomaly(anomaly('d', 0, 50, 'resolved', 'old'));
    model.addAnomaly(anomaly('d', 30_000, 31, 'raised'));
    const [summary] = model.summaries();
    expect(summary).toMatchObject({ deviceId: 'd', anomaliesLastMinute: 1, maxLastMinute: 31, field: 'temp', openAnomalies: 1, anomaliesTotal: 2, severity: 'open', readings: 3 });
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
});
