import { javaDouble } from '../drop-in/java-double';
import type { ThresholdRow } from '../formats/threshold-rows';

/**
 * The host rules' per-batch listings, as the notebook's three queries print them for each 60-s
 * batch: the events of the batch (one per host, field and time: the `stack(3, …)` unpivot, a
 * missing metric a null value) joined with the thresholds on (id, field), then
 * - `latest`: `row_no, ts, id, field, value, low, high` of the newest violation per (id, field)
 *   (`row_no = 1`);
 * - `count`: `row_no, cnt, ts, id, field, value, low, high`, the same when the batch holds more
 *   than `moreThan` violations of the (id, field) (`cnt > 3`);
 * - `consecutive`: `row_no, ts, id, field, value, value1, value2, low, high`, when the newest
 *   event of the (id, field) and the two before it all violate (`lead(value, 1)`, `lead(value, 2)`).
 * A violation is `value < low or value > high`. A batch is 60 s of event time (the notebook's
 * were 60 s of arrival). Rows in (id, field) order, which `show()` leaves to chance.
 */
export const listingKinds = ['latest', 'count', 'consecutive'] as const;
export type ListingKind = (typeof listingKinds)[number];

export interface HostEvent {
  ts: number;
  id: string;
  field: string;
  value: number | null;
}

export interface Bounds {
  low: number | null;
  high: number | null;
}

export interface BatchListing {
  batchStart: number;
  columns: string[];
  rows: Array<Array<string | number | null>>;
}

const violates = (value: number | null, { low, high }: Bounds) => value !== null && ((low !== null && value < low) || (high !== null && value > high));

/** One batch's listing (its events all of the batch). */
export function batchListing(batchStart: number, events: readonly HostEvent[], boundsOf: (id: string, field: string) => Bounds | undefined, kind: ListingKind, { moreThan = 3 } = {}): BatchListing {
  return { batchStart, ...listing(events, boundsOf, kind, moreThan) };
}

function listing(events: readonly HostEvent[], boundsOf: (id: string, field: string) => Bounds | undefined, kind: ListingKind, moreThan: number): Omit<BatchListing, 'batchStart'> {
  const groups = new Map<string, { id: string; field: string; bounds: Bounds; events: HostEvent[] }>();
  for (const event of events) {
    const bounds = boundsOf(event.id, event.field);
    if (!bounds) continue;
    const key = `${event.id}\u0000${event.field}`;
    const group = groups.get(key) ?? { id: event.id, field: event.field, bounds, events: [] };
    group.events.push(event);
    groups.set(key, group);
  }
  const ordered = [...groups.values()].sort((a, b) => (a.id === b.id ? a.field.localeCompare(b.field) : a.id.localeCompare(b.id)));
  const rows: BatchListing['rows'] = [];
  for (const { id, field, bounds, events: all } of ordered) {
    // Newest first, as `order by ts desc`; of two at the same time, the later one read.
    const newest = all.map((event, i) => ({ event, i })).sort((a, b) => b.event.ts - a.event.ts || b.i - a.i).map(({ event }) => event);
    if (kind === 'consecutive') {
      const [value, value1, value2] = newest;
      if (value && violates(value.value, bounds) && violates(value1?.value ?? null, bounds) && violates(value2?.value ?? null, bounds)) {
        rows.push([1, value.ts, id, field, value.value, value1!.value, value2!.value, bounds.low, bounds.high]);
      }
      continue;
    }
    const violations = newest.filter((event) => violates(event.value, bounds));
    const latest = violations[0];
    if (!latest) continue;
    if (kind === 'latest') rows.push([1, latest.ts, id, field, latest.value, bounds.low, bounds.high]);
    else if (violations.length > moreThan) rows.push([1, violations.length, latest.ts, id, field, latest.value, bounds.low, bounds.high]);
  }
  const columns = {
    latest: ['row_no', 'ts', 'id', 'field', 'value', 'low', 'high'],
    count: ['row_no', 'cnt', 'ts', 'id', 'field', 'value', 'low', 'high'],
    consecutive: ['row_no', 'ts', 'id', 'field', 'value', 'value1', 'value2', 'low', 'high'],
  }[kind];
  return { columns, rows };
}

/**
 * A thresholds file read as the notebook read `thresholds.csv`, with Vigil's layers: a host's own
 * row for a field, else the `*` row; a removing row (both bounds empty) takes the field's rule
 * away, and a later row wins over an earlier one.
 */
