import { KafkaJSNonRetriableError, KafkaJSProtocolError, type Producer, type ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { IdempotentProducer, lostSession } from '../../../src/kafka/idempotent-producer';
import { logger } from '../../../src/logger';

/** kafkajs's error for a broker answer of this type (as its protocol layer builds it). */
function brokerAnswer(type: string, code: number): KafkaJSProtocolError {
  return new KafkaJSProtocolError({ type, code, retriable: false, message: `broker said ${type}` } as unknown as Error);
}

/** As kafkajs's retrier hands a final answer on: a wrapper with the answer's message, the answer as its cause. */
function wrapped(answer: Error): Error {
  return new (KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error)(answer, { cause: answer });
}

/**
 * A stand-in for kafkajs's producer whose broker forgot its session after `sendsBefore` sends:
 * every later send fails as kafkajs's does, forever, until a new producer is made.
 */
function producers(sendsBefore: number, answer: () => Error) {
  const made: Array<{ sent: ProducerBatch[]; disconnected: boolean }> = [];
  const create = (): Producer => {
    const mine = { sent: [] as ProducerBatch[], disconnected: false };
    const broken = made.length === 0;
    made.push(mine);
    return {
      connect: async () => undefined,
      disconnect: async () => void (mine.disconnected = true),
      sendBatch: async (batch: ProducerBatch) => {
        if (broken && mine.sent.length >= sendsBefore) throw answer();
        mine.sent.push(batch);
        return [];
      },
      send: async () => [],
    } as unknown as Producer;
  };
  return { made, create };
}

const batch = (n: number): ProducerBatch => ({ topicMessages: [{ topic: 't', messages: [{ value: String(n) }] }] });

describe('the idempotent producer that recovers its session', () => {
  it('finds a lost session in kafkajs’s errors, also wrapped', () => {
    expect(lostSession(brokerAnswer('OUT_OF_ORDER_SEQUENCE_NUMBER', 45))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(lostSession(wrapped(brokerAnswer('UNKNOWN_PRODUCER_ID', 59)))).toBe('UNKNOWN_PRODUCER_ID');
    // A wrapper that kept only the broker's message, as kafkajs words it.
    expect(lostSession(new KafkaJSNonRetriableError('The broker received an out of order sequence number'))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(lostSession(brokerAnswer('NOT_LEADER_FOR_PARTITION', 6))).toBeUndefined();
    expect(lostSession(new Error('connect ECONNREFUSED'))).toBeUndefined();
  });

  it('fails the send that met the lost session, then sends through a new producer, replaced once for sends that failed together', async () => {
    const level = logger.level;
    logger.level = 'silent';
    try {
      const { made, create } = producers(2, () => brokerAnswer('OUT_OF_ORDER_SEQUENCE_NUMBER', 45));
      const producer = new IdempotentProducer(create);
      await producer.connect();
      await producer.sendBatch(batch(1));
      await producer.sendBatch(batch(2));
      // The broker restarted: the next sends fail, as kafkajs's would forever.
      const failed = await Promise.allSettled([producer.sendBatch(batch(3)), producer.sendBatch(batch(4))]);
      expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
      expect(producer.replacements, 'two failures together replace it once').toBe(1);
      // Their retries go through the new producer.
      await producer.sendBatch(batch(3));
      await producer.sendBatch(batch(4));
      expect(made).toHaveLength(2);
      expect(made[0]!.disconnected, 'the old producer is let go').toBe(true);
      expect(made.map((p) => p.sent.map((b) => b.topicMessages![0]!.messages[0]!.value))).toEqual([['1', '2'], ['3', '4']]);
    } finally {
      logger.level = level;
    }
  });

  it('keeps its producer through other failures (a broker away): those are retried on it', async () => {
    const { made, create } = producers(0, () => new Error('connect ECONNREFUSED 127.0.0.1:9092'));
    const producer = new IdempotentProducer(create);
    await expect(producer.sendBatch(batch(1))).rejects.toThrow('ECONNREFUSED');
    expect(producer.replacements).toBe(0);
    expect(made).toHaveLength(1);
  });
});
