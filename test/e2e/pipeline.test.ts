import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceState } from '../../src/device-state';
import type { AnomalyEvent } from '../../src/events';
import type { RejectionCode } from '../../src/formats';
import type { SourcedReading } from '../../src/reading';
import { generateSensorSample, type SensorSample } from '../../src/sample';
import { Pipeline, waitFor } from '../support/pipeline';
import { referenceRun } from '../support/reference';

const DEVICES = 20;
const READINGS_PER_DEVICE = 500;
const SPIKES_PER_DEVICE = 3;

let pipeline: Pipeline | undefined;
afterEach(async () => {
  await pipeline?.tearDown();
  pipeline = undefined;
});

function sampleFor(p: Pipeline): SensorSample {
  return generateSensorSample({
    devices: DEVICES, readingsPerDevice: READINGS_PER_DEVICE, spikesPerDevice: SPIKES_PER_DEVICE, seed: 2026,
    prefix: `${p.runName}-dev-`, startTs: 1_790_000_000_000, intervalMs: 1000,
  });
}

/** Ten kinds of bad input, ten of each, each with the DLQ reason it must get. */
function malformedMessages(deviceId: string): Array<{ key: string | null; value: Buffer | string | null; reason: RejectionCode }> {
  const kinds: Array<{ key: string | null; value: Buffer | string | null; reason: RejectionCode }> = [
    { key: deviceId, value: '{"id": "broken', reason: 'invalid-json' },
    { key: deviceId, value: JSON.stringify({ id: deviceId, ts: 'yesterday', temp: 1, hum: 2 }), reason: 'invalid-schema' },
    { key: deviceId, value: JSON.stringify({ id: deviceId, ts: 1, temp: 'NaN', hum: 2 }), reason: 'invalid-schema' },
    { key: deviceId, value: `{"id": "${deviceId}", "ts": 1, "temp": 1e999, "hum": 2}`, reason: 'invalid-schema' },
    { key: deviceId, value: '[1, 2, 3]', reason: 'invalid-schema' },
    { key: deviceId, value: '', reason: 'invalid-json' },
    { key: null, value: JSON.stringify({ id: deviceId, ts: 1, temp: 1, hum: 2 }), reason: 'missing-key' },
    { key: deviceId, value: JSON.stringify({ id: 'someone-else', ts: 1, temp: 1, hum: 2 }), reason: 'key-mismatch' },
    { key: deviceId, value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: 'invalid-encoding' },
    { key: deviceId, value: JSON.stringify({ id: deviceId, ts: 1, temp: 1, hum: 2, pad: 'x'.repeat(70 * 1024) }), reason: 'oversized' },
  ];
  return Array.from({ length: 100 }, (_, i) => kinds[i % kinds.length] as (typeof kinds)[number]);
}

/** The sample's records as Kafka messages, with the malformed ones spread among them. */
function messagesOf(sample: SensorSample, malformed: ReturnType<typeof malformedMessages>) {
  const messages: Array<{ key: string | null; value: Buffer | string | null }> = [];
  sample.records.forEach((record, i) => {
    messages.push({ key: record.id, value: JSON.stringify(record) });
    const bad = malformed[i / 100];
    if (i % 100 === 0 && bad) messages.push({ key: bad.key, value: bad.value });
  });
  return messages;
}

function deviceIdsOf(sample: SensorSample): string[] {
  return [...new Set(sample.records.map((r) => r.id))];
}

/** Each device's models after an uninterrupted in-memory run of the same detector code. */
function referenceModels(sample: SensorSample): Map<string, DeviceState['models']> {
  const byDevice = new Map<string, SourcedReading[]>();
  sample.records.forEach((r, offset) => {
    const readings = byDevice.get(r.id) ?? [];
    readings.push({ source: { topic: 'reference', partition: 0, offset }, reading: { deviceId: r.id, ts: r.ts, values: { temp: r.temp, hum: r.hum } } });
    byDevice.set(r.id, readings);
  });
  return new Map([...byDevice].map(([id, readings]) => [id, referenceRun(id, readings).state.models]));
}

