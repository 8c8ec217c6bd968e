import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import { Ingest } from './ingest';
import { workflowIdFor } from './reading';
import { replayFile } from './replay';
import { generateSensorSample, sensorSampleCsv } from './sample';
import { servicesUp } from './services';
import { formatAnomaly, tailAnomalies } from './tail';
import { createWorker } from './worker';

export function workflowUiUrl(config: Config, deviceId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowIdFor(deviceId))}`;
}

/**
 * `vigil demo`: services up, a worker and the ingest in this process, a sample with injected
 * spikes replayed into Kafka, and the anomalies printed as they arrive.
 */
export async function runDemo(config: Config, say: (line: string) => void): Promise<void> {
  say('1/5 Starting the local services (the first run installs Temporal and Kafka)…');
  await servicesUp(config, (line) => say(`    ${line}`));

  say('2/5 Starting a worker and the ingest…');
  const { worker, close } = await createWorker(config);
  const workerRun = worker.run();
  const ingest = await Ingest.create(config);
  await ingest.start();

  const sample = generateSensorSample({
    devices: 5, readingsPerDevice: 300, spikesPerDevice: 3, seed: 42, prefix: 'demo-sensor-',
    startTs: Math.floor(Date.now() / 1000) * 1000, intervalMs: 1000,
  });
  const file = path.join(config.home, 'samples', 'demo-sensors.csv');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, sensorSampleCsv(sample));
  say(`3/5 Wrote ${file}: 5 devices × 300 readings (seed 000's {id, ts, temp, hum}), ${sample.spikes.length} temperature spikes injected`);

  const expected = new Set(sample.spikes.map((s) => `${s.id}@${s.ts}`));
  const seen = new Set<string>();
  let allSeen: () => void = () => {};
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const tail = await tailAnomalies(config, (anomaly) => {
    const key = `${anomaly.deviceId}@${anomaly.ts}`;
    if (anomaly.status !== 'raised' || !expected.has(key) || seen.has(key)) return;
    seen.add(key);
    say(`    ${formatAnomaly(anomaly)}`);
    if (seen.size === expected.size) allSeen();
  });

  say('4/5 Replaying it into Kafka at 50× event time; anomalies as they are raised:');
  const replayed = await replayFile(config, file, { format: 'sensor', accelerator: 50 });
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000).unref());
  const outcome = await Promise.race([done.then(() => 'done' as const), timeout]);
  say(`    ${replayed.sent} readings replayed; ${seen.size} of ${expected.size} injected spikes reported${outcome === 'timeout' ? ' (timed out waiting for the rest)' : ''}`);

  await tail.stop();
  await ingest.stop();
  worker.shutdown();
  await workerRun;
  await close();

  const device = sample.spikes[0]?.id ?? 'demo-sensor-1';
  say('5/5 Inspect a device (its summary stays visible in the UI with no worker running):');
  say(`    ${workflowUiUrl(config, device)}`);
  say(`    .vigil/venv/bin/temporal workflow query --workflow-id ${workflowIdFor(device)} --type state`);
  say('    The services keep running; stop them with: bin/vigil services down');
  if (outcome === 'timeout') throw new Error('not every injected anomaly was reported within 60 s');
}
