import { describe, expect, it } from 'vitest';
import { usePipeline, waitFor } from '../support/pipeline';
import {
  DEVICES,
  expectExactlyTheSpikes,
  expectModelsEqualReference,
  expectPerDeviceOrder,
  flagged,
  malformedMessages,
  messagesOf,
  readingsAppliedIn,
  sampleFor,
  SPIKES_PER_DEVICE,
  waitUntilDrained,
} from '../support/sensor-run';

const newPipeline = usePipeline();

describe('pipeline on the local Temporal and Kafka', () => {
  it('turns 20 devices × 500 readings into exactly the injected anomalies, once each, in device order, and dead-letters 100 bad records', async () => {
    const p = newPipeline('e2e-flow');
    await p.setUp();
    const reports: Array<{ key: string | undefined; value: string }> = [];
    await p.follow(p.config.dropIn.topics.sensorAnomalies, (value, key) => reports.push({ key, value }));
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

    // The drop-in `anomalyTopic`: exactly the spikes, as `{id, ts, temp}` keyed by device, in each device's order.
    await waitFor('every spike on anomalyTopic', () => reports.length >= sample.spikes.length, 30_000, () => `${reports.length} reports`);
    const firstReports = [...new Map(reports.map((r) => [r.value, r])).values()]; // a retried activity may publish again
    expect(firstReports.map((r) => `${r.key}|${r.value}`).sort()).toEqual(sample.spikes.map((s) => `${s.id}|${JSON.stringify({ id: s.id, ts: s.ts, temp: s.temp })}`).sort());
    for (const id of new Set(sample.spikes.map((s) => s.id))) {
      const times = firstReports.filter((r) => r.key === id).map((r) => (JSON.parse(r.value) as { ts: number }).ts);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }

    // In = processed + dead-lettered, and every dead letter says why and where from.
    const processed = readingsAppliedIn(states);
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
    expect(ingest.get('vigil_dead_letters_total{reason="invalid-schema"}')).toBe(50);
    expect(ingest.get('vigil_signal_batch_size_sum')).toBe(sample.records.length);
    expect([...ingest.keys()].filter((k) => k.startsWith('vigil_consumer_lag{'))).not.toHaveLength(0);
    const worker = await p.metrics('worker');
    expect(worker.get('vigil_anomaly_events_total{detector="zscore",status="raised"}')).toBe(flagged(p.anomalies).filter((a) => a.status === 'raised').length);
    expect(worker.get('process_cpu_seconds_total')).toBeGreaterThan(0);
  });
});