export function boundsFromRows(rows: readonly ThresholdRow[]): (id: string, field: string) => Bounds | undefined {
  const layers = new Map<string, Map<string, Bounds | null>>();
  for (const { device, change } of rows) {
    const layer = layers.get(device) ?? new Map<string, Bounds | null>();
    layer.set(change.field, change.rule === null ? null : { low: change.rule.low, high: change.rule.high });
    layers.set(device, layer);
  }
  return (id, field) => (layers.get(id)?.get(field) ?? layers.get('*')?.get(field)) ?? undefined;
}

/**
 * The notebook's `stack(n, 'loadavg', loadavg, …)`: one event per metric of a host record, a
 * metric the record lacks a null value (which violates nothing).
 */
export function unpivot(reading: { deviceId: string; ts: number; values: Readonly<Record<string, number>> }, metrics: readonly string[]): HostEvent[] {
  return metrics.map((field) => ({ ts: reading.ts, id: reading.deviceId, field, value: reading.values[field] ?? null }));
}

/**
 * Groups events into batches of event time and hands a batch over once the newest event time
 * read has reached its end: the notebook's batch was closed by the clock, so a record read later
 * never changed a printed batch; here one whose batch was handed over already is counted as late.
 */
export class EventTimeBatches {
  private readonly open = new Map<number, HostEvent[]>();
  private newest = -Infinity;
  /** Batches starting before this were handed over. */
  private closedBefore = -Infinity;
  /** Events that came after their batch was handed over, and so are in no listing. */
  late = 0;

  constructor(private readonly batchMs = 60_000) {}

  add(events: readonly HostEvent[]): void {
    for (const event of events) {
      const start = Math.floor(event.ts / this.batchMs) * this.batchMs;
      if (start < this.closedBefore) {
        this.late += 1;
        continue;
      }
      const batch = this.open.get(start);
      if (batch) batch.push(event);
      else this.open.set(start, [event]);
      this.newest = Math.max(this.newest, event.ts);
    }
  }

  /** The batches whose end the newest event time has reached, oldest first. */
  takeClosed(): Array<{ batchStart: number; events: HostEvent[] }> {
    return this.take((start) => start + this.batchMs <= this.newest);
  }

  /** Every batch still open (the end of the input). */
  takeAll(): Array<{ batchStart: number; events: HostEvent[] }> {
    return this.take(() => true);
  }

  private take(due: (start: number) => boolean) {
    const starts = [...this.open.keys()].filter(due).sort((a, b) => a - b);
    const taken = starts.map((batchStart) => ({ batchStart, events: this.open.get(batchStart)! }));
    for (const start of starts) this.open.delete(start);
    if (starts.length > 0) this.closedBefore = Math.max(this.closedBefore, starts.at(-1)! + this.batchMs);
    return taken;
  }
}

/** A batch's heading, its time span in UTC, as Spark Streaming heads a batch's output with its time. */
export function batchHeading(batchStart: number, batchMs = 60_000): string {
  const rule = '-'.repeat(43);
  return [rule, `Batch: ${timestamp(batchStart)} to ${timestamp(batchStart + batchMs).slice(11)} UTC`, rule].join('\n');
}

const DOUBLE_COLUMNS = new Set(['value', 'value1', 'value2', 'low', 'high']);

/** `yyyy-MM-dd HH:mm:ss` in UTC, as `show()` prints a timestamp. */
const timestamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** A listing as Spark's `Dataset.show()` prints it: a boxed table, each cell right-aligned, doubles as Java prints them, null as `null`. */
export function showTable({ columns, rows }: Pick<BatchListing, 'columns' | 'rows'>): string {
  const cells = rows.map((row) => row.map((cell, i) => (cell === null ? 'null' : columns[i] === 'ts' ? timestamp(cell as number) : DOUBLE_COLUMNS.has(columns[i]!) ? javaDouble(cell as number) : String(cell))));
  const widths = columns.map((column, i) => Math.max(3, column.length, ...cells.map((row) => row[i]!.length)));
  const line = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
  const format = (row: string[]) => `|${row.map((cell, i) => cell.padStart(widths[i]!)).join('|')}|`;
  return [line, format(columns), line, ...cells.map(format), line].join('\n');
}
