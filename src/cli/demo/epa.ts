import { monitoringRecordsContract } from '../../drop-in';
import { enrichedContract, type EnrichedReading } from '../../contracts/enriched';
import { EPA_FIELD, epaDeviceId } from '../../formats/epa';
import { defaultEpaSampleOptions, epaSampleCsv, generateEpaSample } from '../../samples';
import { replayFile } from '../replay';
import { type DemoContext, type PartOutcome, waitUntil, WAIT_MS, writeSample } from './context';
import { workflowUiUrl } from './links';

export const epaTitle = 'EPA air quality, the HTM pipeline: AQS hourly rows, one HTM model per monitor, MonitoringRecords';

/**
 * Six weeks of hourly rows per monitor: an HTM model learns its value range from its first 288
 * readings and NAB's likelihood is on probation for about 400, so a shorter sample leaves it
 * nothing to judge (the 3-week default sample gets no score above 0.3).
 */
const EPA_DEMO_DAYS = 42;

/** A score as the demo prints it. */
const score = (x: number) => x.toFixed(3);

/**
 * The HTM pipeline: the EPA sample (ozone and PM2.5 of one site, spikes injected) replayed, every reading
 * enriched by its monitor's HTM model on `readings.enriched` and as a MonitoringRecord on
 * `monitoringEnriched2`, and the HTM anomalies. HTM is not told where the spikes are: the demo
 * says which it found, and fails only when the pipeline loses readings, not for HTM's misses.
 */
export async function demoEpa(ctx: DemoContext): Promise<PartOutcome> {
  const { config, say } = ctx;
  const problems: string[] = [];
  // A site of this run's own (AQS allows letters), so each run has fresh monitors.
  const site = ctx.tag;
  const sample = generateEpaSample({ ...defaultEpaSampleOptions, days: EPA_DEMO_DAYS });
  const rows = sample.rows.map((row) => ({ ...row, 'Site Num': site }));
  const onSite = (deviceId: string) => {
    const [stateCode = '', countyCode = '', , parameterCode = '', poc = ''] = deviceId.split('-');
    return epaDeviceId({ stateCode, countyCode, siteNum: site, parameterCode, poc });
  };
  const spikes = sample.spikes.map((s) => ({ ...s, deviceId: onSite(s.deviceId) }));
  const devices = new Set(rows.map((row) => epaDeviceId({ stateCode: row['State Code'], countyCode: row['County Code'], siteNum: site, parameterCode: row['Parameter Code'], poc: row.POC })));
  const file = writeSample(config, 'demo-epa.csv', epaSampleCsv({ rows, spikes: [] }));
  const topic = config.kafka.inputs.find((input) => input.format === 'epa')?.topic ?? '?';
  say(`${file}: ${rows.length} EPA AQS hourly rows (ozone and PM2.5 of site ${site}, ${EPA_DEMO_DAYS} days), ${spikes.length} spikes injected`);
  say(`Replaying it into ${topic} as fast as it goes; HTM scores every reading…`);
  const replayed = await replayFile(config, file, { format: 'epa' });
  if (replayed.invalid.length > 0) problems.push(`epa: ${replayed.invalid.length} sample rows were invalid`);

  const { enriched: enrichedTopic } = config.kafka.topics;
  const monitoringTopic = config.dropIn.topics.monitoringRecords;
  const monitoringOn = config.dropIn.outputs.includes('epa');
  const enriched = () => [...ctx.outputs.enriched.values()].filter((r) => devices.has(r.deviceId));
  const monitoring = () => [...ctx.outputs.monitoringRecords.values()].filter((r) => devices.has(r.deviceId)).length;
  const allEnriched = await waitUntil(() => enriched().length >= rows.length && (!monitoringOn || monitoring() >= rows.length));
  say(`${enriched().length} of ${rows.length} readings enriched on ${enrichedTopic}${monitoringOn ? `, ${monitoring()} MonitoringRecords on ${monitoringTopic}` : ` (${monitoringTopic} is switched off)`}`);
  if (!allEnriched) problems.push(`epa: ${enriched().length} of ${rows.length} readings enriched${monitoringOn ? ` and ${monitoring()} MonitoringRecords` : ''} after ${WAIT_MS / 1000} s`);

  // Every reading scored at or above the threshold is a step of an HTM anomaly, and only those.
  const { threshold } = config.device.detectors.htm;
  const flaggedScores = () => enriched().filter((r) => r.anomaly !== null && r.score >= threshold);
  const htmSteps = () => ctx.outputs.anomaliesOf(devices).filter((e) => e.detector === 'htm' && e.status !== 'resolved');
  const consistent = await waitUntil(() => htmSteps().length === flaggedScores().length, 15_000);
  if (!consistent) problems.push(`epa: ${htmSteps().length} HTM anomaly steps for ${flaggedScores().length} readings scored ≥ ${threshold}`);

  const byReading = new Map<string, EnrichedReading>(enriched().map((r) => [`${r.deviceId}@${r.ts}`, r]));
  const flagged = new Set(htmSteps().map((e) => `${e.deviceId}@${e.ts}`));
  say(`HTM anomalies (score ≥ ${threshold}) at the injected spikes:`);
  for (const spike of spikes) {
    const key = `${spike.deviceId}@${spike.ts}`;
    const scored = byReading.get(key);
    const verdict = flagged.has(key) ? 'found' : scored === undefined ? 'not scored' : scored.anomaly === null ? 'missed (the model was still learning its value range)' : 'missed';
    const detail = scored === undefined ? '' : ` (score ${score(scored.score)}, raw ${scored.anomaly === null ? '–' : score(scored.anomaly)}${scored.spatialAnomaly ? ', outside the range seen so far' : ''})`;
    say(`  ${spike.deviceId} ${new Date(spike.ts).toISOString()} ${EPA_FIELD}=${spike.value}: ${verdict}${detail}`);
  }
  const spikesFound = spikes.filter((s) => flagged.has(`${s.deviceId}@${s.ts}`)).length;
  const spikeKeys = new Set(spikes.map((s) => `${s.deviceId}@${s.ts}`));
  const elsewhere = [...flagged].filter((key) => !spikeKeys.has(key)).length;
  say(`HTM found ${spikesFound} of ${spikes.length} injected spikes, and flagged ${elsewhere} other readings (${htmSteps().length} anomaly steps in all)`);

  const device = spikes[0]?.deviceId ?? [...devices][0] ?? '';
  return {
    row: {
      system: 'EPA (HTM)',
      in: [`${replayed.sent} EPA AQS rows`, `→ ${topic}`],
      out: [
        `${enriched().length} ${enrichedContract.topic} records`,
        ...(monitoringOn ? [`${monitoring()} ${monitoringRecordsContract.topic} records`] : []),
        `HTM: ${spikesFound} of ${spikes.length} spikes found,`,
        `${elsewhere} other readings flagged`,
      ],
      where: [`topics ${enrichedTopic}, ${monitoringTopic}, ${config.kafka.topics.anomalies}`, workflowUiUrl(config, device)],
    },
    problems,
  };
}
