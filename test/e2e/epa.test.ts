import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type EnrichedReading, enrichedReadingSchema } from '../../src/contracts/enriched';
import { formats, parseText, toCanonical } from '../../src/formats';
import { type MonitoringRecord, monitoringRecordSchema } from '../../src/drop-in';
import { EPA_FIELD, epaColumns } from '../../src/formats/epa';
import { HtmModel, type HtmResult } from '../../src/htm';
import { epaCsvLine, epaSampleCsv, generateEpaSample } from '../../src/samples';
import { artifactsDir, type Pipeline, usePipeline, waitFor } from '../support/pipeline';

const newPipeline = usePipeline();

/** The EPA sample under a site number of this run's own: device ids are namespace-wide. */
function sampleFor(p: Pipeline) {
  const site = String(1000 + (Number.parseInt(p.runName.slice(-4), 36) % 9000));
  const sample = generateEpaSample();
  const rows = sample.rows.map((row) => ({ ...row, 'Site Num': site }));
  const readings = rows.map((row) => toCanonical(formats.epa, parseText(formats.epa, epaCsvLine(row)), { key: undefined, timestamp: 0 }));
  const file = path.join(artifactsDir, `${p.runName}-epa.csv`);
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.writeFileSync(file, epaSampleCsv({ rows, spikes: [] }));
  return { file, rows, readings, devices: [...new Set(readings.map((r) => r.deviceId))] };
}

/** One uninterrupted HTM model per monitor, fed in order: what the pipeline must publish. */
function reference(readings: ReturnType<typeof sampleFor>['readings']): Map<string, HtmResult[]> {
  const models = new Map<string, HtmModel>();
  const results = new Map<string, HtmResult[]>();
  for (const reading of readings) {
    const model = models.get(reading.deviceId) ?? HtmModel.create({});
    models.set(reading.deviceId, model);
    results.set(reading.deviceId, [...(results.get(reading.deviceId) ?? []), model.compute(reading.ts, reading.values[EPA_FIELD]!)]);
  }
  return results;
}

/** The first publication of each reading (a re-publication after a crash must be identical). */
function firstOccurrences(records: EnrichedReading[]): EnrichedReading[] {
  const seen = new Map<string, EnrichedReading>();
  for (const record of records) {
    const id = `${record.source.partition}/${record.source.offset}`;
    const earlier = seen.get(id);
    if (earlier) expect(record).toEqual(earlier);
    else seen.set(id, record);
  }
  return [...seen.values()];
}

async function collectEnriched(p: Pipeline): Promise<EnrichedReading[]> {
  const records: EnrichedReading[] = [];
  await p.follow(p.config.kafka.topics.enriched, (value) => records.push(enrichedReadingSchema.parse(JSON.parse(value))));
  return records;
}

function expectReferenceScores(records: EnrichedReading[], sample: ReturnType<typeof sampleFor>): void {
  const expected = reference(sample.readings);
  for (const device of sample.devices) {
    const mine = firstOccurrences(records.filter((r) => r.deviceId === device));
    const want = expected.get(device)!;
    expect(mine.map((r) => r.ts)).toEqual(sample.readings.filter((r) => r.deviceId === device).map((r) => r.ts));
    expect(mine.map((r) => [r.anomaly, r.likelihood, r.logLikelihood, r.score, r.prediction, r.predictionNext, r.error])).toEqual(
      want.map((r) => [r.rawScore, r.likelihood, r.logLikelihood, r.score, r.prediction, r.predictionNext, r.error]),
    );
  }
}

