import { aggregatesContract } from '../contracts/aggregates';
import { anomaliesContract } from '../contracts/anomalies';
import { deviceEventsContract } from '../contracts/device-events';
import { enrichedContract } from '../contracts/enriched';
import { decodeMessage } from '../formats/message';
import type { InputFormat } from '../formats/format';
import type { BoardModel } from './model';

/** The topics the board reads, and how to read each input topic. */
export interface BoardTopics {
  anomalies: string;
  deviceEvents: string;
  aggregates: string;
  enriched: string;
  /** Input topic → its format. */
  inputs: ReadonlyMap<string, InputFormat>;
  /** The ingest's limit: a larger reading is dead-lettered there, and not shown here. */
  maxMessageBytes: number;
}

export interface BoardMessage {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
}

/**
 * Folds one Kafka message into the model, each topic decoded with its contract (an input topic
 * as the ingest decodes it). Returns false for a message it cannot read: the ingest dead-letters
 * bad input, and the board shows only what it can read, whatever arrives.
 */
export function foldMessage(model: BoardModel, topics: BoardTopics, message: BoardMessage): boolean {
  const { topic, value } = message;
  try {
    if (topic === topics.anomalies) model.addAnomaly(anomaliesContract.decode(value));
    else if (topic === topics.deviceEvents) model.addDeviceEvent(deviceEventsContract.decode(value));
    else if (topic === topics.aggregates) model.addAggregate(aggregatesContract.decode(value));
    else if (topic === topics.enriched) {
      const score = enrichedContract.decode(value);
      // While a model still learns its value range it has no raw score to show.
      if (score.anomaly !== null) model.addScore(score.deviceId, { ts: score.ts, field: score.field, anomaly: score.anomaly, likelihood: score.likelihood });
    } else {
      const format = topics.inputs.get(topic);
      if (!format) return false;
      model.addReading(decodeMessage(format, value, { key: message.key?.toString('utf8'), timestamp: message.timestamp }, topics.maxMessageBytes));
    }
    return true;
  } catch {
    return false;
  }
}
