/**
 * One contract per output topic, in the spirit of Kafka's Serdes: the record's zod schema, its
 * key, its deterministic id where it has one, and how it is encoded and decoded. The publish
 * activities encode with it; the sink, `tail`, the board and the tests decode with it, so
 * every side of a topic agrees by construction.
 */
import { z } from 'zod';

/** A record as kafkajs sends it. */
export interface KafkaRecord {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface TopicContract<T> {
  /** What the topic is called by default (before any prefix), for messages. */
  topic: string;
  schema: z.ZodType<T>;
  /** The record as a message; `key` is for topics whose records do not name their key. */
  encode(record: T, key?: string): KafkaRecord;
  /** The record in a message's value; throws a readable error for anything else. */
  decode(value: Buffer | string | null | undefined): T;
}

/**
 * A JSON topic whose records are keyed (by `key`, or by the caller when the record does not name
 * its key: `key` null) and maybe carry their id in a header for consumers that de-duplicate.
 */
export function jsonContract<T>(topic: string, schema: z.ZodType<T>, key: ((record: T) => string) | null, id?: (record: T) => string): TopicContract<T> {
  return {
    topic,
    schema,
    encode(record, given) {
      const recordKey = given ?? key?.(record);
      if (recordKey === undefined) throw new Error(`a ${topic} record does not name its key: the publisher gives it`);
      return { key: recordKey, value: JSON.stringify(record), ...(id ? { headers: { 'vigil.event-id': id(record) } } : {}) };
    },
    decode(value) {
      const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : value.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new Error(`invalid record for ${topic}: not JSON`);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new Error(`invalid record for ${topic}: ${z.prettifyError(parsed.error).split('\n').slice(0, 2).join(' ')}`);
      return parsed.data;
    },
  };
}
