import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/samples';
import { Client as PgClient } from 'pg';
import { pgConfig } from '../../src/connections/postgres';
import { artifactsDir, type Pipeline, usePipeline, waitFor } from '../support/pipeline';

const newPipeline = usePipeline();

/** The csv3 format's Kinesis generator: 8 sensors, 400 lines of name, a temperature from 10 to 550, a status. */
function csv3Lines(runName: string): Array<{ key: string; value: string }> {
  const random = seededRandom(4);
  const statuses = ['OK', 'FAIL', 'WARN'];
  const names = Array.from({ length: 8 }, (_, i) => `${runName}-sensor-${i}`);
  return Array.from({ length: 400 }, (_, i) => {
    const name = names[i % names.length] as string;
    return { key: name, value: `${name},${10 + Math.floor(random() * 541)},${statuses[Math.floor(random() * 3)]}` };
  });
}

/** Waits until a consumer group has committed every partition of the topics up to their end. */
async function waitUntilConsumed(p: Pipeline, groupId: string, topics: string[]): Promise<void> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    await waitFor(`${groupId} to reach the end of ${topics.join(', ')}`, async () => {
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const at = new Map(committed?.partitions.map((c) => [c.partition, Number(c.offset)]) ?? []);
        if (!ends.every((end) => Number(end.high) === 0 || at.get(end.partition) === Number(end.high))) return false;
      }
      return true;
    }, 60_000);
  } finally {
    await admin.disconnect();
  }
}

