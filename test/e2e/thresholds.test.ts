import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/samples';
import { artifactsDir, usePipeline, waitFor } from '../support/pipeline';

const newPipeline = usePipeline();

function writeFile(name: string, text: string): string {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('thresholds, control topic and connection state on the local Temporal and Kafka', () => {
  it('flags exactly the seed-004 records above 100 once `*,temp,,100` is applied', async () => {
    const p = newPipeline('e2e-seed004');
    await p.setUp();
    await p.start('worker');
    await p.start('ingest');
    const applied = await p.vigil(['thresholds', 'apply', writeFile(`${p.runName}-thresholds.csv`, '*,temp,,100\n'), '--by', 'e2e']);
    expect(applied.stdout).toContain('applied  *');
    expect(applied.code).toBe(0);

    // Seed 004's Kinesis generator: name, a temperature from 10 to 550, a status.
    const random = seededRandom(4);
    const statuses = ['OK', 'FAIL', 'WARN'];
    const names = Array.from({ length: 8 }, (_, i) => `${p.runName}-sensor-${i}`);
    const lines = Array.from({ length: 400 }, (_, i) => {
      const name = names[i % names.length] as string;
      return { key: name, value: `${name},${10 + Math.floor(random() * 541)},${statuses[Math.floor(random() * 3)]}` };
    });
    await p.send(lines, p.topicFor('csv3'));
    const hot = lines.filter((l) => Number(l.value.split(',')[1]) > 100);

    await waitFor('every hot record flagged', async () => p.anomalies.filter((a) => a.status !== 'resolved').length >= hot.length, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const flagged = p.anomalies.filter((a) => a.detector === 'threshold' && a.status !== 'resolved');
    // Raised or updated: each record above 100 is one step of an open anomaly, nothing else is.
    expect(flagged.map((a) => `${a.deviceId}=${a.value}`).sort()).toEqual(hot.map((l) => `${l.key}=${l.value.split(',')[1]}`).sort());
    expect(p.anomalies.filter((a) => a.detector === 'zscore')).toEqual([]); // 50 readings per device: still warming up
    const states = await p.statesOf(names);
    expect([...states.values()].every((s) => s.settings.detectors.threshold.defaults.temp?.high === 100 && s.counters.readingsApplied === 50)).toBe(true);
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
    expect(state.memories.zscore.temp?.model).toEqual({ n: 100, mean: 20, m2: 99 }); // pushed; 30 is anomalous, so not learnt
    expect(state.settings.detectors.threshold.own.temp).toMatchObject({ low: 0, high: 10 }); // the later change won
    expect(state.settings.judging.fields).toEqual({ temp: ['zscore'] });
    // 60 was no anomaly before any threshold; 30 is, against the pushed model and the last threshold.
    expect(p.anomalies.map((a) => [a.detector, a.status, a.value]).sort()).toEqual([['threshold', 'raised', 30], ['zscore', 'raised', 30]]);
    expect(p.deadLetters[0]?.headers['vigil.dlq.reason']).toBe('invalid-schema');
  });
});
