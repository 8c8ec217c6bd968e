import { javaDouble } from '../drop-in/java-double';

/**
 * The host rules' per-batch listings, as the notebook's three queries print them for each 60-s
 * batch: the events of the batch (one per host, field and time: the `stack(3, …)` unpivot, a
 * missing metric a null value) joined with the thresholds on (id, field), then
 * - `latest`: `row_no, ts, id, field, value, low, high` of the newest violation per (id, field)
 *   (`row_no = 1`);
 * - `count`: `row_no, cnt, ts, id, field, value, low, high`, the same when the batch holds more
 *   than `atLeast` violations of the (id, field) (`cnt > 3`);
 * - `consecutive`: `row_no, ts, id, field, value, value1, value2, low, high`, when the newest
 *   event of the (id, field) and the two before it all violate (`lead(value, 1)`, `lead(value, 2)`).
 * A violation is `value < low or value > high`. A batch is 60 s of event time (the notebook's
 * were 60 s of arrival). Rows in (id, field) order, which `show()` leaves to chance.
 */
export type ListingKind = 'latest' | 'count' | 'consecutive';

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

/** Each batch's listing, in batch order; `boundsOf` gives a host's field's threshold (none: the field is not judged). */
export function batchListings(events: readonly HostEvent[], boundsOf: (id: string, field: string) => Bounds | undefined, kind: ListingKind, { batchMs = 60_000, atLeast = 3 } = {}): BatchListing[] {
  const batches = new Map<number, HostEvent[]>();
  for (const event of events) {
    const start = Math.floor(event.ts / batchMs) * batchMs;
    batches.set(start, [...(batches.get(start) ?? []), event]);
  }
  return [...batches.keys()].sort((a, b) => a - b).map((batchStart) => ({ batchStart, ...listing(batches.get(batchStart)!, boundsOf, kind, atLeast) }));
}

function listing(events: HostEvent[], boundsOf: (id: string, field: string) => Bounds | undefined, kind: ListingKind, atLeast: number): Omit<BatchListing, 'batchStart'> {
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
    else if (violations.length > atLeast) rows.push([1, violations.length, latest.ts, id, field, latest.value, bounds.low, bounds.high]);
  }
  const columns = {
    latest: ['row_no', 'ts', 'id', 'field', 'value', 'low', 'high'],
    count: ['row_no', 'cnt', 'ts', 'id', 'field', 'value', 'low', 'high'],
    consecutive: ['row_no', 'ts', 'id', 'field', 'value', 'value1', 'value2', 'low', 'high'],
  }[kind];
  return { columns, rows };
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
