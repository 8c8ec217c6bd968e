import fs from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { csv3Lines, tempOf } from '../../src/cli/demo/csv3-lines';
import { pgConfig } from '../../src/connections/postgres';
import { HOUR_MS } from '../../src/device/windows';
import { pythonFloat } from '../../src/drop-in/python-json';
import { generateSensorSample, generateUsageSample, USAGE_SAMPLE_TIME_ZONE, usageSampleCsv } from '../../src/samples';
import { formatWallTime, parseWallTime, wallClockAt, wallTimeToEpochMs } from '../../src/time/wall-time';
import { kcatProduce, runMeterProducer } from '../support/clients';
import { artifactsDir, usePipeline, waitFor } from '../support/pipeline';

/**
 * The users' own clients, unchanged, against the real local Kafka, end to end to the drop-in
 * outputs, at the default settings (no VIGIL_* variable but the tests' isolation): kcat sending
 * lines without a key, and a Python producer written like the meter's (confluent-kafka, unkeyed
 * JSON, one flush per message). Each device's readings land on any partition.
 */
const newPipeline = usePipeline();

describe('their producers, unchanged: no key, default settings', () => {
  it('kcat: unkeyed csv3 lines fill data_dump, and `WHERE currentTemp > 100` on data_anomaly returns exactly the lines above 100', async () => {
    const p = newPipeline('e2e-kcat-csv3');
    await p.setUp();
    const db = new PgClient(pgConfig(p.config));
    await db.connect();
    try {
      await p.start('worker');
      await p.start('ingest');
      await p.start('sink');
      const { lines } = csv3Lines(p.runName, 100);
      await kcatProduce(p.config, p.topicFor('csv3'), lines);
      const hot = lines.filter((line) => tempOf(line) > 100);
      const ids = [...new Set(lines.map((line) => line.split(',')[0] ?? ''))];
      const query = (sql: string) => db.query(`${sql} AND source_topic = $1`, [p.topicFor('csv3')]).then((r) => r.rows.map((row) => `${row.id},${row.t},${row.status}`).sort());
      await waitFor('every line in data_dump, every hot one in data_anomaly', async () =>
        (await query('SELECT id, currentTemp AS t, status FROM data_dump WHERE true')).length === lines.length &&
        (await query('SELECT id, currentTemp AS t, status FROM data_anomaly WHERE true')).length === hot.length, 150_000);
      expect(await query('SELECT id, currentTemp AS t, status FROM data_dump WHERE true')).toEqual([...lines].sort());
      // The csv3 job's own query, by its column's name; the name Vigil gave it first still answers.
      expect(await query('SELECT id, currentTemp AS t, status FROM data_anomaly WHERE currentTemp > 100')).toEqual([...hot].sort());
      expect(await query('SELECT id, current_temp AS t, status FROM data_anomaly WHERE current_temp > 100')).toEqual([...hot].sort());
      const states = await p.statesOf(ids);
      expect([...states.values()].reduce((n, s) => n + s.counters.readingsApplied, 0), 'every line applied once').toBe(lines.length);
      expect(p.deadLetters, 'nothing dead-lettered').toEqual([]);
    } finally {
      await db.end();
    }
  });

  it('kcat: unkeyed sensor JSON puts exactly its spikes on anomalyTopic', async () => {
    const p = newPipeline('e2e-kcat-sensor');
    await p.setUp();
    const reports: Array<{ key: string | undefined; value: string }> = [];
    await p.follow(p.config.dropIn.topics.sensorAnomalies, (value, key) => reports.push({ key, value }));
    await p.start('worker');
    await p.start('ingest');
    const sample = generateSensorSample({ devices: 5, readingsPerDevice: 300, spikesPerDevice: 2, seed: 22, prefix: `${p.runName}-s`, startTs: 1_790_000_000_000, intervalMs: 1000 });
    await kcatProduce(p.config, p.topicFor('sensor'), sample.records.map((r) => JSON.stringify(r)));
    const expected = sample.spikes.map((s) => JSON.stringify({ id: s.id, ts: s.ts, temp: s.temp })).sort();
    await waitFor('the spikes on anomalyTopic', () => new Set(reports.map((r) => r.value)).size >= expected.length, 180_000, () => `${reports.length}/${expected.length}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect([...new Set(reports.map((r) => r.value))].sort()).toEqual(expected);
    expect(reports.every((r) => r.key === JSON.parse(r.value).id), 'keyed by id').toBe(true);
    expect(p.deadLetters).toEqual([]);
  });

  it('kcat: a model on modelTopic, then unkeyed sensor JSON: exactly the readings above mean + 4·stdev on anomalyTopic, the model fixed', async () => {
    const p = newPipeline('e2e-kcat-model');
    await p.setUp();
    const reports: string[] = [];
    await p.follow(p.config.dropIn.topics.sensorAnomalies, (value) => reports.push(value));
    await p.start('worker');
    await p.start('ingest');
    const id = `${p.runName}-office`;
    const model = { n: 100, mean: 20, m2: 99 }; // stdev 1: the line is 24
    await kcatProduce(p.config, p.config.kafka.topics.model!, [JSON.stringify({ id, m2: model })]);
    await waitFor('the model taken', async () => (await p.deviceState(id).catch(() => undefined))?.counters.controlsApplied === 1, 60_000);
    // Below the line, far below it (the notebook looks above only), above it, and a long run above it (never a new level).
    const temps = [21, 23.9, 5, 24.5, 22, ...Array.from({ length: 15 }, (_, i) => 30 + i), 20];
    const readings = temps.map((temp, i) => JSON.stringify({ id, ts: 1_790_000_000_000 + i * 1000, temp, hum: 40 }));
    await kcatProduce(p.config, p.topicFor('sensor'), readings);
    const above = temps.flatMap((temp, i) => (temp > 24 ? [JSON.stringify({ id, ts: 1_790_000_000_000 + i * 1000, temp })] : []));
    await waitFor('every reading applied', async () => (await p.deviceState(id)).counters.readingsApplied === temps.length, 150_000);
    await waitFor('the reports', () => reports.length >= above.length, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(reports).toEqual(above);
    expect((await p.deviceState(id)).memories.zscore.temp).toMatchObject({ model, fixed: true });
  });

  it("kcat: the notebook's anomalyMemReport, one record per 1-minute window sliding by 1 s, as its query counts them: closed by a later reading, and by silence", async () => {
    const p = newPipeline('e2e-kcat-report');
    await p.setUp();
    const rows: Array<{ key: string | undefined; value: string }> = [];
    await p.follow(p.config.dropIn.topics.sensorAnomalyWindows, (value, key) => rows.push({ key, value }));
    await p.start('worker');
    await p.start('ingest');
    const [busy, silent] = [`${p.runName}-office`, `${p.runName}-lab`];
    const model = { n: 100, mean: 20, m2: 99 }; // stdev 1: above 24 is anomalous
    await kcatProduce(p.config, p.config.kafka.topics.model!, [busy, silent].map((id) => JSON.stringify({ id, m2: model })));
    await waitFor('the models taken', async () => (await Promise.all([busy, silent].map((id) => p.deviceState(id).catch(() => undefined)))).every((s) => s?.counters.controlsApplied === 1), 60_000);
    const t0 = 1_790_000_040_000; // a whole minute
    // The busy device: anomalous at 3 s and from 5 s to 19 s (each reading, a run), then normal; a reading at 100 s closes every window that holds one.
    const temps = [21, 23.9, 5, 24.5, 22, ...Array.from({ length: 15 }, (_, i) => 30 + i), 20];
    const busySeconds = [...temps.map((_, i) => i), 100];
    const busyReadings = busySeconds.map((second, i) => ({ id: busy, ts: t0 + second * 1000 + 250, temp: temps[i] ?? 21, hum: 40 }));
    // The silent device: one spike at 10 s, then nothing: its watermark (12 s) closes 2 of the 60 windows holding it;
    // the rest close when it is DISCONNECTED (60 s of silence). Closed windows go out with the device's next publication
    // (at once with an anomaly step, else within the window update interval, 60 s).
    const silentReadings = [0, 5, 10, 12].map((second) => ({ id: silent, ts: t0 + second * 1000, temp: second === 10 ? 31.5 : 20, hum: 40 }));
    await kcatProduce(p.config, p.topicFor('sensor'), [...busyReadings, ...silentReadings].map((r) => JSON.stringify(r)));
    // The notebook's query by brute force: per window [s, s + 60) holding an anomalous reading, its count and max temp.
    const expected = (id: string, readings: Array<{ ts: number; temp: number }>) => {
      const anomalous = readings.filter((r) => r.temp > 24).map((r) => ({ second: Math.floor(r.ts / 1000), temp: r.temp }));
      const seconds = anomalous.map((a) => a.second);
      const out: string[] = [];
      for (let start = Math.min(...seconds) - 59; start <= Math.max(...seconds); start += 1) {
        const inside = anomalous.filter((a) => a.second >= start && a.second < start + 60);
        if (inside.length === 0) continue;
        const iso = (second: number) => new Date(second * 1000).toISOString();
        out.push(`{"id":"${id}","window":{"start":"${iso(start)}","end":"${iso(start + 60)}"},"count":${inside.length},"temp":${Math.max(...inside.map((a) => a.temp)).toFixed(1)}}`);
      }
      return out;
    };
    const want = { [busy]: expected(busy, busyReadings), [silent]: expected(silent, silentReadings) };
    expect([want[busy]!.length, want[silent]!.length]).toEqual([60 + 16, 60]);
    const of = (id: string) => rows.filter((r) => r.key === id).map((r) => r.value);
    await waitFor('the busy device\'s windows, closed by its watermark', () => of(busy).length >= want[busy]!.length, 150_000, () => `${of(busy).length}/${want[busy]!.length}`);
    await waitFor('the silent device\'s windows, closed by its silence', () => of(silent).length >= want[silent]!.length, 150_000, () => `${of(silent).length}/${want[silent]!.length}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(of(busy)).toEqual(want[busy]);
    expect(of(silent)).toEqual(want[silent]);
    expect((await p.deviceState(silent)).connection.status).toBe('DISCONNECTED');
    expect(p.deadLetters).toEqual([]);
  });

  it('a Python confluent-kafka producer written like the meter’s: its injected anomalies on `anomaly` in json.dumps bytes, and the hourly table filled', async () => {
    const p = newPipeline('e2e-python-meter');
    await p.setUp();
    const db = new PgClient(pgConfig(p.config));
    await db.connect();
    try {
      // The default device of unkeyed usage messages; this test owns its rows in the shared database.
      const device = p.config.formats.usage.deviceId!;
      expect(device).toBe('meter');
      await db.query('DELETE FROM hourly_aggregates WHERE device_id = $1', [device]);
      const records: Array<{ key: string | undefined; value: string }> = [];
      await p.follow(p.config.dropIn.topics.meterAnomalies, (value, key) => records.push({ key, value }));
      await p.start('worker');
      await p.start('ingest');
      await p.start('sink');
      const sample = generateUsageSample();
      fs.mkdirSync(artifactsDir, { recursive: true });
      const file = path.join(artifactsDir, `${p.runName}-data_stream.csv`);
      fs.writeFileSync(file, usageSampleCsv(sample));
      // A week of rows a second: six weeks in seven steps.
      const output = await runMeterProducer(p.config, { file, topic: p.topicFor('usage'), start: sample.rows[0]!.start.slice(0, 10), stepFrequency: 1, accelerator: 7 * 24 * 60, maxIterations: 7 });
      expect(output).toContain(`Found ${7 * 288} records.`);

      const expected = sample.anomalies.map((a) => `{"ts": "${a.ts}", "usage": ${pythonFloat(a.value)}}`);
      await waitFor('the injected anomalies on `anomaly`', () => records.length >= expected.length, 200_000, () => `${records.length}/${expected.length}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(records.map((r) => r.value)).toEqual(expected);

      const state = await p.deviceState(device);
      expect(state.counters.readingsApplied, 'every row applied once').toBe(sample.rows.length);
      // The hourly table: every hour of the six weeks, its average exact, in the meter's wall clock.
      const hours = new Map<number, number[]>();
      for (const row of sample.rows) {
        const ts = wallTimeToEpochMs(parseWallTime(row.start)!, USAGE_SAMPLE_TIME_ZONE)!;
        const start = Math.floor(ts / HOUR_MS) * HOUR_MS;
        hours.set(start, [...(hours.get(start) ?? []), row.usageKw]);
      }
      const wall = (ms: number) => formatWallTime(wallClockAt(ms, USAGE_SAMPLE_TIME_ZONE));
      const rows = async () =>
        (await db.query(`SELECT to_char(start, 'YYYY-MM-DD HH24:MI:SS') AS start, avg_usage FROM hourly_usage WHERE device = $1 ORDER BY start`, [device])).rows as Array<{ start: string; avg_usage: number }>;
      await waitFor('every hour in hourly_usage', async () => (await rows()).length === hours.size, 60_000);
      const table = await rows();
      expect(table.map((r) => r.start)).toEqual([...hours.keys()].map(wall));
      table.forEach((r, i) => {
        const values = [...hours.values()][i]!;
        expect(r.avg_usage).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
      });
      expect(p.deadLetters).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
