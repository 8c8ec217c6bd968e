import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { connectIngest } from '../ingest/run';
import { generateSensorSample, generateUsageSample, sensorSampleCsv, USAGE_SAMPLE_TIME_ZONE, usageSampleCsv } from '../samples';
import { servicesUp } from '../services';
import { Sink } from '../sink/sink';
import { workflowIdFor } from '../workflows/definitions';
import { createWorker } from '../worker';
import { replayFile } from './replay';
import { formatAnomaly, tailAnomalies } from './tail';

export function workflowUiUrl(config: Config, deviceId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowIdFor(deviceId))}`;
}

/**
 * `vigil demo`: services up, a worker and the ingest in this process, a sample with injected
 * spikes replayed into Kafka, and the anomalies printed as they arrive.
 */
export async function runDemo(config: Config, say: (line: string) => void): Promise<void> {
  say('1/6 Starting the local services (the first run installs Temporal, Kafka and PostgreSQL)…');
  await servicesUp(config, (line) => say(`    ${line}`));

  say('2/6 Starting a worker, the ingest and the SQL sink…');
  const { worker, close } = await createWorker(config);
  const workerRun = worker.run();
  const ingest = await connectIngest(config);
  await ingest.start();
  const sink = new Sink(config);
  await sink.start();

  const sample = generateSensorSample({
    devices: 5, readingsPerDevice: 300, spikesPerDevice: 3, seed: 42, prefix: 'demo-sensor-',
    startTs: Math.floor(Date.now() / 1000) * 1000, intervalMs: 1000,
  });
  const file = path.join(config.home, 'samples', 'demo-sensors.csv');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, sensorSampleCsv(sample));
  say(`3/6 Wrote ${file}: 5 devices × 300 sensor records {id, ts, temp, hum}, ${sample.spikes.length} temperature spikes injected`);

  const expected = new Set(sample.spikes.map((s) => `${s.id}@${s.ts}`));
  const usage = generateUsageSample();
  // The sample's times are fixed (2024), so each demo uses a fresh meter: a second run under the
  // same id would be refused, rightly, as readings already seen.
  const meter = `demo-library-${Date.now().toString(36)}`;
  const expectedUsage = new Set(usage.anomalies.map((a) => `${meter}@${a.epochMs}`));
  const seen = new Set<string>();
  let allSeen: () => void = () => {};
  let allUsageSeen: () => void = () => {};
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const usageDone = new Promise<void>((resolve) => (allUsageSeen = resolve));
  const tail = await tailAnomalies(config, (anomaly) => {
    const key = `${anomaly.deviceId}@${anomaly.ts}`;
    const wanted = anomaly.detector === 'seasonal-iforest' ? expectedUsage : anomaly.detector === 'zscore' ? expected : undefined;
    if (anomaly.status !== 'raised' || !wanted?.has(key) || seen.has(key)) return;
    seen.add(key);
    say(`    ${formatAnomaly(anomaly)}`);
    if (sample.spikes.every((s) => seen.has(`${s.id}@${s.ts}`))) allSeen();
    if ([...expectedUsage].every((k) => seen.has(k))) allUsageSeen();
  });
  const waitAtMost = (promise: Promise<void>) =>
    Promise.race([promise.then(() => 'done' as const), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000).unref())]);

  say('4/6 Replaying it into Kafka at 50× event time; anomalies as they are raised:');
  const replayed = await replayFile(config, file, { format: 'sensor', accelerator: 50 });
  const outcome = await waitAtMost(done);
  const spikesSeen = sample.spikes.filter((s) => seen.has(`${s.id}@${s.ts}`)).length;
  say(`    ${replayed.sent} readings replayed; ${spikesSeen} of ${expected.size} injected spikes reported${outcome === 'timeout' ? ' (timed out waiting for the rest)' : ''}`);

  const usageFile = path.join(config.home, 'samples', 'demo-usage.csv');
  fs.writeFileSync(usageFile, usageSampleCsv(usage));
  say(`5/6 A library's meter: ${usage.rows.length} 5-minute readings (6 weeks, ${USAGE_SAMPLE_TIME_ZONE} wall time, ${usage.anomalies.length} anomalies injected) replayed as fast as they go; the seasonal Isolation Forest reports:`);
  const usageReplayed = await replayFile(config, usageFile, { format: 'usage', device: meter });
  const usageOutcome = await waitAtMost(usageDone);
  const usageSeen = [...expectedUsage].filter((k) => seen.has(k)).length;
  say(`    ${usageReplayed.sent} readings replayed; ${usageSeen} of ${expectedUsage.size} injected anomalies reported${usageOutcome === 'timeout' ? ' (timed out waiting for the rest)' : ''}`);
  say(`    Hourly averages and anomalies are in PostgreSQL: psql ${config.postgres.url} -c 'SELECT * FROM hourly_aggregates ORDER BY window_start DESC LIMIT 5'`);

  await tail.stop();
  await sink.stop();
  await ingest.stop();
  worker.shutdown();
  await workerRun;
  await close();

  const device = sample.spikes[0]?.id ?? 'demo-sensor-1';
  say('6/6 Inspect a device (its summary stays visible in the UI with no worker running):');
  say(`    ${workflowUiUrl(config, device)}`);
  say(`    .vigil/venv/bin/temporal workflow query --workflow-id ${workflowIdFor(device)} --type state`);
  say('    The services keep running; stop them with: bin/vigil services down');
  if (outcome === 'timeout' || usageOutcome === 'timeout') throw new Error('not every injected anomaly was reported within 60 s');
}
