import type { z } from 'zod';
import type { DetectorName } from '../detectors/registry';
import type { ThresholdLayer } from '../detectors/threshold';
import type { Reading } from '../reading';

/** An input format: the wire schema of one Kafka message and its mapping to the canonical reading. */
export interface InputFormat<Schema extends z.ZodType = z.ZodType> {
  name: string;
  /** `json`: a message is a JSON document; `line`: a message is one text line (e.g. CSV). */
  wire: 'json' | 'line';
  /** Turns a `line` message into the object the wire schema checks; JSON formats parse JSON. */
  parseText?(text: string): unknown;
  wireSchema: Schema;
  toReading(wire: z.infer<Schema>, meta: MessageMeta): Reading;
  /** Builds the wire object from one CSV row (header names as keys), for `replay` of JSON formats. */
  fromCsvRow(row: Record<string, string>): unknown;
  /**
   * The detectors that suit this format's fields, for a device whose readings come in it (unless
   * the configuration chooses for the field): a meter's usage wants the seasonal forest.
   */
  judging?: Readonly<Record<string, readonly DetectorName[]>>;
  /**
   * The threshold rules a device of this format comes with, below the fleet's `*` rows and its
   * own: the csv3 format's temp above 100, the rule its users ran.
   */
  thresholds?: Readonly<ThresholdLayer>;
  /**
   * Only for formats whose records name no device (the usage format's rows): the device of a
   * message is its key, or a configured default when it has none; throws a `missing-key`
   * Rejection when there is neither. Without it the record names its device and the key must
   * equal that id.
   */
  deviceIdFromKey?(key: string | undefined): string;
  /**
   * Only for formats whose device ids have more than one spelling: true when a message key names
   * the record's device though it is not written the same (EPA codes without their zero padding).
   */
  sameDevice?(key: string, deviceId: string): boolean;
}

export interface MessageMeta {
  key: string | undefined;
  /** Kafka message timestamp, epoch ms. */
  timestamp: number;
}
