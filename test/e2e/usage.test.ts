import fs from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { pgConfig } from '../../src/connections/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/device/windows';
import { pythonFloat } from '../../src/drop-in/python-json';
import { formatWallTime, parseWallTime, wallClockAt, wallTimeToEpochMs } from '../../src/time/wall-time';
import { generateUsageSample, USAGE_SAMPLE_TIME_ZONE, usageSampleCsv } from '../../src/samples';
import { artifactsDir, Pipeline, waitFor } from '../support/pipeline';

/**
 * Seed 003 end to end on the real services: the 6-week usage sample replayed into the `usage`
 * topic, judged by the seasonal Isolation Forest in the device workflow, hourly averages in event
 * time on `aggregates`, and the SQL sink's tables in the local PostgreSQL.
 */
const p = new Pipeline('e2e-usage');
const sample = generateUsageSample();
const deviceId = `${p.runName}-library`;
const readings = sample.rows.map((row) => row.usageKw);
let db: PgClient;
let file: string;
/** The drop-in `anomaly` topic, as its consumers read it. */
const meterRecords: Array<{ key: string | undefined; value: string }> = [];

/** A row's event time as the usage format reads it: its start, a wall time in the sample's zone. */
const times = sample.rows.map((row) => wallTimeToEpochMs(parseWallTime(row.start)!, USAGE_SAMPLE_TIME_ZONE)!);
const tsOf = (i: number) => times[i]!;
const lastTs = tsOf(readings.length - 1);

function expectedHours(): Map<number, { count: number; sum: number }> {
  const hours = new Map<number, { count: number; sum: number }>();
  readings.forEach((value, i) => {
    const start = Math.floor(tsOf(i) / HOUR_MS) * HOUR_MS;
    const hour = hours.get(start) ?? { count: 0, sum: 0 };
    hour.count += 1;
    hour.sum += value;
    hours.set(start, hour);
  });
  return hours;
}

async function tables() {
  const anomalies = await db.query('SELECT event_id, status, ts, value FROM anomalies WHERE device_id = $1 ORDER BY event_id', [deviceId]);
  const hours = await db.query('SELECT window_start, count, avg, min, max, final, updated_at FROM hourly_aggregates WHERE device_id = $1 ORDER BY window_start', [deviceId]);
  const dump = await db.query(`SELECT count(*)::int AS rows, sum((values->>'usage')::float8) AS total FROM readings WHERE device_id = $1`, [deviceId]);
  // The drop-in view, its times as text: node-pg would read a timestamp without zone in the process's zone.
  const usage = await db.query(
    `SELECT device, to_char(start, 'YYYY-MM-DD HH24:MI:SS') AS start, to_char("end", 'YYYY-MM-DD HH24:MI:SS') AS "end", avg_usage FROM hourly_usage WHERE device = $1 ORDER BY start`,
    [deviceId],
  );
  return { anomalies: anomalies.rows, hours: hours.rows, dump: dump.rows[0] as { rows: number; total: number | null }, usage: usage.rows };
}

/** The view's rows as arrays: device, start, end, avg_usage. */
const tablesUsage = ({ usage }: { usage: Array<{ device: string; start: string; end: string; avg_usage: number }> }) => usage.map((r) => [r.device, r.start, r.end, r.avg_usage]);

const lateLetters = () => p.deadLetters.filter((l) => l.key === deviceId && l.headers['vigil.dlq.reason'] === 'late');

beforeAll(async () => {
  await p.setUp();
  db = new PgClient(pgConfig(p.config));
  await db.connect();
  await p.follow(p.config.dropIn.topics.meterAnomalies, (value, key) => meterRecords.push({ key, value }));
  await p.start('worker');
  await p.start('ingest');
  p.env.VIGIL_SINK_STORE_READINGS = 'true'; // seed 004's data_dump as well
  await p.start('sink');
  fs.mkdirSync(artifactsDir, { recursive: true });
  file = path.join(artifactsDir, `${p.runName}-usage.csv`);
  fs.writeFileSync(file, usageSampleCsv(sample));
});

afterAll(async () => {
  await db?.end();
  await p.tearDown();
});

