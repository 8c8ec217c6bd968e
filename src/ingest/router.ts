import type { SourcedItem } from '../device/item';
import { decodeControl, decodeModelRecord } from '../formats/control';
import { decodeMessage, type InputFormat, isUnkeyed, Rejection } from '../formats';
import type { ThresholdRow } from '../formats/threshold-rows';
import type { Source } from '../reading';

/** Where one message goes: to a device's workflow, to the fleet's `*` thresholds, or to the DLQ. */
export type Route =
  | { kind: 'device'; deviceId: string; item: SourcedItem }
  | { kind: 'fleet'; row: ThresholdRow }
  | { kind: 'rejected'; rejection: Rejection };

export interface IncomingMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** Kafka message timestamp, epoch ms. */
  timestamp: number;
}

/**
 * Decodes one message of an input topic (with its format), of the control topic (no format) or
 * of the model topic (`'model'`) and says where it goes. Never throws: a message that cannot be read is `rejected`, with the
 * reason its dead letter carries; a failing decoder is `decoder-error`, so the message is kept.
 */
export function routeMessage(format: InputFormat | 'model' | undefined, message: IncomingMessage, source: Source, maxBytes: number): Route {
  const meta = { key: message.key?.toString('utf8'), timestamp: message.timestamp };
  try {
    if (format === 'model') {
      const control = decodeModelRecord(message.value, meta, maxBytes);
      return { kind: 'device', deviceId: control.deviceId, item: { source, control } };
    }
    if (format) {
      const reading = decodeMessage(format, message.value, meta, maxBytes);
      // Without a key the device's readings may come from several partitions: it orders them by event time.
      return { kind: 'device', deviceId: reading.deviceId, item: isUnkeyed(meta.key) ? { source, reading, unkeyed: true } : { source, reading } };
    }
    const decoded = decodeControl(message.value, meta, maxBytes);
    if (decoded.kind === 'fleet') return { kind: 'fleet', row: decoded.row };
    return { kind: 'device', deviceId: decoded.control.deviceId, item: { source, control: decoded.control } };
  } catch (error) {
    return { kind: 'rejected', rejection: error instanceof Rejection ? error : new Rejection('decoder-error', String(error)) };
  }
}
