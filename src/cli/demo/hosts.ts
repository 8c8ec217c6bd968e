import fs from 'node:fs';
import type { Config } from '../../config';
import { parseThresholdsCsv, type ThresholdRow } from '../../formats/threshold-rows';
import { defaultAuthor } from '../../operator/author';
import { describeDevices, describeViolations } from '../../operator/describe';
import { type DeviceRow, listDevices } from '../../operator/devices';
import { applyThresholdRows } from '../../workflow-client/thresholds';
import { type LatestViolation, latestViolations } from '../../operator/violations';
import { replayFile } from '../replay';
import { type DemoContext, type PartOutcome, waitUntil, WAIT_MS, writeSample } from './context';
import { hostRecordsJsonLines, type HostSample, hostSample, latestViolationsOf } from './host-sample';
import { workflowUiUrl } from './links';

export const hostsTitle = 'Hosts, the host rules: a thresholds file, host metrics, the latest violations, a disconnected host';

/**
 * The silent host's disconnect timeout. A device's connection settings are fixed when its
 * workflow starts; the demo starts its silent host (by applying its thresholds) with this one,
 * so its silence shows in seconds rather than the configured minute. The other hosts keep the
 * configuration's.
 */
export const DEMO_DISCONNECT_AFTER_MS = 5_000;

/** A configuration whose new devices are DISCONNECTED after `ms` of silence (never later than the configured timeout). */
function disconnectingAfter(config: Config, ms: number): Config {
  const connection = { ...config.device.connection, disconnectAfterMs: Math.min(ms, config.device.connection.disconnectAfterMs) };
  return { ...config, device: { ...config.device, connection } };
}

/**
 * The host rules: a thresholds file applied as `thresholds apply` does, host records replayed, the
 * latest violation per (host, field) and the DISCONNECTED host, as the operator listings print them.
 */
export async function demoHosts(ctx: DemoContext): Promise<PartOutcome> {
  const { config, say } = ctx;
  const problems: string[] = [];
  const sample = hostSample(ctx.tag);
  const rows = await applyThresholds(ctx, sample, problems);

  const recordsFile = writeSample(config, 'demo-hosts.jsonl', hostRecordsJsonLines(sample.records));
  const topic = config.kafka.inputs.find((input) => input.format === 'host')?.topic ?? '?';
  const silentFor = Math.min(DEMO_DISCONNECT_AFTER_MS, config.device.connection.disconnectAfterMs) / 1000;
  say(`Replaying ${sample.records.length} host records {ts, id, loadavg, cpu, mem} (a minute, 1 s apart) into ${topic}.`);
  say(`${sample.silentHost} stops reporting half-way. It was started with a ${silentFor} s disconnect timeout (the others keep`);
  say(`the configured ${config.device.connection.disconnectAfterMs / 1000} s), so its silence shows within seconds:`);
  const replayed = await replayFile(config, recordsFile, { format: 'host' });
  if (replayed.invalid.length > 0) problems.push(`hosts: ${replayed.invalid.length} records were invalid`);
  const { violations, disconnected } = await showListings(ctx, sample, rows, problems);

  const hosts = new Set(sample.hosts);
  const steps = ctx.outputs.anomaliesOf(hosts).filter((e) => e.detector === 'threshold' && e.status !== 'resolved').length;
  return {
    row: {
      system: 'hosts',
      in: [`${rows.length} threshold rows`, `${replayed.sent} host records`, `→ ${topic}`],
      out: [`${steps} violating readings`, `${violations.length} latest per (host, field)`, `${disconnected.length} host DISCONNECTED`],
      where: [
        `topics ${config.kafka.topics.anomalies}, ${config.kafka.topics.deviceEvents}`,
        'table anomalies (bin/vigil violations)',
        'bin/vigil devices list --status DISCONNECTED',
        workflowUiUrl(config, sample.silentHost),
      ],
    },
    problems,
  };
}

/** Writes the thresholds file and applies it through `thresholds apply`'s code; its rows. */
async function applyThresholds(ctx: DemoContext, sample: HostSample, problems: string[]): Promise<ThresholdRow[]> {
  const { config, say } = ctx;
  const file = writeSample(config, 'demo-thresholds.csv', sample.thresholdsCsv);
  const { rows, errors } = parseThresholdsCsv(fs.readFileSync(file, 'utf8'));
  if (errors.length > 0) problems.push(`hosts: ${errors.length} invalid thresholds rows`);
  say(`$ bin/vigil thresholds apply ${file}   (${rows.length} rows host,field,low,high)`);
  const by = defaultAuthor();
  const reason = 'vigil demo';
  const isSilent = (row: ThresholdRow) => row.device === sample.silentHost;
  const outcomes = [
    ...(await applyThresholdRows(ctx.client, config, rows.filter((row) => !isSilent(row)), by, reason)),
    ...(await applyThresholdRows(ctx.client, disconnectingAfter(config, DEMO_DISCONNECT_AFTER_MS), rows.filter(isSilent), by, reason)),
  ];
  for (const o of outcomes) say(`${o.applied ? 'applied ' : 'rejected'} ${o.device}${o.applied ? '' : `: ${o.message}`}`);
  const rejected = outcomes.filter((o) => !o.applied).length;
  if (rejected > 0) problems.push(`hosts: ${rejected} device(s) rejected their thresholds`);
  return rows;
}

/**
 * Waits until the sink's table gives the host rules' answer for the records sent and the silent host
 * is DISCONNECTED, then prints both listings as the operator commands do (this run's hosts only).
 */
async function showListings(ctx: DemoContext, sample: HostSample, rows: ThresholdRow[], problems: string[]): Promise<{ violations: LatestViolation[]; disconnected: DeviceRow[] }> {
  const { config, say } = ctx;
  const hosts = new Set(sample.hosts);
  const expected = describeViolations(latestViolationsOf(sample.records, rows));
  let violations: LatestViolation[] = [];
  let disconnected: DeviceRow[] = [];
  const [violationsShown, disconnectedShown] = await Promise.all([
    waitUntil(async () => {
      violations = (await latestViolations(config)).filter((v) => hosts.has(v.device));
      return describeViolations(violations) === expected;
    }, WAIT_MS, 500),
    waitUntil(async () => {
      disconnected = (await listDevices(ctx.client, config, 'DISCONNECTED')).filter((d) => hosts.has(d.deviceId));
      return disconnected.some((d) => d.deviceId === sample.silentHost);
    }, WAIT_MS, 500),
  ]);
  const others = (await listDevices(ctx.client, config)).filter((d) => hosts.has(d.deviceId) && d.deviceId !== sample.silentHost);
  say("$ bin/vigil devices list --status DISCONNECTED   (this run's hosts)");
  for (const line of (disconnected.length === 0 ? 'No devices.' : describeDevices(disconnected)).split('\n')) say(`  ${line}`);
  say(`  (the others: ${others.map((d) => `${d.deviceId} ${d.status}`).join(', ')})`);
  say("$ bin/vigil violations   (the latest violation per host and field; this run's hosts)");
  for (const line of (violations.length === 0 ? 'No threshold violations.' : describeViolations(violations)).split('\n')) say(`  ${line}`);
  if (violationsShown) say("  = the host rules' row_number() query run on the records sent");
  else problems.push(`hosts: the violations listing is not the host rules' answer after ${WAIT_MS / 1000} s`);
  if (!disconnectedShown) problems.push(`hosts: ${sample.silentHost} not DISCONNECTED after ${WAIT_MS / 1000} s`);
  return { violations, disconnected };
}
