import type { KafkaMessage, Message, Producer, ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Rejection } from '../../../src/formats';
import { type DeadLetter, MAX_DEAD_LETTER_BYTES, sendDeadLetters } from '../../../src/ingest/dead-letters';

/** Kafka's default max.message.bytes: the limit of one produce batch to a topic left as it is. */
const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

function letter(offset: number, valueBytes: number, reason: 'oversized' | 'invalid-json'): DeadLetter {
  const message = { key: Buffer.from(`device-${offset % 7}`), value: Buffer.alloc(valueBytes, 'x'), offset: String(offset), timestamp: '1790000000000', headers: {} };
  return { topic: 'sensor-raw', partition: 3, message: message as unknown as KafkaMessage, rejection: new Rejection(reason, `detail of ${offset}`) };
}

/** A producer that records each send, as the broker would receive it. */
function recordingProducer(): { producer: Producer; sends: ProducerRecord[] } {
  const sends: ProducerRecord[] = [];
  const producer = { send: async (record: ProducerRecord) => void sends.push(record) } as unknown as Producer;
  return { producer, sends };
}

/** A generous count of a batch's bytes: payloads, headers, and 70 bytes of framing per record. */
function batchBytes(messages: Message[]): number {
  const length = (x: unknown) => (x === null || x === undefined ? 0 : Buffer.byteLength(x as Buffer | string));
  return messages.reduce(
    (sum, m) => sum + length(m.key) + length(m.value) + Object.entries(m.headers ?? {}).reduce((h, [k, v]) => h + length(k) + length(v), 0) + 70,
    0,
  );
}

describe('sendDeadLetters', () => {
  it('splits big rejects into sends a broker with the default 1 MB limit accepts, in order, huge originals truncated', async () => {
    // A fetched batch of rejects as the ingest meets them: 2 MB payloads, 70 KB ones, and many small ones.
    const letters = Array.from({ length: 3000 }, (_, offset) =>
      offset % 1000 === 999 ? letter(offset, 2 * 1024 * 1024, 'oversized') : offset % 50 === 0 ? letter(offset, 70 * 1024, 'oversized') : letter(offset, 120, 'invalid-json'),
    );
    const { producer, sends } = recordingProducer();

    await sendDeadLetters(producer, 'readings.dlq', letters);

    expect(sends.length, 'more than one send').toBeGreaterThan(1);
    for (const send of sends) {
      expect(send.topic).toBe('readings.dlq');
      expect(batchBytes(send.messages), 'one send fits in one default-sized batch').toBeLessThanOrEqual(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    }
    const sent = sends.flatMap((send) => send.messages);
    expect(sent.map((m) => m.headers?.['vigil.dlq.source.offset'])).toEqual(letters.map((l) => l.message.offset));
    const truncated = sent.filter((m) => m.headers?.['vigil.dlq.truncated'] === 'true');
    expect(truncated).toHaveLength(3);
    for (const m of truncated) {
      expect((m.value as Buffer).length).toBe(MAX_DEAD_LETTER_BYTES);
      expect(m.headers?.['vigil.dlq.original.bytes']).toBe(String(2 * 1024 * 1024));
    }
  });

  it('sends a handful of small rejects in one send', async () => {
    const { producer, sends } = recordingProducer();
    await sendDeadLetters(producer, 'readings.dlq', [letter(0, 10, 'invalid-json'), letter(1, 10, 'invalid-json')]);
    expect(sends).toHaveLength(1);
    expect(sends[0]?.messages.map((m) => m.headers?.['vigil.dlq.reason'])).toEqual(['invalid-json', 'invalid-json']);
  });
});
