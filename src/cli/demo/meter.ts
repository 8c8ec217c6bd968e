import { meterAnomaliesContract } from '../../drop-in';
import { generateUsageSample, USAGE_SAMPLE_TIME_ZONE, usageSampleCsv } from '../../samples';
import { replayFile } from '../replay';
import { formatAnomaly } from '../tail';
import { type DemoContext, type PartOutcome, rowsOf, waitUntil, WAIT_MS, writeSample } from './context';
import { workflowUiUrl } from './links';

export const meterTitle = "A library's meter, the meter system: 5-minute usage, a seasonal Isolation Forest, hourly averages";

/**
 * The meter system: six weeks of a meter's 5-minute usage, the seasonal Isolation Forest's anomalies,
 * the drop-in `anomaly` records `{ts, usage}` and the `hourly_usage` view of the hourly averages.
 */
export async function demoMeter(ctx: DemoContext): Promise<PartOutcome> {
  const { config, say } = ctx;
  const problems: string[] = [];
  const usage = generateUsageSample();
  // The sample's times are fixed (2024), so each run uses a fresh meter: a second run under the
  // same id would be refused, rightly, as readings already seen.
  const meter = `demo-library-${ctx.tag}`;
  const devices = new Set([meter]);
  const file = writeSample(config, 'demo-usage.csv', usageSampleCsv(usage));
  const topic = config.kafka.inputs.find((input) => input.format === 'usage')?.topic ?? '?';
  say(`${file}: ${usage.rows.length} 5-minute readings of ${meter} (6 weeks, ${USAGE_SAMPLE_TIME_ZONE} wall time), ${usage.anomalies.length} anomalies injected`);
  say(`Replaying it into ${topic} as fast as it goes; the seasonal Isolation Forest reports:`);

  const expected = new Set(usage.anomalies.map((a) => `${meter}@${a.epochMs}`));
  const found = () => ctx.outputs.anomaliesOf(devices).filter((e) => e.status === 'raised' && e.detector === 'seasonal-iforest' && expected.has(`${e.deviceId}@${e.ts}`));
  const replayed = await replayFile(config, file, { format: 'usage', device: meter });
  if (replayed.invalid.length > 0) problems.push(`meter: ${replayed.invalid.length} sample rows were invalid`);
  await waitUntil(() => found().length >= expected.size);
  for (const anomaly of found().sort((a, b) => a.ts - b.ts)) say(formatAnomaly(anomaly));
  const raised = ctx.outputs.anomaliesOf(devices).filter((e) => e.status === 'raised').length;
  const others = raised - found().length;
  say(`${replayed.sent} readings replayed; ${found().length} of ${expected.size} injected anomalies reported${others > 0 ? `, and ${others} other anomalies raised` : ''}`);
  if (found().length < expected.size) problems.push(`meter: ${found().length} of ${expected.size} injected anomalies reported within ${WAIT_MS / 1000} s`);

  const out = [`${found().length} of ${expected.size} anomalies raised`];
  const meterTopic = config.dropIn.topics.meterAnomalies;
  if (config.dropIn.outputs.includes('usage')) {
    // The drop-in `anomaly` topic: one {ts, usage} per seasonal-forest verdict on usage that raised or updated an anomaly.
    const steps = () => ctx.outputs.anomaliesOf(devices).filter((e) => e.detector === 'seasonal-iforest' && e.field === 'usage' && e.status !== 'resolved').length;
    const records = () => [...ctx.outputs.meterAnomalies.values()].filter((r) => r.deviceId === meter);
    // With no anomaly found (after its wait) there is no record to wait for.
    await waitUntil(() => records().length >= steps() && (steps() > 0 || found().length === 0), 15_000);
    const first = records().map((r) => JSON.stringify(r.record)).sort()[0];
    say(`${records().length} records {ts, usage} on ${meterTopic}${first ? `, e.g. ${first}` : ''}`);
    out.push(`${records().length} ${meterAnomaliesContract.topic} records {ts, usage}`);
    if (records().length !== steps()) problems.push(`meter: ${records().length} records on ${meterTopic} for ${steps()} anomalous readings`);

    // hourly_usage: one row per hour of readings (the meter's wall-clock hours).
    const hours = new Set(usage.rows.map((row) => row.start.slice(0, 13))).size;
    const count = async () => Number((await rowsOf<{ n: string }>(ctx, 'SELECT count(*) AS n FROM hourly_usage WHERE device = $1', [meter]))[0]?.n ?? 0);
    let stored = 0;
    const allHours = await waitUntil(async () => (stored = await count()) >= hours, WAIT_MS, 500);
    const latest = await rowsOf<{ start: string; avg_usage: number }>(ctx, `SELECT to_char(start, 'YYYY-MM-DD HH24:MI') AS start, round(avg_usage::numeric, 2)::float8 AS avg_usage FROM hourly_usage WHERE device = $1 ORDER BY start DESC LIMIT 1`, [meter]);
    say(`${stored} of ${hours} hours in hourly_usage${latest[0] ? ` (the last: ${latest[0].start}, avg ${latest[0].avg_usage} kW)` : ''}`);
    say(`  psql ${config.postgres.url} -c "SELECT * FROM hourly_usage WHERE device = '${meter}' ORDER BY start DESC LIMIT 5"`);
    out.push(`${stored} hourly_usage rows`);
    if (!allHours) problems.push(`meter: ${stored} of ${hours} hours in hourly_usage after ${WAIT_MS / 1000} s`);
  } else {
    say(`The drop-in ${meterTopic} and hourly_usage are switched off (VIGIL_COMPAT_OUTPUTS)`);
  }
  return {
    row: {
      system: 'meter',
      in: [`${replayed.sent} usage rows (6 weeks)`, `→ ${topic}`],
      out,
      where: [`topics ${config.kafka.topics.anomalies}, ${meterTopic}`, 'tables hourly_usage, hourly_aggregates', workflowUiUrl(config, meter)],
    },
    problems,
  };
}
