import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { DeviceState } from '../../src/device/state';
import type { AnomalyEvent } from '../../src/contracts/anomalies';
import type { RejectionCode } from '../../src/formats';
import type { SourcedReading } from '../../src/reading';
import { generateSensorSample, type SensorSample } from '../../src/samples';
import { type Pipeline, waitFor } from './pipeline';
import { referenceRun } from './reference';

/**
 * The 20-device sensor run the end-to-end and fault tests share: seed 000's records with
 * spikes at known places, the Kafka messages made of them, and what the pipeline must end with.
 */
export const DEVICES = 20;
export const READINGS_PER_DEVICE = 500;
export const SPIKES_PER_DEVICE = 3;

export interface TestMessage {
  key: string | Buffer | null;
  value: Buffer | string | null;
  /** Where a message without a key goes (the test's producer sends it there); unset: partition 0. */
  partition?: number;
}

/** A message the ingest must refuse, with the DLQ reason it must get. */
export interface BadMessage extends TestMessage {
  reason: RejectionCode;
}

export function sampleFor(p: Pipeline): SensorSample {
  return generateSensorSample({
    devices: DEVICES, readingsPerDevice: READINGS_PER_DEVICE, spikesPerDevice: SPIKES_PER_DEVICE, seed: 2026,
    prefix: `${p.runName}-dev-`, startTs: 1_790_000_000_000, intervalMs: 1000,
  });
}

/** The same sample with some devices renamed (`rename` returns undefined to keep an id). */
export function withDeviceIds(sample: SensorSample, rename: (id: string) => string | undefined): SensorSample {
  const idOf = (id: string) => rename(id) ?? id;
  return {
    records: sample.records.map((r) => ({ ...r, id: idOf(r.id) })),
    spikes: sample.spikes.map((s) => ({ ...s, id: idOf(s.id) })),
  };
}

/** Ten kinds of bad input, ten of each, each with the DLQ reason it must get. */
export function malformedMessages(deviceId: string): BadMessage[] {
  const kinds: BadMessage[] = [
    { key: deviceId, value: '{"id": "broken', reason: 'invalid-json' },
    { key: deviceId, value: JSON.stringify({ id: deviceId, ts: 'yesterday', temp: 1, hum: 2 }), reason: 'invalid-schema' },
    { key: deviceId, value: JSON.stringify({ id: deviceId, ts: 1, temp: 'NaN', hum: 2 }), reason: 'invalid-schema' },
    { key: deviceId, value: `{"id": "${deviceId}", "ts": 1, "temp": 1e999, "hum": 2}`, reason: 'invalid-schema' },
    { key: deviceId, value: '[1, 2, 3]', reason: 'invalid-schema' },
    { key: deviceId, value: '', reason: 'invalid-json' },
    { key: null, value: JSON.stringify({ ts: 1, temp: 1, hum: 2 }), reason: 'invalid-schema' },
    { key: deviceId, value: JSON.stringify({ id: 'someone-else', ts: 1, temp: 1, hum: 2 }), reason: 'key-mismatch' },
    { key: deviceId, value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: 'invalid-encoding' },
    { key: deviceId, value: JSON.stringify({ id: deviceId, ts: 1, temp: 1, hum: 2, pad: 'x'.repeat(70 * 1024) }), reason: 'oversized' },
  ];
  return Array.from({ length: 100 }, (_, i) => kinds[i % kinds.length] as BadMessage);
}

/**
 * The sample's records as Kafka messages, with the bad ones spread evenly among them. `unkeyed`:
 * the records go without a key, as producers that name the device in the record send them, each
 * run of 1-8 messages to a partition picked at random (a sticky random partitioner such as
 * librdkafka's), so each device's readings are spread over all the partitions.
 */
export function messagesOf(sample: SensorSample, bad: TestMessage[], { unkeyed }: { unkeyed?: { partitions: number } } = {}): TestMessage[] {
  const messages: TestMessage[] = [];
  let seed = 2026;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  let partition = 0;
  let run = 0;
  const nextPartition = (partitions: number) => {
    if (run <= 0) {
      partition = Math.floor(random() * partitions);
      run = 1 + Math.floor(random() * 8);
    }
    run -= 1;
    return partition;
  };
  const every = bad.length === 0 ? Infinity : sample.records.length / bad.length;
  let next = 0;
  sample.records.forEach((record, i) => {
    const value = JSON.stringify(record);
    messages.push(unkeyed ? { key: null, value, partition: nextPartition(unkeyed.partitions) } : { key: record.id, value });
    while (next < bad.length && i >= next * every) {
      const { key, value } = bad[next] as TestMessage;
      messages.push({ key, value });
      next += 1;
    }
  });
  return messages;
}

export function deviceIdsOf(sample: SensorSample): string[] {
  return [...new Set(sample.records.map((r) => r.id))];
}

