import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { scoreFile } from '../../src/backtest/score-file';
import { type EnrichedReading, enrichedReadingSchema } from '../../src/contracts/enriched';
import { seededRandom } from '../../src/samples';
import { artifactsDir, type Pipeline, waitFor } from './pipeline';
import { ProcessWatch, streamInChunks } from './faults';
import { type SharedStoreKind, sharedStoreEnv } from './model-stores';
import { sumSeries } from './vigil-process';

const DEVICES = 12;
const READINGS = 300;
const FIELDS = ['temp', 'humidity'] as const;
const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3600_000;

interface Host {
  name: string;
  child: ChildProcess;
}

/** A daily pattern with noise and a few spikes, per device and field, hourly: what HTM learns and flags. */
function sample(p: Pipeline) {
  const random = seededRandom(25);
  const devices = Array.from({ length: DEVICES }, (_, d) => `${p.runName}-host-dev-${d}`);
  const readings = devices.flatMap((deviceId, d) =>
    Array.from({ length: READINGS }, (_, i) => {
      const daily = Math.sin((2 * Math.PI * (i + d)) / 24);
      const spike = i === 150 + d || i === 260 ? 25 : 0;
      return {
        deviceId,
        ts: T0 + i * HOUR,
        values: { temp: Math.round((20 + 5 * daily + random() + spike) * 100) / 100, humidity: Math.round((55 - 10 * daily + 2 * random()) * 100) / 100 },
      };
    }),
  );
  // Interleaved across devices, as producers send them; each device's in order.
  const interleaved = Array.from({ length: READINGS }, (_, i) => devices.map((_, d) => readings[d * READINGS + i]!)).flat();
  const file = path.join(artifactsDir, `${p.runName}-hosts.csv`);
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.writeFileSync(file, ['deviceId,ts,temp,humidity', ...interleaved.map((r) => `${r.deviceId},${r.ts},${r.values.temp},${r.values.humidity}`)].join('\n'));
  return { devices, readings: interleaved, file };
}

/** What `bin/vigil score --format reading --detector htm --field <f> --device <d>` gives, by device and field: the reference. */
function backtest(p: Pipeline, file: string, deviceId: string, field: string): string[][] {
  const { csv, rejected } = scoreFile(p.config, file, { detector: 'htm', format: 'reading', field, device: deviceId });
  expect(rejected).toEqual([]);
  return csv.trim().split('\n').slice(1).map((line) => line.split(','));
}

/** An enriched record as the backtest's row: timestamp, value, anomaly_score, raw_score, likelihood, log_likelihood, spatial_anomaly, prediction, prediction_next, error. */
function asRow(r: EnrichedReading): string[] {
  const cell = (value: number | boolean | null | undefined) => (value === null || value === undefined ? '' : String(value));
  return [new Date(r.ts).toISOString(), String(r.value), cell(r.score), cell(r.anomaly), cell(r.likelihood), cell(r.logLikelihood), cell(r.spatialAnomaly), cell(r.prediction), cell(r.predictionNext), cell(r.error)];
}

/**
 * Three workers as three hosts: each its own cache folder (no disk shared), one shared model
 * store (PostgreSQL or S3), HTM on every field. The worker holding most models is killed with
 * SIGKILL mid-stream. Every reading of every field must be enriched (a re-publication identical
 * to the first), applied once, and scored exactly as `vigil score` scores the device's readings;
 * the survivors must have read the dead worker's checkpoints from the shared store, and no
 * worker may have missed one.
 */
