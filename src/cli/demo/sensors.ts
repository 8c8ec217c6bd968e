import { sensorAnomalyReportsContract } from '../../drop-in';
import { generateSensorSample, sensorSampleCsv } from '../../samples';
import { replayFile } from '../replay';
import { formatAnomaly } from '../tail';
import { type DemoContext, type PartOutcome, waitUntil, WAIT_MS, writeSample } from './context';
import { workflowUiUrl } from './links';

export const sensorsTitle = 'Sensors, the sensor system: sensor records, a z-score model per device, the anomalyTopic';

/** The sensor system: sensor records with temperature spikes, the z-score model, and the drop-in `anomalyTopic`. */
export async function demoSensors(ctx: DemoContext): Promise<PartOutcome> {
  const { config, say } = ctx;
  const problems: string[] = [];
  const sample = generateSensorSample({
    devices: 5, readingsPerDevice: 300, spikesPerDevice: 3, seed: 42, prefix: `demo-sensor-${ctx.tag}-`,
    startTs: Math.floor(Date.now() / 1000) * 1000, intervalMs: 1000,
  });
  const devices = new Set(sample.records.map((r) => r.id));
  const file = writeSample(config, 'demo-sensors.csv', sensorSampleCsv(sample));
  const topic = config.kafka.inputs.find((input) => input.format === 'sensor')?.topic ?? '?';
  say(`${file}: ${devices.size} devices × 300 records {id, ts, temp, hum}, ${sample.spikes.length} temperature spikes injected`);
  say(`Replaying it into ${topic} at 50× event time; the z-score model reports:`);

  const spikes = new Set(sample.spikes.map((s) => `${s.id}@${s.ts}`));
  const raised = () => ctx.outputs.anomaliesOf(devices).filter((e) => e.status === 'raised');
  const spikesRaised = () => raised().filter((e) => e.detector === 'zscore' && spikes.has(`${e.deviceId}@${e.ts}`));
  const replayed = await replayFile(config, file, { format: 'sensor', accelerator: 50 });
  if (replayed.invalid.length > 0) problems.push(`sensors: ${replayed.invalid.length} sample rows were invalid`);
  await waitUntil(() => spikesRaised().length >= spikes.size);
  const found = spikesRaised().sort((a, b) => a.ts - b.ts || a.deviceId.localeCompare(b.deviceId));
  for (const anomaly of found) say(formatAnomaly(anomaly));
  const others = raised().length - found.length;
  say(`${replayed.sent} readings replayed; ${found.length} of ${spikes.size} injected spikes reported${others > 0 ? `, and ${others} other anomalies raised` : ''}`);
  if (found.length < spikes.size) problems.push(`sensors: ${found.length} of ${spikes.size} injected spikes reported within ${WAIT_MS / 1000} s`);

  // The drop-in anomalyTopic: one {id, ts, temp} per z-score verdict on temp that raised or updated an anomaly.
  const reportTopic = config.dropIn.topics.sensorAnomalies;
  const out = [`${found.length} of ${spikes.size} spikes raised`];
  if (config.dropIn.outputs.includes('sensor')) {
    const steps = () => ctx.outputs.anomaliesOf(devices).filter((e) => e.detector === 'zscore' && e.field === 'temp' && e.status !== 'resolved').length;
    const reports = () => [...ctx.outputs.sensorReports.values()].filter((r) => devices.has(r.id)).length;
    // With no spike found (after its wait) there is no record to wait for.
    await waitUntil(() => reports() >= steps() && (steps() > 0 || found.length === 0), 15_000);
    say(`${reports()} records {id, ts, temp} on ${reportTopic}: one per anomalous temp reading (${steps()} z-score steps on temp)`);
    out.push(`${reports()} ${sensorAnomalyReportsContract.topic} records {id, ts, temp}`);
    if (reports() !== steps()) problems.push(`sensors: ${reports()} anomalyTopic records for ${steps()} anomalous temp readings`);
  } else {
    say(`The drop-in ${reportTopic} is switched off (VIGIL_COMPAT_OUTPUTS)`);
  }
  const device = sample.spikes[0]?.id ?? [...devices][0] ?? '';
  return {
    row: {
      system: 'sensors',
      in: [`${replayed.sent} sensor records`, `→ ${topic}`],
      out,
      where: [`topics ${config.kafka.topics.anomalies}, ${reportTopic}`, workflowUiUrl(config, device)],
    },
    problems,
  };
}