function writeFile(name: string, text: string): string {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('thresholds, control topic and connection state on the local Temporal and Kafka', () => {
  it('keeps every csv3 record in data_dump and exactly those above 100 in data_anomaly, with no setting switched on, and re-reading changes nothing', async () => {
    const p = newPipeline('e2e-csv3');
    await p.setUp();
    const db = new PgClient(pgConfig(p.config));
    await db.connect();
    try {
      await p.start('worker');
      await p.start('ingest');
      await p.start('sink');
      const lines = csv3Lines(p.runName);
      await p.send(lines, p.topicFor('csv3'));
      const hot = lines.filter((l) => Number(l.value.split(',')[1]) > 100);

      await waitFor('every hot record flagged', async () => p.anomalies.filter((a) => a.status !== 'resolved').length >= hot.length, 120_000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const flagged = p.anomalies.filter((a) => a.detector === 'threshold' && a.status !== 'resolved');
      // Raised or updated: each record above 100 is one step of an open anomaly, nothing else is.
      expect(flagged.map((a) => `${a.deviceId}=${a.value}`).sort()).toEqual(hot.map((l) => `${l.key}=${l.value.split(',')[1]}`).sort());
      // The field has its format's rule: it is judged by it alone, not by z-score or the stuck-sensor check.
      expect(p.anomalies.filter((a) => a.detector !== 'threshold')).toEqual([]);
      const states = await p.statesOf([...new Set(lines.map((l) => l.key))]);
      expect([...states.values()].every((s) => s.settings.detectors.threshold.format.temp?.high === 100 && s.counters.readingsApplied === 50)).toBe(true);

      const rows = async (table: 'data_dump' | 'data_anomaly') =>
        (await db.query(`SELECT id, current_temp, status, ts, source_offset FROM ${table} WHERE source_topic = $1 ORDER BY source_partition, source_offset`, [p.topicFor('csv3')])).rows as Array<{ id: string; current_temp: number; status: string; ts: Date; source_offset: string }>;
      const asLine = (r: { id: string; current_temp: number; status: string }) => `${r.id},${r.current_temp},${r.status}`;
      await waitFor('the sink to store every record and every anomalous one', async () => (await rows('data_dump')).length === lines.length && (await rows('data_anomaly')).length === hot.length, 60_000);
      const dump = await rows('data_dump');
      const anomalous = await rows('data_anomaly');
      expect(dump.map(asLine).sort()).toEqual(lines.map((l) => l.value).sort());
      expect(anomalous.map(asLine).sort()).toEqual(hot.map((l) => l.value).sort());
      // An anomalous row is its dump row: same message, same broker time.
      const dumped = new Map(dump.map((r) => [`${r.id}|${r.source_offset}|${r.ts.getTime()}`, r]));
      expect(anomalous.every((r) => dumped.has(`${r.id}|${r.source_offset}|${r.ts.getTime()}`))).toBe(true);

      // A second sink (a new consumer group) re-reads every topic from the start: no table changes.
      p.env.VIGIL_SINK_GROUP_ID = `${p.runName}.sink-again`;
      await p.start('sink');
      await waitUntilConsumed(p, p.env.VIGIL_SINK_GROUP_ID, [p.topicFor('csv3'), p.config.kafka.topics.anomalies]);
      expect(await rows('data_dump')).toEqual(dump);
      expect(await rows('data_anomaly')).toEqual(anomalous);
    } finally {
      await db.end();
    }
  });

  it('lets the fleet give csv3 devices another rule than their format\'s temp above 100', async () => {
    const p = newPipeline('e2e-csv3-rule');
    await p.setUp();
    await p.start('worker');
    await p.start('ingest');
    const applied = await p.vigil(['thresholds', 'apply', writeFile(`${p.runName}-thresholds.csv`, '*,temp,,300\n'), '--by', 'e2e']);
    expect(applied.code, applied.stderr).toBe(0);
    const lines = csv3Lines(p.runName);
    await p.send(lines, p.topicFor('csv3'));
    const hot = lines.filter((l) => Number(l.value.split(',')[1]) > 300);
    await waitFor('every record above 300 flagged', async () => p.anomalies.filter((a) => a.status !== 'resolved').length >= hot.length, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(p.anomalies.filter((a) => a.status !== 'resolved').map((a) => `${a.deviceId}=${a.value}`).sort()).toEqual(hot.map((l) => `${l.key}=${l.value.split(',')[1]}`).sort());
  });

  it('keeps violation counters across a worker SIGKILL', async () => {
    const p = newPipeline('e2e-counters');
    await p.setUp();
    const deviceId = `${p.runName}-host`;
    const file = writeFile(`${p.runName}-thresholds.csv`, `host,field,low,high,rule,n\n${deviceId},cpu,0,80,N-consecutive,3\n`);
    const worker = await p.start('worker');
    await p.start('ingest');
    expect((await p.vigil(['thresholds', 'apply', file, '--by', 'e2e'])).code).toBe(0);
    const host = (offsetSeconds: number, cpu: number) => ({
      key: deviceId,
      value: JSON.stringify({ ts: new Date(Date.UTC(2018, 9, 29, 9, 0, offsetSeconds)).toISOString().replace('Z', '+0000'), id: deviceId, cpu }),
    });
    await p.send([host(0, 85), host(1, 90)], p.topicFor('host'));
    await waitFor('two violations applied', async () => (await p.deviceState(deviceId)).memories.threshold.cpu?.consecutive === 2, 60_000);

    worker.kill('SIGKILL');
    await p.start('worker');
    await p.send([host(2, 95)], p.topicFor('host'));
    await waitFor('the third violation raises', () => p.anomalies.length >= 1, 60_000);
    expect(p.anomalies.map((a) => [a.status, a.detector, a.field, a.value])).toEqual([['raised', 'threshold', 'cpu', 95]]);
    expect(p.anomalies[0]?.explanation).toMatchObject({ kind: 'threshold', rule: 'N-consecutive', consecutive: 3 });
  });

  it('applies control-topic thresholds, detector choices and seed-000 model pushes in order with the readings', async () => {
    const p = newPipeline('e2e-control');
    await p.setUp();
    await p.start('worker');
    await p.start('ingest');
    const id = `${p.runName}-s1`;
    const sensor = (ts: number, temp: number) => ({ key: id, value: JSON.stringify({ id, ts, temp, hum: 40 }) });
    await p.send([sensor(1, 60), sensor(2, 20)], p.topicFor('sensor'));
    await waitFor('first readings applied', async () => (await p.deviceState(id).catch(() => undefined))?.counters.readingsApplied === 2, 60_000);
    await p.send(
      [
        { key: id, value: `${id},temp,,50` }, // seed 001's row format on the control topic
        { key: id, value: JSON.stringify({ id, m2: { n: 100, mean: 20, m2: 99 } }) }, // seed 000's model topic record
        { key: id, value: JSON.stringify({ type: 'thresholds', deviceId: id, changes: [{ field: 'temp', rule: { low: 0, high: 10 } }] }) },
        // A field with a threshold is judged by it alone unless z-score is asked for too.
        { key: id, value: JSON.stringify({ type: 'detectors', deviceId: id, field: 'temp', detectors: ['zscore'] }) },
        { key: id, value: '{"type": "thresholds", "deviceId": "x"}' },
      ],
      p.config.kafka.topics.control,
    );
    await waitFor('controls applied', async () => (await p.deviceState(id)).counters.controlsApplied === 4 && p.deadLetters.length === 1, 60_000);
    await p.send([sensor(3, 30)], p.topicFor('sensor'));
    await waitFor('anomalies for 30', () => p.anomalies.length >= 2, 60_000);

    const state = await p.deviceState(id);
    // The pushed model, then 30 learnt into it (the learn gate is open by default): Welford's step by hand.
    const mean = 20 + (30 - 20) / 101;
    expect(state.memories.zscore.temp?.model).toEqual({ n: 101, mean, m2: 99 + (30 - 20) * (30 - mean) });
    expect(state.settings.detectors.threshold.own.temp).toMatchObject({ low: 0, high: 10 }); // the later change won
    expect(state.settings.judging.fields).toEqual({ temp: ['zscore'] });
    // 60 was no anomaly before any threshold; 30 is, against the pushed model and the last threshold.
    expect(p.anomalies.map((a) => [a.detector, a.status, a.value]).sort()).toEqual([['threshold', 'raised', 30], ['zscore', 'raised', 30]]);
    expect(p.deadLetters[0]?.headers['vigil.dlq.reason']).toBe('invalid-schema');
  });
});
