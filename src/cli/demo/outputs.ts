import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { Config } from '../../config';
import { anomaliesContract, type AnomalyEvent } from '../../contracts/anomalies';
import type { TopicContract } from '../../contracts/contract';
import {
  type MeterAnomaly,
  meterAnomaliesContract,
  type MonitoringRecord,
  monitoringRecordsContract,
  type SensorAnomalyReport,
  sensorAnomalyReportsContract,
} from '../../drop-in';
import { enrichedContract, enrichedId, type EnrichedReading } from '../../contracts/enriched';
import { createKafka } from '../../kafka/client';
import { runConsumer } from '../../kafka/consumer';

/** A record of a topic whose records do not name their device: the key does. */
export interface Keyed<T> {
  deviceId: string;
  record: T;
}

/**
 * What the demo's systems publish, read back as their consumers would: the anomalies, the
 * enriched readings and the three drop-in topics, each decoded with its contract. Records are
 * kept once each (a re-publication after a crash is the same record), from the moment the
 * follower has joined: the demo's devices are fresh, so nothing of theirs is older.
 */
export class DemoOutputs {
  readonly anomalies = new Map<string, AnomalyEvent>();
  readonly enriched = new Map<string, EnrichedReading>();
  readonly sensorReports = new Map<string, SensorAnomalyReport>();
  readonly meterAnomalies = new Map<string, Keyed<MeterAnomaly>>();
  readonly monitoringRecords = new Map<string, Keyed<MonitoringRecord>>();
  /** Records that did not decode, by topic. */
  readonly undecodable = new Map<string, number>();

  private constructor(private readonly consumer: Consumer) {}

  static async follow(config: Config): Promise<DemoOutputs> {
    const consumer = createKafka(config, 'demo').consumer({ groupId: `vigil-demo-${randomUUID()}`, maxWaitTimeInMs: 200 });
    const outputs = new DemoOutputs(consumer);
    const { anomalies, enriched } = config.kafka.topics;
    const { sensorAnomalies, meterAnomalies, monitoringRecords } = config.dropIn.topics;
    const keyOf = (key: Buffer | null) => key?.toString('utf8') ?? '';
    const keep = <T>(topic: string, contract: TopicContract<T>, value: Buffer | null, store: (record: T) => void) => {
      let record: T;
      try {
        record = contract.decode(value);
      } catch {
        outputs.undecodable.set(topic, (outputs.undecodable.get(topic) ?? 0) + 1);
        return;
      }
      store(record);
    };
    const handlers = new Map<string, (key: Buffer | null, value: Buffer | null) => void>([
      [anomalies, (_, value) => keep(anomalies, anomaliesContract, value, (e) => outputs.anomalies.set(e.eventId, e))],
      [enriched, (_, value) => keep(enriched, enrichedContract, value, (r) => outputs.enriched.set(enrichedId(r), r))],
      [sensorAnomalies, (_, value) => keep(sensorAnomalies, sensorAnomalyReportsContract, value, (r) => outputs.sensorReports.set(`${r.id}@${r.ts}`, r))],
      [meterAnomalies, (key, value) => keep(meterAnomalies, meterAnomaliesContract, value, (r) => outputs.meterAnomalies.set(`${keyOf(key)}@${r.ts}`, { deviceId: keyOf(key), record: r }))],
      [
        monitoringRecords,
        (key, value) =>
          keep(monitoringRecords, monitoringRecordsContract, value, (r) => outputs.monitoringRecords.set(`${keyOf(key)}@${r.dateGMT} ${r.timeGMT}`, { deviceId: keyOf(key), record: r })),
      ],
    ]);
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await runConsumer(consumer, [{ topics: [...handlers.keys()], fromBeginning: false }], {
      eachMessage: async ({ topic, message }) => handlers.get(topic)?.(message.key, message.value),
    }, 'demo');
    await joined;
    return outputs;
  }

  /** The anomaly steps of these devices. */
  anomaliesOf(devices: ReadonlySet<string>): AnomalyEvent[] {
    return [...this.anomalies.values()].filter((e) => devices.has(e.deviceId));
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
