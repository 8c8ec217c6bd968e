import type { z } from 'zod';
import type { Reading } from '../reading';

/** An input format: the wire schema of one Kafka message and its mapping to the canonical reading. */
export interface InputFormat<Schema extends z.ZodType = z.ZodType> {
  name: string;
  wireSchema: Schema;
  toReading(wire: z.infer<Schema>, meta: MessageMeta): Reading;
  /** Builds the wire object from one CSV row (header names as keys), for `replay`. */
  fromCsvRow(row: Record<string, string>): unknown;
}

export interface MessageMeta {
  key: string | undefined;
  /** Kafka message timestamp, epoch ms. */
  timestamp: number;
}
