import type { EachBatchPayload, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import type { SourcedItem } from '../../../src/device/item';
import type { FormatDefaults } from '../../../src/device/settings';
import { type Deliver, Ingest } from '../../../src/ingest/ingest';
import { fetchedBatch } from '../../support/fetched-batch';

interface Delivered {
  deviceId: string;
  items: SourcedItem[];
  format: FormatDefaults | undefined;
}

/** An ingest whose consumer does nothing and whose deliveries wait until the test acknowledges them. */
function ingestWithOneSignalSlot() {
  const config = loadConfig({ VIGIL_MAX_SIGNALS_IN_FLIGHT: '1', VIGIL_TOPIC_PREFIX: 'unit.' });
  const delivered: Delivered[] = [];
  const acknowledge: Array<() => void> = [];
  const deliver: Deliver = (deviceId, items, format) => {
    delivered.push({ deviceId, items, format });
    return new Promise((resolve) => acknowledge.push(() => resolve()));
  };
  const consumer = { pause: () => undefined, resume: () => undefined, commitOffsets: async () => undefined };
  const kafka = { consumer: () => consumer, producer: () => ({}) } as unknown as Kafka;
  const ingest = new Ingest(config, kafka, deliver, { apply: async () => undefined }) as unknown as { running: boolean; onBatch(payload: EachBatchPayload): Promise<void> };
  ingest.running = true;
  return { config, ingest, delivered, acknowledge };
}

/** One fetched batch of lines, each keyed by its first column (the device). */
function batchOf(topic: string, lines: string[], firstOffset = 0): EachBatchPayload {
  return fetchedBatch(topic, lines.map((line) => ({ key: line.split(',')[0]!, value: line, timestamp: '1790000000000' })), firstOffset);
}

describe('the input format a delivery brings', () => {
  it('is the format of the batch’s readings, also when a control message comes first', async () => {
    const { config, ingest, delivered, acknowledge } = ingestWithOneSignalSlot();
    const csv3 = config.kafka.inputs.find((input) => input.format === 'csv3')!.topic;
    // The one signal slot is taken, so the boiler's control message and its line wait and coalesce.
    await ingest.onBatch(batchOf(csv3, ['kettle,20,OK']));
    await ingest.onBatch(batchOf(config.kafka.topics.control, ['boiler,temp,,90']));
    await ingest.onBatch(batchOf(csv3, ['boiler,95,OK'], 1));
    acknowledge.shift()!();
    await expect.poll(() => delivered.length).toBe(2);

    const [kettle, boiler] = delivered;
    expect(kettle!.format?.name).toBe('csv3');
    expect(boiler!.items.map((item) => ('control' in item ? 'control' : 'reading'))).toEqual(['control', 'reading']);
    expect(boiler!.format).toEqual(kettle!.format);
    expect(boiler!.format?.thresholds?.temp).toBeDefined();
  });

  it('is none for a batch of control messages alone', async () => {
    const { config, ingest, delivered } = ingestWithOneSignalSlot();
    await ingest.onBatch(batchOf(config.kafka.topics.control, ['boiler,temp,,90']));
    await expect.poll(() => delivered.length).toBe(1);
    expect(delivered[0]!.format).toBeUndefined();
  });
});
