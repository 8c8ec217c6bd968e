import { describe, expect, it } from 'vitest';
import { parseThresholdsCsv } from '../../src/formats/threshold-rows';
import { batchHeading, batchListing, type Bounds, boundsFromRows, EventTimeBatches, type HostEvent, type ListingKind, showTable, unpivot } from '../../src/operator/batch-violations';

const at = (hms: string) => Date.parse(`2018-10-29T${hms}Z`);
const thresholds: Record<string, Bounds> = { 'host-0001|loadavg': { low: 0, high: 3 }, 'host-0001|mem': { low: 0, high: 70 }, 'host-0002|cpu': { low: 0, high: 80 } };
const boundsOf = (id: string, field: string) => thresholds[`${id}|${field}`];

/** Every batch's listing of a finished input, as the command prints them. */
function batchListings(all: readonly HostEvent[], bounds: typeof boundsOf, kind: ListingKind, options: { moreThan?: number } = {}) {
  const batches = new EventTimeBatches(60_000);
  batches.add(all);
  return batches.takeAll().map(({ batchStart, events: inBatch }) => batchListing(batchStart, inBatch, bounds, kind, options));
}

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
    expect(batchListings(events, boundsOf, 'count', { moreThan: 4 })[0]!.rows.map((r) => r[4])).toEqual(['mem']);
  });

  it('lists it only when the newest event and the two before it all violate: value, value1, value2', () => {
    const batches = batchListings(events, boundsOf, 'consecutive');
    expect(batches[0]!.columns).toEqual(['row_no', 'ts', 'id', 'field', 'value', 'value1', 'value2', 'low', 'high']);
    // loadavg's newest violates but the one before does not; host-0002's cpu has two events only.
    expect(batches.map((b) => b.rows)).toEqual([[[1, at('17:08:59'), 'host-0001', 'mem', 90.0614, 90.0588, 89.7509, 0, 70]], []]);
  });

  it("unpivots a host record as stack(3, …) does: one event per metric, a missing one null", () => {
    expect(unpivot({ deviceId: 'host-0002', ts: at('16:03:42'), values: { cpu: 97.616, mem: 55.7197 } }, ['loadavg', 'cpu', 'mem'])).toEqual([
      { ts: at('16:03:42'), id: 'host-0002', field: 'loadavg', value: null },
      { ts: at('16:03:42'), id: 'host-0002', field: 'cpu', value: 97.616 },
      { ts: at('16:03:42'), id: 'host-0002', field: 'mem', value: 55.7197 },
    ]);
  });

  it('hands a batch over once the newest event time reaches its end; an event for a batch handed over is late', () => {
    const batches = new EventTimeBatches(60_000);
    const event = (hms: string, value: number): HostEvent => ({ ts: at(hms), id: 'host-0001', field: 'cpu', value });
    batches.add([event('17:08:10', 1), event('17:08:59', 2)]);
    expect(batches.takeClosed()).toEqual([]);
    batches.add([event('17:09:00', 3)]);
    expect(batches.takeClosed()).toEqual([{ batchStart: at('17:08:00'), events: [event('17:08:10', 1), event('17:08:59', 2)] }]);
    batches.add([event('17:08:30', 4), event('17:09:30', 5)]);
    expect(batches.late).toBe(1);
    expect(batches.takeClosed()).toEqual([]);
    expect(batches.takeAll()).toEqual([{ batchStart: at('17:09:00'), events: [event('17:09:00', 3), event('17:09:30', 5)] }]);
    expect(batchHeading(at('17:08:00'))).toBe(['-'.repeat(43), 'Batch: 2018-10-29 17:08:00 to 17:09:00 UTC', '-'.repeat(43)].join('\n'));
  });

  it("reads a thresholds file as Vigil's layers do: a host's own row, else the * row; a removing row takes the host's own away", () => {
    const { rows, errors } = parseThresholdsCsv(['*,cpu,0,90', 'host-0001,cpu,0,80', 'host-0001,mem,,70', 'host-0002,cpu,0,50', 'host-0002,cpu,,', '*,mem,,'].join('\n'));
    expect(errors).toEqual([]);
    const bounds = boundsFromRows(rows);
    expect(bounds('host-0001', 'cpu')).toEqual({ low: 0, high: 80 });
    expect(bounds('host-0001', 'mem')).toEqual({ low: null, high: 70 });
    expect(bounds('host-0002', 'cpu')).toEqual({ low: 0, high: 90 });
    expect(bounds('host-0003', 'cpu')).toEqual({ low: 0, high: 90 });
    expect(bounds('host-0003', 'mem')).toBeUndefined();
    expect(bounds('host-0003', 'loadavg')).toBeUndefined();
  });
});
