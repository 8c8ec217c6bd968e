import type { Producer, ProducerBatch, ProducerRecord, RecordMetadata } from 'kafkajs';
import { logger } from '../logger';

const log = logger.child({ component: 'kafka-producer' });

/**
 * Broker answers that say the producer's idempotence session is gone for good: after a broker
 * restart its sequence numbers no longer match (OUT_OF_ORDER_SEQUENCE_NUMBER), or the broker
 * forgot its id or epoch. kafkajs treats them as final and keeps the session, so every later send
 * fails the same way (kafkajs issue 598): only a new producer, with a new id, sends again.
 */
const SESSION_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

// kafkajs's wrappers copy the broker's message and keep the answer as their cause.
const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: Array<{ type: string; message: string }> };
const typeOfMessage = new Map(errorCodes.filter((e) => SESSION_LOST.has(e.type)).map((e) => [e.message, e.type]));

/** The broker answer that says the session is gone, in an error or one it was caused by (kafkajs wraps them). */
export function lostSession(error: unknown): string | undefined {
  for (let e = error as { type?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth += 1) {
    if (typeof e.type === 'string' && SESSION_LOST.has(e.type)) return e.type;
    if (typeof e.message === 'string' && typeOfMessage.has(e.message)) return typeOfMessage.get(e.message);
  }
  return undefined;
}

/**
 * kafkajs's idempotent producer, replaced by a new one when the broker no longer knows its
 * session: the failing send still fails (its caller retries it, as for any failed send), and
 * the sends after it go through the new producer. A batch the old producer may have written is
 * then written again by the new one: the same records with the same ids, which every consumer
 * of Vigil's topics keeps once. Concurrent sends that fail together replace it once.
 */
export class IdempotentProducer {
  private current: { producer: Producer; connected: Promise<void> | undefined; generation: number };
  /** Producers replaced and still disconnecting: `disconnect` waits for them too. */
  private readonly leaving = new Set<Promise<void>>();

  constructor(private readonly create: () => Producer) {
    this.current = { producer: create(), connected: undefined, generation: 0 };
  }

  /** How many times the producer was replaced: for the metrics and the tests. */
  get replacements(): number {
    return this.current.generation;
  }

  async connect(): Promise<void> {
    this.current.connected ??= this.current.producer.connect();
    await this.current.connected;
  }

  async disconnect(): Promise<void> {
    await Promise.all([this.current.producer.disconnect(), ...this.leaving]);
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.through((producer) => producer.send(record));
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.through((producer) => producer.sendBatch(batch));
  }

  private async through(send: (producer: Producer) => Promise<RecordMetadata[]>): Promise<RecordMetadata[]> {
    const used = this.current;
    await (used.connected ??= used.producer.connect());
    try {
      return await send(used.producer);
    } catch (error) {
      const lost = lostSession(error);
      if (lost !== undefined) this.replace(used.generation, lost);
      throw error;
    }
  }

  private replace(failedGeneration: number, reason: string): void {
    if (failedGeneration !== this.current.generation) return; // replaced already
    const old = this.current.producer;
    const producer = this.create();
    const connected = producer.connect();
    connected.catch(() => undefined); // the next send waits for it, and says why it failed
    this.current = { producer, connected, generation: failedGeneration + 1 };
    log.warn({ reason, replacements: this.current.generation }, 'the broker no longer knows this producer’s session; a new producer sends from now on (a batch in doubt may be written twice, with the same ids)');
    const leaving = old.disconnect().catch((error: unknown) => log.debug({ err: error }, 'the old producer did not disconnect cleanly'));
    this.leaving.add(leaving);
    void leaving.finally(() => this.leaving.delete(leaving));
  }
}
