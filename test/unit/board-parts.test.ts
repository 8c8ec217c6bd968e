import { describe, expect, it } from 'vitest';
import { HistoryProgress } from '../../src/board/history';
import { AnomalousMinute } from '../../src/board/last-minute';
import { BoundedSeries } from '../../src/board/series';
import { snapshotOf } from '../../src/board/snapshot';

describe('AnomalousMinute', () => {
  it('holds the minute ending at the newest reading in whole seconds, as the device’s own last-minute report', () => {
    const minute = new AnomalousMinute();
    minute.add({ ts: 59_999, field: 'temp', value: 50, source: 'a' }, 120_000); // its second ends at 60 s: out
    minute.add({ ts: 60_000, field: 'temp', value: 40, source: 'b' }, 120_000); // the minute's first second
    minute.add({ ts: 120_000, field: 'temp', value: 30, source: 'c' }, 120_000);
    expect(minute.report(120_000)).toEqual({ count: 2, max: 40, field: 'temp' });
    expect(minute.report(120_999)).toEqual({ count: 2, max: 40, field: 'temp' });
    expect(minute.report(121_000)).toEqual({ count: 1, max: 30, field: 'temp' });
    expect(minute.report(null)).toEqual({ count: 0, max: null, field: null });
  });

  it('stays bounded at any rate: one bucket a second', () => {
    const minute = new AnomalousMinute();
    for (let ts = 0; ts < 600_000; ts += 10) minute.add({ ts, field: 'temp', value: ts, source: String(ts) }, ts);
    // 61 seconds end after 599.99 s − 60 s: 539 s … 599 s, 100 readings each.
    expect(minute.report(599_990)).toEqual({ count: 6100, max: 599_990, field: 'temp' });
    expect((minute as unknown as { buckets: unknown[] }).buckets.length).toBeLessThanOrEqual(61);
  });

  it('counts the steps of one reading once', () => {
    const minute = new AnomalousMinute();
    minute.add({ ts: 1000, field: 'temp', value: 45, source: 's1' }, 1000);
    minute.add({ ts: 1000, field: 'hum', value: 90, source: 's1' }, 1000);
    minute.add({ ts: 2000, field: 'temp', value: 46, source: 's2' }, 2000);
    expect(minute.report(2000)).toEqual({ count: 2, max: 46, field: 'temp' });
  });
});

describe('BoundedSeries', () => {
  it('keeps the newest points, oldest first', () => {
    const series = new BoundedSeries(3);
    expect(series.points()).toEqual([]);
    for (let i = 1; i <= 5; i += 1) series.push(i * 10, i);
    expect(series.points()).toEqual([[30, 3], [40, 4], [50, 5]]);
  });
});

describe('HistoryProgress', () => {
  it('is done once every partition that had records is read to its end at start', () => {
    const progress = new HistoryProgress();
    progress.expect('anomalies', 0, 0, 10);
    progress.expect('anomalies', 1, 5, 5); // empty (or trimmed): nothing to wait for
    progress.expect('aggregates', 0, 0, 3);
    progress.saw('anomalies', 0, 8);
    progress.saw('aggregates', 0, 2);
    expect(progress.done).toBe(false);
    progress.saw('anomalies', 0, 9);
    expect(progress.done).toBe(true);
    expect(new HistoryProgress().done).toBe(true);
  });
});

describe('a device from visibility', () => {
  const row = { workflowId: 'device:d', deviceId: 'd', status: 'CONNECTED', anomalyCount: 3, lastReadingAt: new Date(5000), memo: { summary: { openAnomalies: ['threshold:cpu', 'zscore:temp'], fields: {} } } };

  it('takes its search attributes and the open anomalies of its memo', () => {
    expect(snapshotOf(row)).toEqual({ deviceId: 'd', status: 'CONNECTED', anomalyCount: 3, lastReadingTs: 5000, openIncidents: ['threshold:cpu', 'zscore:temp'] });
  });

  it('gets neutral values for what is missing or odd', () => {
    expect(snapshotOf({ ...row, deviceId: undefined, status: 'ON FIRE', anomalyCount: -1, lastReadingAt: new Date(Number.NaN), memo: { summary: 'x' } })).toEqual({
      deviceId: 'd', status: 'NEW', anomalyCount: 0, lastReadingTs: null, openIncidents: [],
    });
    expect(snapshotOf({ ...row, status: undefined, anomalyCount: undefined, lastReadingAt: undefined, memo: undefined })).toMatchObject({ status: 'NEW', anomalyCount: 0, lastReadingTs: null });
  });
});