/** Each device's models after an uninterrupted in-memory run of the same detector code. */
export function referenceModels(sample: SensorSample): Map<string, DeviceState['memories']['zscore']> {
  const byDevice = new Map<string, SourcedReading[]>();
  sample.records.forEach((r, offset) => {
    const readings = byDevice.get(r.id) ?? [];
    readings.push({ source: { topic: 'reference', partition: 0, offset }, reading: { deviceId: r.id, ts: r.ts, values: { temp: r.temp, hum: r.hum } } });
    byDevice.set(r.id, readings);
  });
  return new Map([...byDevice].map(([id, readings]) => [id, referenceRun(id, readings).state.memories.zscore]));
}

export const readingsAppliedIn = (states: Map<string, DeviceState>) => [...states.values()].reduce((sum, s) => sum + s.counters.readingsApplied, 0);

/** Dead letters counted once per source message: a restarted ingest may dead-letter one again. */
export function distinctDeadLetters(p: Pipeline): Pipeline['deadLetters'] {
  const bySource = new Map<string, Pipeline['deadLetters'][number]>();
  for (const letter of p.deadLetters) {
    const h = letter.headers;
    bySource.set(`${h['vigil.dlq.source.topic']}/${h['vigil.dlq.source.partition']}/${h['vigil.dlq.source.offset']}`, letter);
  }
  return [...bySource.values()];
}

/**
 * Waits until every reading is applied, every bad message dead-lettered and every spike
 * published. `stillHealthy` throws to fail at once rather than at the timeout (a crashed process).
 */
export async function waitUntilDrained(
  p: Pipeline,
  sample: SensorSample,
  deadLetters: number,
  { timeoutMs = 200_000, stillHealthy = () => undefined }: { timeoutMs?: number; stillHealthy?: () => void } = {},
): Promise<Map<string, DeviceState>> {
  const ids = deviceIdsOf(sample);
  let states = new Map<string, DeviceState>();
  await waitFor(
    'every reading applied, every bad one dead-lettered, every spike published',
    async () => {
      stillHealthy();
      states = await p.statesOf(ids).catch(() => new Map());
      return (
        states.size === ids.length &&
        readingsAppliedIn(states) === sample.records.length &&
        distinctDeadLetters(p).length >= deadLetters &&
        new Set(flagged(p.anomalies).map((a) => a.eventId)).size >= sample.spikes.length
      );
    },
    timeoutMs,
    () => `applied ${readingsAppliedIn(states)}/${sample.records.length}, dead letters ${distinctDeadLetters(p).length}/${deadLetters}, anomalies ${p.anomalies.length}/${sample.spikes.length}`,
  );
  await sleep(1500); // anything published late, or twice, would show up now
  return p.statesOf(ids);
}

/** The steps that flag a reading: raised, or updated by an adjacent spike (not resolved). */
export const flagged = (anomalies: AnomalyEvent[]) => anomalies.filter((a) => a.status !== 'resolved');

export function expectExactlyTheSpikes(anomalies: AnomalyEvent[], sample: SensorSample): void {
  const distinct = new Map(flagged(anomalies).map((a) => [a.eventId, a]));
  const found = [...distinct.values()].map((a) => `${a.deviceId}|${a.field}|${a.ts}|${a.value}`).sort();
  const expected = sample.spikes.map((s) => `${s.id}|temp|${s.ts}|${s.temp}`).sort();
  expect(found, 'the anomalies are exactly the injected spikes').toEqual(expected);
}

/**
 * Per device, the topic holds events in reading order: the partition's (offsets) for keyed
 * input, event time for unkeyed input, whose device's readings come from several partitions.
 * Publication is at-least-once: an activity retried after a worker died may publish its batch
 * again, so a repeat must be the very same event (same id and content), and the first
 * occurrences must be in order.
 */
export function expectPerDeviceOrder(anomalies: AnomalyEvent[], order: 'offset' | 'event-time' = 'offset'): void {
  const byDevice = new Map<string, AnomalyEvent[]>();
  for (const a of anomalies) byDevice.set(a.deviceId, [...(byDevice.get(a.deviceId) ?? []), a]);
  for (const [deviceId, events] of byDevice) {
    const first = new Map<string, AnomalyEvent>();
    for (const event of events) {
      const seen = first.get(event.eventId);
      if (seen) expect(event, `${deviceId}: a re-published event is the same event`).toEqual(seen);
      else first.set(event.eventId, event);
    }
    const offsets = [...first.values()].map((a) => (order === 'offset' ? a.source.offset : a.ts));
    const sequence = events.map((a) => `${a.status}@${order === 'offset' ? a.source.offset : a.ts}`).join(' ');
    expect(offsets, `${deviceId}: ${sequence}`).toEqual([...offsets].sort((x, y) => x - y));
  }
}

/** Every reading applied once: each device's count and models equal an uninterrupted run's. */
export function expectModelsEqualReference(states: Map<string, DeviceState>, sample: SensorSample): void {
  const reference = referenceModels(sample);
  const readingsOf = (id: string) => sample.records.filter((r) => r.id === id).length;
  expect([...states.keys()].sort(), 'a state for every device').toEqual([...reference.keys()].sort());
  for (const [id, state] of states) {
    expect(state.counters.readingsApplied, `${id}: readings applied`).toBe(readingsOf(id));
    expect(state.memories.zscore, `${id}: models equal the reference run's`).toEqual(reference.get(id));
  }
}