describe('HTM end to end on the real services (seed 002)', () => {
  it('enriches every EPA reading exactly as an uninterrupted model scores it, and raises HTM anomalies where the score reaches the threshold', async () => {
    const p = newPipeline('e2e-epa');
    await p.setUp();
    const records = await collectEnriched(p);
    const monitoringRecords: Array<{ key: string | undefined; record: MonitoringRecord }> = [];
    await p.follow(p.config.dropIn.topics.monitoringRecords, (value, key) => monitoringRecords.push({ key, record: monitoringRecordSchema.parse(JSON.parse(value)) }));
    const sample = sampleFor(p);
    await p.start('worker');
    await p.start('ingest');
    const replayed = await p.vigil(['replay', sample.file, '--format', 'epa']);
    expect(replayed.code, replayed.stderr).toBe(0);
    await waitFor('every reading enriched', () => records.length >= sample.readings.length, 180_000, () => `${records.length} of ${sample.readings.length}`);
    expectReferenceScores(records, sample);

    const expected = reference(sample.readings);
    for (const device of sample.devices) {
      const ts = sample.readings.filter((r) => r.deviceId === device).map((r) => r.ts);
      const anomalous = expected.get(device)!.flatMap((r, i) => (r.rawScore !== null && r.score >= 0.5 ? [ts[i]] : []));
      await waitFor('the HTM anomaly steps', () => p.anomalies.filter((a) => a.deviceId === device && a.detector === 'htm' && a.status !== 'resolved').length >= anomalous.length, 30_000);
      expect(p.anomalies.filter((a) => a.deviceId === device && a.detector === 'htm' && a.status !== 'resolved').map((a) => a.ts)).toEqual(anomalous);
    }

    // The drop-in `monitoringEnriched2`: each input record with all its columns, and the template's enrichment.
    await waitFor('every MonitoringRecord', () => monitoringRecords.length >= sample.readings.length, 30_000, () => `${monitoringRecords.length} of ${sample.readings.length}`);
    const next = new Map(sample.devices.map((device) => [device, 0]));
    const want = sample.rows.map((row, i) => {
      const reading = sample.readings[i]!;
      const index = next.get(reading.deviceId)!;
      next.set(reading.deviceId, index + 1);
      const scored = expected.get(reading.deviceId)![index]!;
      const value = reading.values[EPA_FIELD]!;
      const columns = Object.fromEntries(epaColumns.map(([column, property]) => [property, row[column]]));
      // While the model learns its range it has no numbers: 0, as the MonitoringRecord class's doubles are until set.
      return { key: reading.deviceId, record: { ...columns, prediction: scored.prediction ?? 0, error: scored.prediction === null ? 0 : Math.abs(scored.prediction - value), anomaly: scored.rawScore ?? 0, predictionNext: scored.predictionNext ?? 0 } };
    });
    const byDevice = (list: Array<{ key: string | undefined; record: unknown }>) => sample.devices.map((device) => list.filter((m) => m.key === device));
    expect(byDevice(monitoringRecords)).toEqual(byDevice(want));
  });

  it('gives the same enriched output when the worker is killed with SIGKILL mid-stream and restarted', async () => {
    const p = newPipeline('e2e-epa-kill');
    p.env.VIGIL_HTM_CHECKPOINT_EVERY = '100'; // checkpoints on the way, and readings since the last to rebuild from
    await p.setUp();
    const records = await collectEnriched(p);
    const sample = sampleFor(p);
    const worker = await p.start('worker');
    await p.start('ingest');
    // About 10 s of replay: the worker is killed while readings are still being sent.
    const replaying = p.vigil(['replay', sample.file, '--format', 'epa', '--accelerator', String(3600 * 50)]);
    await waitFor('part of the stream enriched', () => records.length >= 250, 120_000);
    worker.kill('SIGKILL');
    expect(records.length).toBeLessThan(sample.readings.length); // the kill really was mid-stream
    const replayed = await replaying;
    expect(replayed.code, replayed.stderr).toBe(0);
    await p.start('worker');
    await waitFor('every reading enriched', () => new Set(records.map((r) => `${r.source.partition}/${r.source.offset}`)).size >= sample.readings.length, 180_000);
    expectReferenceScores(records, sample);
    const states = await p.statesOf(sample.devices);
    for (const state of states.values()) expect(state.memories.htm[EPA_FIELD]?.checkpointVersion).toBeGreaterThan(0);
  });
});
