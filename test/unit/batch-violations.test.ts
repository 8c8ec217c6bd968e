import { describe, expect, it } from 'vitest';
import { batchListings, type Bounds, type HostEvent, showTable } from '../../src/operator/batch-violations';

const at = (hms: string) => Date.parse(`2018-10-29T${hms}Z`);
const thresholds: Record<string, Bounds> = { 'host-0001|loadavg': { low: 0, high: 3 }, 'host-0001|mem': { low: 0, high: 70 }, 'host-0002|cpu': { low: 0, high: 80 } };
const boundsOf = (id: string, field: string) => thresholds[`${id}|${field}`];

/** The notebook's unpivot: one event per host, field and time. */
function host(hms: string, id: string, loadavg: number, cpu: number | null, mem: number): HostEvent[] {
  return [{ ts: at(hms), id, field: 'loadavg', value: loadavg }, { ts: at(hms), id, field: 'cpu', value: cpu }, { ts: at(hms), id, field: 'mem', value: mem }];
}

const events: HostEvent[] = [
  ...host('17:08:55', 'host-0001', 3.1767, 40, 89.4921),
  ...host('17:08:56', 'host-0001', 3.1625, 99, 89.4845), // cpu has no threshold on host-0001
  ...host('17:08:57', 'host-0001', 3.1835, 40, 89.7509),
  ...host('17:08:58', 'host-0001', 2.9, 40, 90.0588),
  ...host('17:08:59', 'host-0001', 3.0675, 40, 90.0614),
  ...host('17:08:58', 'host-0002', 0.2, 97.9488, 55),
  ...host('17:08:59', 'host-0002', 0.2, 98.2341, 55),
  ...host('17:09:10', 'host-0001', 1, 40, 50),
  ...host('17:09:10', 'host-0002', 0.2, null, 55), // a missing metric: null, no violation
];

describe("the host rules' per-batch listings", () => {
  it('lists the newest violation per (host, field) of each 60-s batch: row_no = 1', () => {
    const batches = batchListings(events, boundsOf, 'latest');
    expect(batches.map((b) => [new Date(b.batchStart).toISOString(), b.rows])).toEqual([
      ['2018-10-29T17:08:00.000Z', [
        [1, at('17:08:59'), 'host-0001', 'loadavg', 3.0675, 0, 3],
        [1, at('17:08:59'), 'host-0001', 'mem', 90.0614, 0, 70],
        [1, at('17:08:59'), 'host-0002', 'cpu', 98.2341, 0, 80],
      ]],
      ['2018-10-29T17:09:00.000Z', []],
    ]);
    expect(showTable(batches[0]!)).toBe(
      [
        '+------+-------------------+---------+-------+-------+---+----+',
        '|row_no|                 ts|       id|  field|  value|low|high|',
        '+------+-------------------+---------+-------+-------+---+----+',
        '|     1|2018-10-29 17:08:59|host-0001|loadavg| 3.0675|0.0| 3.0|',
        '|     1|2018-10-29 17:08:59|host-0001|    mem|90.0614|0.0|70.0|',
        '|     1|2018-10-29 17:08:59|host-0002|    cpu|98.2341|0.0|80.0|',
        '+------+-------------------+---------+-------+-------+---+----+',
      ].join('\n'),
    );
  });

  it('lists it only with more than 3 violations in the batch: cnt > 3', () => {
    const batches = batchListings(events, boundsOf, 'count');
    expect(batches[0]!.columns).toEqual(['row_no', 'cnt', 'ts', 'id', 'field', 'value', 'low', 'high']);
    expect(batches.map((b) => b.rows)).toEqual([
      [
        [1, 4, at('17:08:59'), 'host-0001', 'loadavg', 3.0675, 0, 3],
        [1, 5, at('17:08:59'), 'host-0001', 'mem', 90.0614, 0, 70],
      ],
      [],
    ]);
    expect(batchListings(events, boundsOf, 'count', { atLeast: 4 })[0]!.rows.map((r) => r[4])).toEqual(['mem']);
  });

  it('lists it only when the newest event and the two before it all violate: value, value1, value2', () => {
    const batches = batchListings(events, boundsOf, 'consecutive');
    expect(batches[0]!.columns).toEqual(['row_no', 'ts', 'id', 'field', 'value', 'value1', 'value2', 'low', 'high']);
    // loadavg's newest violates but the one before does not; host-0002's cpu has two events only.
    expect(batches.map((b) => b.rows)).toEqual([[[1, at('17:08:59'), 'host-0001', 'mem', 90.0614, 90.0588, 89.7509, 0, 70]], []]);
  });
});