describe('seasonal Isolation Forest, hourly windows and the PostgreSQL sink (seed 003)', () => {
  it('reports exactly the injected anomalies and the hourly averages, in Kafka and in PostgreSQL', async () => {
    const replayed = await p.vigil(['replay', file, '--format', 'usage', '--device', deviceId]);
    expect(replayed.code, replayed.stderr).toBe(0);
    await waitFor('every reading applied', async () => (await p.deviceState(deviceId).catch(() => undefined))?.counters.readingsApplied === readings.length, 180_000);

    const seasonal = () => p.anomalies.filter((a) => a.deviceId === deviceId && a.detector === 'seasonal-iforest');
    await waitFor('the injected anomalies and their resolutions', () => seasonal().length >= 2 * sample.anomalies.length, 60_000, () => JSON.stringify(seasonal().map((a) => [a.status, a.ts])));
    expect(seasonal().filter((a) => a.status === 'raised').map((a) => [a.ts, a.value])).toEqual(sample.anomalies.map((a) => [a.epochMs, a.value]));

    // Hourly averages: every hour whose lateness has run out is final, with the exact mean.
    const expected = expectedHours();
    const finalStarts = [...expected.keys()].filter((start) => start + 2 * HOUR_MS <= lastTs);
    const finals = () => p.aggregates.filter((a) => a.deviceId === deviceId && a.kind === 'hourly' && a.final);
    await waitFor('every closed hour final on `aggregates`', () => finals().length >= finalStarts.length, 60_000);
    expect(finals().map((a) => a.windowStart)).toEqual(finalStarts);
    for (const a of finals()) {
      const hour = expected.get(a.windowStart)!;
      expect([a.count, a.avg]).toEqual([hour.count, hour.sum / hour.count]);
    }

    // The sink: each anomaly event once, each hour once, with the same figures.
    const kafkaEvents = p.anomalies.filter((a) => a.deviceId === deviceId);
    await waitFor('the sink to catch up', async () => {
      const { anomalies, hours } = await tables();
      return anomalies.length === new Set(kafkaEvents.map((e) => e.eventId)).size && hours.filter((h) => h.final).length === finalStarts.length;
    }, 60_000, () => 'tables behind Kafka');
    await waitFor('every reading dumped', async () => (await tables()).dump.rows === readings.length, 60_000);
    const { anomalies, hours, dump } = await tables();
    expect(dump.total).toBeCloseTo(readings.reduce((sum, v) => sum + v, 0), 6);
    expect(anomalies.filter((a) => a.status === 'raised').length).toBe(kafkaEvents.filter((e) => e.status === 'raised').length);
    expect(hours.length).toBe(expected.size);
    for (const row of hours) {
      const hour = expected.get(row.window_start.getTime())!;
      expect(row.count).toBe(hour.count);
      expect(row.avg).toBeCloseTo(hour.sum / hour.count, 9);
    }

    // The drop-ins: `anomaly` holds `{ts, usage}` of exactly the injected anomalies, ts as the rows wrote it;
    // `hourly_usage` holds each hour as `start, end, avg_usage` in the meter's wall clock.
    await waitFor('the anomalies on the drop-in topic', () => meterRecords.length >= sample.anomalies.length, 30_000);
    // In the bytes of the Python consumer's json.dumps: `{"ts": "…", "usage": 1340.73}`.
    expect(meterRecords.map((r) => [r.key, r.value])).toEqual(sample.anomalies.map((a) => [deviceId, `{"ts": "${a.ts}", "usage": ${pythonFloat(a.value)}}`]));
    const wall = (epochMs: number) => formatWallTime(wallClockAt(epochMs, USAGE_SAMPLE_TIME_ZONE));
    expect(tablesUsage(await tables())).toEqual([...expected.entries()].map(([start, hour]) => [deviceId, wall(start), wall(start + HOUR_MS), hour.sum / hour.count]));
  });

  it('leaves the tables unchanged when the same file is replayed again', async () => {
    const before = await tables();
    const replayed = await p.vigil(['replay', file, '--format', 'usage', '--device', deviceId]);
    expect(replayed.code, replayed.stderr).toBe(0);
    // The last hour of readings is recognised as re-sent; everything older is too late.
    const resent = readings.filter((_, i) => tsOf(i) >= lastTs - HOUR_MS).length;
    await waitFor('the replay refused', async () => lateLetters().length === readings.length - resent, 120_000, () => `${lateLetters().length} late letters`);
    await waitFor('the duplicates skipped', async () => (await p.deviceState(deviceId)).counters.duplicatesSkipped === resent, 30_000);
    const state = await p.deviceState(deviceId);
    expect([state.counters.readingsApplied, state.counters.lateDropped]).toEqual([readings.length, readings.length - resent]);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // anything the sink would write, it has written by now
    expect(await tables()).toEqual(before);
    expect(meterRecords).toHaveLength(sample.anomalies.length);
  });

  it('lets a reading within the hour of lateness update its average, and dead-letters a later one', async () => {
    const lastRow = sample.rows.at(-1)!;
    const date = lastRow.start.slice(0, 10);
    const lastHour = Math.floor(lastTs / HOUR_MS) * HOUR_MS;
    const before = p.aggregates.filter((a) => a.deviceId === deviceId && a.kind === 'hourly' && a.windowStart === lastHour).at(-1)!;
    const inTime = { ts: `${date} 23:27:30`, value: 1000 }; // 27.5 min behind the newest reading
    const tooLate = { ts: `${date} 21:02:00`, value: 1000 }; // 2 h 53 min behind
    await p.send([inTime, tooLate].map((body) => ({ key: deviceId, value: JSON.stringify(body) })), p.topicFor('usage'));

    const updated = () => p.aggregates.filter((a) => a.deviceId === deviceId && a.kind === 'hourly' && a.windowStart === lastHour && a.count === before.count + 1);
    await waitFor('the hour updated by the late reading', () => updated().length === 1, 30_000);
    expect(updated()[0]?.avg).toBeCloseTo((before.avg! * before.count + 1000) / (before.count + 1), 9);
    await waitFor('the too-late reading dead-lettered', () => lateLetters().some((l) => JSON.parse(l.value?.toString() ?? '{}').values?.usage === 1000), 30_000);
    const letter = lateLetters().find((l) => JSON.parse(l.value?.toString() ?? '{}').values?.usage === 1000)!;
    expect(letter.headers['vigil.dlq.detail']).toMatch(/behind the device's newest reading/);
    await waitFor('the sink to store the update', async () => (await tables()).hours.some((h) => h.window_start.getTime() === lastHour && h.count === before.count + 1), 30_000);
    // The dump keeps every valid reading, the refused one too: it is the raw record of input.
    await waitFor('both readings dumped', async () => (await tables()).dump.rows === readings.length + 2, 30_000);
  });
});
