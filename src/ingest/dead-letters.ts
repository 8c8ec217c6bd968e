import type { KafkaMessage, Producer } from 'kafkajs';
import { DLQ_HEADERS, deadLetterHeaders } from '../contracts/dead-letters';
import type { Rejection } from '../formats';

/**
 * Kafka's default max.message.bytes is 1 MB, and it bounds a whole produce batch, not one
 * record: larger originals are truncated, and say so, and the letters go out in sends of at
 * most this many bytes, so a batch of big rejects cannot be refused for ever.
 */
export const MAX_DEAD_LETTER_BYTES = 900 * 1024;

/** A record's framing in a Kafka batch (lengths, offset and time deltas, attributes), counted generously. */
const RECORD_OVERHEAD_BYTES = 64;

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  rejection: Rejection;
}

type DlqMessage = { key: Buffer | null; value: Buffer; headers: Record<string, string> };

/**
 * Writes rejected messages to the DLQ (its contract: `contracts/dead-letters.ts`), in order: the
 * original key and bytes as they came, and in headers the reason and where they came from. A
 * failed call may have sent its first chunks: a retry sends them again.
 */
export async function sendDeadLetters(producer: Pick<Producer, 'send'>, dlqTopic: string, letters: DeadLetter[]): Promise<void> {
  for (const messages of chunksOfAtMost(letters.map(toDlqMessage), MAX_DEAD_LETTER_BYTES)) {
    await producer.send({ topic: dlqTopic, acks: -1, messages });
  }
}

function toDlqMessage({ topic, partition, message, rejection }: DeadLetter): DlqMessage {
  const value = message.value ?? Buffer.alloc(0);
  const truncated = value.length > MAX_DEAD_LETTER_BYTES;
  return {
    key: message.key,
    value: truncated ? value.subarray(0, MAX_DEAD_LETTER_BYTES) : value,
    headers: {
      ...deadLetterHeaders(rejection.code, rejection.detail, { topic, partition, offset: Number(message.offset) }),
      [DLQ_HEADERS.timestamp]: message.timestamp,
      [DLQ_HEADERS.originalBytes]: String(value.length),
      ...(truncated ? { [DLQ_HEADERS.truncated]: 'true' } : {}),
    },
  };
}

/** What a message adds to a produce batch, framing included. */
function dlqMessageBytes({ key, value, headers }: DlqMessage): number {
  const headerBytes = Object.entries(headers).reduce((sum, [name, text]) => sum + Buffer.byteLength(name) + Buffer.byteLength(text) + 8, 0);
  return (key?.length ?? 0) + value.length + headerBytes + RECORD_OVERHEAD_BYTES;
}

/** Consecutive runs of messages of at most `budget` bytes each; a message larger than that goes alone. */
function chunksOfAtMost(messages: DlqMessage[], budget: number): DlqMessage[][] {
  const chunks: DlqMessage[][] = [];
  let current: DlqMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = dlqMessageBytes(message);
    if (current.length > 0 && bytes + size > budget) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