async function waitUntilDrained(p: Pipeline, sample: SensorSample, deadLetters: number): Promise<Map<string, DeviceState>> {
  const ids = deviceIdsOf(sample);
  let states = new Map<string, DeviceState>();
  const applied = () => [...states.values()].reduce((sum, s) => sum + s.readingsApplied, 0);
  await waitFor(
    'every reading applied, every bad one dead-lettered, every spike published',
    async () => {
      states = await p.statesOf(ids).catch(() => new Map());
      return states.size === ids.length && applied() === sample.records.length && p.deadLetters.length >= deadLetters && flagged(p.anomalies).length >= sample.spikes.length;
    },
    200_000,
    () => `applied ${applied()}/${sample.records.length}, dead letters ${p.deadLetters.length}/${deadLetters}, anomalies ${p.anomalies.length}/${sample.spikes.length}`,
  );
  await sleep(1500); // anything published late, or twice, would show up now
  return p.statesOf(ids);
}

/** The steps that flag a reading: raised, or updated by an adjacent spike (not resolved). */
const flagged = (anomalies: AnomalyEvent[]) => anomalies.filter((a) => a.status !== 'resolved');

function expectExactlyTheSpikes(anomalies: AnomalyEvent[], sample: SensorSample): void {
  const distinct = new Map(flagged(anomalies).map((a) => [a.eventId, a]));
  const found = [...distinct.values()].map((a) => `${a.deviceId}|${a.field}|${a.ts}|${a.value}`).sort();
  const expected = sample.spikes.map((s) => `${s.id}|temp|${s.ts}|${s.temp}`).sort();
  expect(found).toEqual(expected);
}

/**
 * Per device, the topic holds events in reading order. Publication is at-least-once: an
 * activity retried after a worker died may publish its batch again, so a repeat must be the
 * very same event (same id and content), and the first occurrences must be in order.
 */
function expectPerDeviceOrder(anomalies: AnomalyEvent[]): void {
  const byDevice = new Map<string, AnomalyEvent[]>();
  for (const a of anomalies) byDevice.set(a.deviceId, [...(byDevice.get(a.deviceId) ?? []), a]);
  for (const [deviceId, events] of byDevice) {
    const first = new Map<string, AnomalyEvent>();
    for (const event of events) {
      const seen = first.get(event.eventId);
      if (seen) expect(event).toEqual(seen);
      else first.set(event.eventId, event);
    }
    const offsets = [...first.values()].map((a) => a.source.offset);
    const sequence = events.map((a) => `${a.status}@${a.source.offset}`).join(' ');
    expect(offsets, `${deviceId}: ${sequence}`).toEqual([...offsets].sort((x, y) => x - y));
  }
}

function expectModelsEqualReference(states: Map<string, DeviceState>, sample: SensorSample): void {
  const reference = referenceModels(sample);
  for (const [id, state] of states) {
    expect(state.readingsApplied).toBe(READINGS_PER_DEVICE);
    expect(state.models).toEqual(reference.get(id));
  }
}

