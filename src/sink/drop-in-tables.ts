import type { Pool } from 'pg';
import type { AnomalyEvent } from '../contracts/anomalies';
import type { Reading, Source } from '../reading';
import type { TableWrite } from './tables';

/**
 * The drop-in tables (see drop-in): the csv3 format's `data_dump` and `data_anomaly`,
 * and the meter's `hourly_usage` view of the hourly averages.
 */

const iso = (ms: number) => new Date(ms).toISOString();
const columns = ['id', 'current_temp', 'status', 'ts', 'source_topic', 'source_partition', 'source_offset'];
// The message is the key: a re-read message is the same row.
const onConflict = 'ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING';

/** Every csv3 reading, as `id, current_temp, status, ts` and its source. */
export function dataDumpRows(readings: ReadonlyArray<{ reading: Reading; source: Source }>): TableWrite {
  return {
    table: 'data_dump',
    columns,
    rows: readings.map(({ reading, source }) => [reading.deviceId, reading.values.temp, reading.attrs?.status ?? '', iso(reading.ts), source.topic, source.partition, source.offset]),
    onConflict,
  };
}

/** The csv3 readings a detector found anomalous on temp (raised or updated an anomaly), once each. */
export function dataAnomalyRows(events: readonly AnomalyEvent[], isCsv3Topic: (topic: string) => boolean): TableWrite {
  const anomalous = events.filter((e) => e.field === 'temp' && e.status !== 'resolved' && isCsv3Topic(e.source.topic));
  return {
    table: 'data_anomaly',
    columns,
    rows: anomalous.map((e) => [e.deviceId, e.value, e.attrs?.status ?? '', iso(e.ts), e.source.topic, e.source.partition, e.source.offset]),
    onConflict,
  };
}

/** A string literal for SQL: the zone is validated by the configuration, and quoted all the same. */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * `hourly_usage`: the meter's hourly averages as its users' table had them, `device, start, end,
 * avg_usage`, with start and end in the meter's wall clock (the zone its rows are read in). A view
 * of `hourly_aggregates`, so it is upserted as late readings arrive. Replaced on every sink start
 * (under a lock: several sinks may start at once) so it follows the configured zone.
 */
export async function ensureHourlyUsageView(pool: Pool, timeZone: string): Promise<void> {
  const zone = literal(timeZone);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('vigil.hourly_usage'))");
    await client.query(`CREATE OR REPLACE VIEW hourly_usage AS
      SELECT device_id AS device, window_start AT TIME ZONE ${zone} AS start, window_end AT TIME ZONE ${zone} AS "end", avg AS avg_usage
      FROM hourly_aggregates WHERE field = 'usage'`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
