import type { KafkaMessage, Producer } from 'kafkajs';
import type { Rejection } from '../formats';
import type { Source } from '../reading';

/** Kafka's default max.message.bytes is 1 MB: larger originals are truncated, and say so. */
const MAX_DEAD_LETTER_BYTES = 900 * 1024;

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  rejection: Rejection;
}

/**
 * Writes rejected messages to the DLQ: the original key and bytes as they came, and in headers
 * the reason and where they came from (the convention of Kafka Connect's `errors.*` headers).
 */
export async function sendDeadLetters(producer: Producer, dlqTopic: string, letters: DeadLetter[]): Promise<void> {
  await producer.send({
    topic: dlqTopic,
    acks: -1,
    messages: letters.map(({ topic, partition, message, rejection }) => {
      const value = message.value ?? Buffer.alloc(0);
      const truncated = value.length > MAX_DEAD_LETTER_BYTES;
      return {
        key: message.key,
        value: truncated ? value.subarray(0, MAX_DEAD_LETTER_BYTES) : value,
        headers: {
          ...deadLetterHeaders(rejection.code, rejection.detail, { topic, partition, offset: Number(message.offset) }),
          'vigil.dlq.source.timestamp': message.timestamp,
          'vigil.dlq.original.bytes': String(value.length),
          ...(truncated ? { 'vigil.dlq.truncated': 'true' } : {}),
        },
      };
    }),
  });
}

/** The headers every dead letter carries: why, and where the message came from. */
export function deadLetterHeaders(reason: string, detail: string, source: Source): Record<string, string> {
  return {
    'vigil.dlq.reason': reason,
    'vigil.dlq.detail': detail,
    'vigil.dlq.source.topic': source.topic,
    'vigil.dlq.source.partition': String(source.partition),
    'vigil.dlq.source.offset': String(source.offset),
  };
}