export async function survivesHostLoss(p: Pipeline, kind: SharedStoreKind): Promise<void> {
  const { devices, readings, file } = sample(p);
  await p.setUp();
  const enriched: EnrichedReading[] = [];
  await p.follow(p.config.kafka.topics.enriched, (value) => enriched.push(enrichedReadingSchema.parse(JSON.parse(value))));
  const processes = new ProcessWatch(p);
  const hosts: Host[] = [];
  for (const name of ['host-a', 'host-b', 'host-c']) {
    fs.rmSync(p.logFileOf('worker', name), { force: true });
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), `vigil-${name}-cache-`));
    const child = await processes.start('worker', { name, env: { VIGIL_MODEL_CACHE_DIR: cacheDir, VIGIL_WORKER_NAME: `${p.runName}-${name}` } });
    hosts.push({ name, child });
  }
  await processes.start('ingest');
  // Ready, as a Kubernetes probe asks it (deploy/kubernetes/workers.yaml).
  for (const host of hosts) {
    const log = fs.readFileSync(p.logFileOf('worker', host.name), 'utf8');
    const url = [...log.matchAll(/"metrics":"(http:\/\/127\.0\.0\.1:\d+)\/metrics"/g)].at(-1)?.[1];
    await waitFor(`${host.name} ready`, async () => (await fetch(`${url}/readyz`)).status === 200, 10_000);
  }
  const models = async (host: Host) => sumSeries(await p.metrics('worker', host.name), (series) => series === 'vigil_htm_models_live');
  let killed: Host | undefined;
  const messages = readings.map((r) => ({ key: r.deviceId, value: JSON.stringify(r) }));
  await streamInChunks(p, p.topicFor('reading'), messages, 10, async (chunk) => {
    if (chunk !== 4) return;
    // Past the first checkpoints (every 100 readings), with models spread over the hosts.
    await waitFor('readings scored past the first checkpoints', () => enriched.length >= DEVICES * FIELDS.length * 150, 180_000, () => `${enriched.length} enriched`);
    const held = await Promise.all(hosts.map(async (host) => ({ host, models: await models(host) })));
    held.sort((a, b) => b.models - a.models);
    expect(held[0]!.models, 'the killed worker holds live models').toBeGreaterThan(0);
    killed = held[0]!.host;
    processes.kill(killed.child);
  });
  const expected = readings.length * FIELDS.length;
  const distinct = () => new Set(enriched.map((r) => `${r.source.partition}/${r.source.offset}/${r.field}`)).size;
  await waitFor('every reading of every field enriched', () => distinct() >= expected, 240_000, () => `${distinct()} of ${expected}`);
  processes.expectNoCrash();

  // The same record whenever a reading was published again (a scoring retried after the kill).
  const first = new Map<string, EnrichedReading>();
  for (const record of enriched) {
    const id = `${record.source.partition}/${record.source.offset}/${record.field}`;
    const earlier = first.get(id);
    if (earlier) expect(record).toEqual(earlier);
    else first.set(id, record);
  }
  for (const deviceId of devices) {
    for (const field of FIELDS) {
      const live = [...first.values()].filter((r) => r.deviceId === deviceId && r.field === field).sort((a, b) => a.source.offset - b.source.offset).map(asRow);
      expect(live, `${deviceId} ${field}: the live scores are the backtest's`).toEqual(backtest(p, file, deviceId, field).map((row) => row.slice(0, 10)));
    }
  }
  const states = await p.statesOf(devices);
  for (const state of states.values()) {
    expect(state.counters.readingsApplied, `${state.deviceId}: every reading applied once`).toBe(READINGS);
    for (const field of FIELDS) expect(state.memories.htm[field]?.checkpointVersion).toBeGreaterThan(0);
  }

  // The survivors took over the dead host's devices from the shared store; nobody missed a checkpoint.
  const survivors = hosts.filter((host) => host !== killed);
  const metrics = await Promise.all(survivors.map((host) => p.metrics('worker', host.name)));
  const total = (series: string) => metrics.reduce((sum, m) => sum + sumSeries(m, (s) => s === series), 0);
  expect(total('vigil_htm_checkpoint_loads_total{from="shared"}'), `checkpoints read from the ${kind} store`).toBeGreaterThan(0);
  expect(total('vigil_htm_scoring_calls_total{model="restored"}')).toBeGreaterThan(0);
  for (const host of hosts) expect(fs.readFileSync(p.logFileOf('worker', host.name), 'utf8')).not.toMatch(/HtmCheckpointMissingError|is not in the model store/);
}

/** The settings of the pipeline whose hosts share a `kind` store. */
export function multiHostEnv(kind: SharedStoreKind, prefix: string): NodeJS.ProcessEnv {
  return {
    ...sharedStoreEnv(kind, prefix),
    VIGIL_DETECTORS: '*=htm',
    VIGIL_HTM_CHECKPOINT_EVERY: '100',
    VIGIL_HTM_THREADS: '1',
  };
}
