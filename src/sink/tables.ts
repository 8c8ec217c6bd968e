import type { Pool, PoolClient } from 'pg';
import { type Aggregate, aggregateKey } from '../contracts/aggregates';
import type { AnomalyEvent } from '../contracts/anomalies';
import type { Reading, Source } from '../reading';

/** One table's write: columns in order, a row per record, and what to do on a key conflict. */
export interface TableWrite {
  table: string;
  columns: string[];
  rows: unknown[][];
  onConflict: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function anomalyRows(events: AnomalyEvent[]): TableWrite {
  return {
    table: 'anomalies',
    columns: ['event_id', 'anomaly_id', 'status', 'device_id', 'detector', 'field', 'ts', 'value', 'explanation', 'source', 'suppressed'],
    rows: events.map((e) => [
      e.eventId, e.anomalyId, e.status, e.deviceId, e.detector, e.field, iso(e.ts), e.value, JSON.stringify(e.explanation), JSON.stringify(e.source),
      e.suppressed ? JSON.stringify(e.suppressed) : null,
    ]),
    // The event id is deterministic: a re-published event is the same row.
    onConflict: 'ON CONFLICT (event_id) DO NOTHING',
  };
}

/**
 * The hourly averages' merge on (device, field, window start), an upsert as a streaming job's merge would do. A final row is never changed again, so a
 * re-read older update (after a rebalance) cannot undo it. Within one statement a key may appear
 * only once, so the newest version of each window (the last in partition order) is kept.
 */
export function hourlyAggregateRows(aggregates: Aggregate[]): TableWrite {
  const newest = new Map<string, Aggregate>();
  for (const a of aggregates) if (a.kind === 'hourly') newest.set(aggregateKey(a), a);
  return {
    table: 'hourly_aggregates',
    columns: ['device_id', 'field', 'window_start', 'window_end', 'count', 'avg', 'min', 'max', 'final'],
    rows: [...newest.values()].map((a) => [a.deviceId, a.field, iso(a.windowStart), iso(a.windowEnd), a.count, a.avg, a.min, a.max, a.final]),
    onConflict: `ON CONFLICT (device_id, field, window_start) DO UPDATE SET
      window_end = excluded.window_end, count = excluded.count, avg = excluded.avg, min = excluded.min,
      max = excluded.max, final = excluded.final, updated_at = now()
      WHERE NOT hourly_aggregates.final`,
  };
}

/** Every reading (a data dump): the first reading of a device at an event time is kept. */
export function readingRows(readings: Array<{ reading: Reading; source: Source }>): TableWrite {
  return {
    table: 'readings',
    columns: ['device_id', 'ts', 'values', 'attrs', 'source'],
    rows: readings.map(({ reading, source }) => [reading.deviceId, iso(reading.ts), JSON.stringify(reading.values), reading.attrs ? JSON.stringify(reading.attrs) : null, JSON.stringify(source)]),
    onConflict: 'ON CONFLICT (device_id, ts) DO NOTHING',
  };
}

async function insertChunk(client: PoolClient, write: TableWrite, rows: unknown[][]): Promise<number> {
  const width = write.columns.length;
  const tuples = rows.map((_, r) => `(${write.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`);
  const columns = write.columns.map((c) => `"${c}"`).join(', ');
  const result = await client.query(`INSERT INTO ${write.table} (${columns}) VALUES ${tuples.join(', ')} ${write.onConflict}`, rows.flat());
  return result.rowCount ?? 0;
}

/**
 * Writes every table's rows in one transaction, `batchRows` rows per statement: a batch of
 * Kafka records is stored whole or not at all. Returns the rows each table actually changed.
 */
export async function writeTables(pool: Pool, writes: TableWrite[], batchRows: number): Promise<Record<string, number>> {
  const changed: Record<string, number> = {};
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const write of writes) {
      let rows = 0;
      for (let i = 0; i < write.rows.length; i += batchRows) rows += await insertChunk(client, write, write.rows.slice(i, i + batchRows));
      changed[write.table] = rows;
    }
    await client.query('COMMIT');
    return changed;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