describe('pipeline on the local Temporal and Kafka', () => {
  it('turns 20 devices × 500 readings into exactly the injected anomalies, once each, in device order, and dead-letters 100 bad records', async () => {
    const p = (pipeline = new Pipeline('e2e-flow'));
    await p.setUp();
    const sample = sampleFor(p);
    const malformed = malformedMessages(`${p.runName}-dev-1`);
    const messages = messagesOf(sample, malformed);
    await p.start('worker');
    await p.start('ingest');
    await p.send(messages, p.config.kafka.inputs[1]?.topic ?? 'missing');

    const states = await waitUntilDrained(p, sample, malformed.length);

    expect(flagged(p.anomalies)).toHaveLength(DEVICES * SPIKES_PER_DEVICE);
    expect(new Set(p.anomalies.map((a) => a.eventId)).size).toBe(p.anomalies.length);
    expectExactlyTheSpikes(p.anomalies, sample);
    // Every anomaly resolves on the next normal reading, unless the device's last reading is a spike.
    const raised = p.anomalies.filter((a) => a.status === 'raised');
    const resolved = new Set(p.anomalies.filter((a) => a.status === 'resolved').map((a) => a.anomalyId));
    const lastTs = sample.records.at(-1)?.ts;
    expect(raised.filter((a) => !resolved.has(a.anomalyId)).every((a) => sample.spikes.some((s) => s.id === a.deviceId && s.ts === lastTs))).toBe(true);
    expectPerDeviceOrder(p.anomalies);
    expectModelsEqualReference(states, sample);

    // In = processed + dead-lettered, and every dead letter says why and where from.
    const processed = [...states.values()].reduce((sum, s) => sum + s.readingsApplied, 0);
    expect(p.deadLetters).toHaveLength(malformed.length);
    expect(processed + p.deadLetters.length).toBe(messages.length);
    const reasons = (list: Array<{ reason: string }>) => list.map((r) => r.reason).sort();
    expect(reasons(p.deadLetters.map((d) => ({ reason: d.headers['vigil.dlq.reason'] ?? '' })))).toEqual(reasons(malformed));
    for (const letter of p.deadLetters) {
      expect(letter.headers['vigil.dlq.source.topic']).toBe(p.config.kafka.inputs[1]?.topic);
      expect(Number(letter.headers['vigil.dlq.source.offset'])).toBeGreaterThanOrEqual(0);
      expect(letter.headers['vigil.dlq.detail']).not.toBe('');
    }
    const brokenJson = p.deadLetters.find((d) => d.headers['vigil.dlq.reason'] === 'invalid-json' && d.value?.length);
    expect(brokenJson?.value?.toString('utf8')).toBe(`{"id": "broken`);

    // The Prometheus endpoints count the same: in, dead letters by reason, anomalies raised.
    const ingest = await p.metrics('ingest');
    const topic = p.config.kafka.inputs[1]?.topic;
    expect(ingest.get(`vigil_ingest_messages_total{topic="${topic}"}`)).toBe(messages.length);
    expect(ingest.get('vigil_dead_letters_total{reason="oversized"}')).toBe(10);
    expect(ingest.get('vigil_dead_letters_total{reason="invalid-schema"}')).toBe(40);
    expect(ingest.get('vigil_signal_batch_size_sum')).toBe(sample.records.length);
    expect([...ingest.keys()].filter((k) => k.startsWith('vigil_consumer_lag{'))).not.toHaveLength(0);
    const worker = await p.metrics('worker');
    expect(worker.get('vigil_anomaly_events_total{detector="zscore",status="raised"}')).toBe(flagged(p.anomalies).filter((a) => a.status === 'raised').length);
    expect(worker.get('process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('gives the same anomalies and final models when the worker is killed with SIGKILL mid-stream and restarted', async () => {
    const p = (pipeline = new Pipeline('e2e-kill'));
    await p.setUp();
    const sample = sampleFor(p);
    const messages = messagesOf(sample, []);
    const topic = p.config.kafka.inputs[1]?.topic ?? 'missing';
    const worker = await p.start('worker');
    await p.start('ingest');
    const chunk = Math.ceil(messages.length / 10);
    for (let i = 0; i < 10; i += 1) {
      await p.send(messages.slice(i * chunk, (i + 1) * chunk), topic);
      if (i === 3) {
        await waitFor('some anomalies before the kill', () => flagged(p.anomalies).length >= 3, 120_000);
        worker.kill('SIGKILL');
      }
      await sleep(200);
    }
    expect(flagged(p.anomalies).length).toBeLessThan(sample.spikes.length); // the kill really was mid-stream
    await sleep(1000);
    await p.start('worker');

    const states = await waitUntilDrained(p, sample, 0);

    expectExactlyTheSpikes(p.anomalies, sample);
    expectPerDeviceOrder(p.anomalies);
    expectModelsEqualReference(states, sample);
    const processed = [...states.values()].reduce((sum, s) => sum + s.readingsApplied, 0);
    expect(processed).toBe(messages.length);
  });
});
