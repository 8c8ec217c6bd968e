import type { KafkaMessage, Producer } from 'kafkajs';
import type { Rejection } from '../formats';

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
          'vigil.dlq.reason': rejection.code,
          'vigil.dlq.detail': rejection.detail,
          'vigil.dlq.source.topic': topic,
          'vigil.dlq.source.partition': String(partition),
          'vigil.dlq.source.offset': message.offset,
          'vigil.dlq.source.timestamp': message.timestamp,
          'vigil.dlq.original.bytes': String(value.length),
          ...(truncated ? { 'vigil.dlq.truncated': 'true' } : {}),
        },
      };
    }),
  });
}
