import { z } from 'zod';
import type { Config } from '../config';
import { connectPostgres } from '../connections/postgres';
import { postgresWhere } from '../security/postgres-problems';

/** One line of the host rules' listing: the latest reading of a (device, field) outside its threshold's bounds. */
export const latestViolationSchema = z.object({
  ts: z.date(),
  device: z.string(),
  field: z.string(),
  value: z.number(),
  /** The bounds in force when the reading was judged (from the anomaly's explanation); null: unbounded. */
  low: z.number().nullable(),
  high: z.number().nullable(),
});
export type LatestViolation = z.infer<typeof latestViolationSchema>;

/**
 * The host rules' row_number() query on the sink's `anomalies` table: of the threshold detector's
 * raised and updated steps whose value lies outside the bounds it was judged against (so not a
 * resolution, nor a step of a removed rule), the newest per (device, field).
 */
export const latestViolationsSql = `
SELECT ts, device, field, value, low, high
FROM (
  SELECT row_number() OVER (PARTITION BY device_id, field ORDER BY ts DESC, (source->>'offset')::bigint DESC, event_id DESC) AS row_no,
         ts, device_id AS device, field, value,
         (explanation->>'low')::float8 AS low, (explanation->>'high')::float8 AS high
  FROM anomalies
  WHERE detector = 'threshold' AND status IN ('raised', 'updated')
    AND (value < (explanation->>'low')::float8 OR value > (explanation->>'high')::float8)
) AS temp
WHERE row_no = 1
ORDER BY device, field`;

/** PostgreSQL's code for a table that does not exist. */
const UNDEFINED_TABLE = '42P01';

/** `vigil violations`: reads the sink's PostgreSQL, so it needs the sink to have run (it needs no worker). */
export async function latestViolations(config: Config): Promise<LatestViolation[]> {
  // A database that does not answer, or refuses the credentials, is one line naming the setting.
  const client = await connectPostgres(config);
  try {
    const result = await client.query(latestViolationsSql);
    return z.array(latestViolationSchema).parse(result.rows);
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) {
      throw new Error(`PostgreSQL at ${postgresWhere(config.postgres)} has no sink tables: run bin/vigil services up (it applies the migrations) and bin/vigil sink.`);
    }
    throw error;
  } finally {
    await client.end();
  }
}
