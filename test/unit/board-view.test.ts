import { describe, expect, it } from 'vitest';
import type { DeviceSummary } from '../../src/board/summary';
import { type BoardQuery, boardQuerySchema, boardView, pageOf, parseBoardQuery, topDevices } from '../../src/board/view';

function device(i: number, overrides: Partial<DeviceSummary> = {}): DeviceSummary {
  return {
    deviceId: `dev-${String(i).padStart(4, '0')}`, status: 'CONNECTED', lastReadingTs: 1000 + i, anomaliesLastMinute: 0, maxLastMinute: null, field: null,
    openAnomalies: 0, anomaliesTotal: 0, severity: 'ok', silencedUntil: null, ...overrides,
  };
}
const query = (q: Partial<BoardQuery> = {}): BoardQuery => boardQuerySchema.parse(q);
const ids = (rows: Array<{ deviceId: string }>) => rows.map((r) => r.deviceId);

/** 1,000 devices: every 10th disconnected; device i has i % 5 anomalous readings, max 100 + i. */
const fleet = Array.from({ length: 1000 }, (_, i) =>
  device(i, { status: i % 10 === 3 ? 'DISCONNECTED' : 'CONNECTED', anomaliesLastMinute: i % 5, maxLastMinute: i % 5 > 0 ? 100 + i : null, field: i % 5 > 0 ? 'temp' : null, anomaliesTotal: i % 7 }),
);

describe('the board view', () => {
  it('charts the top devices by anomalous readings in the last minute, then by max value, then by id', () => {
    const top = topDevices(fleet, 20);
    expect(ids(top)).toEqual([999, 994, 989, 984, 979, 974, 969, 964, 959, 954, 949, 944, 939, 934, 929, 924, 919, 914, 909, 904].map((i) => device(i).deviceId));
    expect(top[0]).toEqual({ deviceId: 'dev-0999', anomaliesLastMinute: 4, maxLastMinute: 1099, field: 'temp', severity: 'ok', status: 'CONNECTED' });
    const tied = [device(2, { anomaliesLastMinute: 3, maxLastMinute: 5 }), device(1, { anomaliesLastMinute: 3, maxLastMinute: 5 }), device(3, { anomaliesLastMinute: 3, maxLastMinute: 9 })];
    expect(ids(topDevices(tied, 3))).toEqual(['dev-0003', 'dev-0001', 'dev-0002']);
    expect(topDevices([device(1), device(2)], 20)).toEqual([]); // nothing anomalous: an empty chart
  });

  it('pages the devices by id, and clamps a page beyond the last', () => {
    expect(pageOf(fleet, query())).toMatchObject({ matching: 1000, pages: 20, page: 1 });
    expect(ids(pageOf(fleet, query({ page: 3 })).rows)).toEqual(Array.from({ length: 50 }, (_, i) => device(100 + i).deviceId));
    const last = pageOf(fleet, query({ page: 99, size: 300 }));
    expect([last.page, last.pages, last.rows.length, last.rows[0]?.deviceId]).toEqual([4, 4, 100, 'dev-0900']);
    expect(pageOf([], query({ page: 5 }))).toEqual({ matching: 0, pages: 1, page: 1, rows: [] });
  });

  it('searches ids for a part of them in any case, and filters by status', () => {
    expect(ids(pageOf(fleet, query({ q: 'DEV-042' })).rows)).toEqual(Array.from({ length: 10 }, (_, i) => device(420 + i).deviceId));
    const disconnected = pageOf(fleet, query({ status: 'DISCONNECTED' }));
    expect([disconnected.matching, disconnected.pages, disconnected.rows[0]?.deviceId, disconnected.rows[49]?.deviceId]).toEqual([100, 2, 'dev-0003', 'dev-0493']);
    expect(ids(pageOf(fleet, query({ q: '-04', status: 'DISCONNECTED' })).rows)).toEqual(Array.from({ length: 10 }, (_, i) => device(403 + 10 * i).deviceId));
    expect(pageOf(fleet, query({ status: 'RETIRED' })).matching).toBe(0);
  });

  it('sorts by anomalies in the last minute, by total, or by the newest reading', () => {
    expect(ids(pageOf(fleet, query({ sort: 'anomalies', size: 3 })).rows)).toEqual(['dev-0034', 'dev-0069', 'dev-0104']); // 4 in a minute, then a total of 6, then by id
    expect(ids(pageOf(fleet, query({ sort: 'total', size: 2 })).rows)).toEqual(['dev-0006', 'dev-0013']);
    const noReading = device(5000, { lastReadingTs: null });
    expect(ids(pageOf([...fleet, noReading], query({ sort: 'last-reading', page: 21 })).rows)).toEqual(['dev-5000']);
    expect(ids(pageOf(fleet, query({ sort: 'last-reading', size: 1 })).rows)).toEqual(['dev-0999']);
  });

  it('keeps fleet totals whatever the page shows', () => {
    const view = boardView(fleet, query({ q: 'dev-0001' }), true);
    expect(view.totals).toEqual({
      devices: 1000, byStatus: { NEW: 0, CONNECTED: 900, DISCONNECTED: 100, RETIRED: 0 },
      anomaliesTotal: fleet.reduce((n, d) => n + d.anomaliesTotal, 0), openAnomalies: 0, anomaliesLastMinute: 2000, devicesAnomalousLastMinute: 800,
    });
    expect([view.matching, ids(view.rows), view.top.length, view.ready]).toEqual([1, ['dev-0001'], 20, true]);
  });
});

describe('the board query', () => {
  it('has defaults, ignores unknown and empty parameters, and coerces numbers', () => {
    expect(parseBoardQuery(new URLSearchParams(''))).toEqual({ query: { q: '', status: 'all', sort: 'device', page: 1, size: 50, top: 20 } });
    expect(parseBoardQuery(new URLSearchParams('q=%20ab%20&status=DISCONNECTED&page=3&size=100&top=5&sort=total&other=1&q2=&status='))).toEqual({
      query: { q: 'ab', status: 'DISCONNECTED', sort: 'total', page: 3, size: 100, top: 5 },
    });
  });

  it('refuses a bad value, saying which', () => {
    expect(parseBoardQuery(new URLSearchParams('page=0'))).toEqual({ error: expect.stringContaining('page') });
    expect(parseBoardQuery(new URLSearchParams('size=100000'))).toEqual({ error: expect.stringContaining('size') });
    expect(parseBoardQuery(new URLSearchParams('status=ON%20FIRE'))).toEqual({ error: expect.stringContaining('status') });
    expect(parseBoardQuery(new URLSearchParams('page=abc'))).toEqual({ error: expect.stringContaining('page') });
    expect(parseBoardQuery(new URLSearchParams(`q=${'x'.repeat(201)}`))).toEqual({ error: expect.stringContaining('q') });
  });
});
