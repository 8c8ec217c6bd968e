import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import type { Config } from '../config';
import { aggregatesContract } from '../contracts/aggregates';
import { anomaliesContract } from '../contracts/anomalies';
import type { TopicContract } from '../contracts/contract';
import { decodeMessage, formatsByTopic, type InputFormat } from '../formats';
import { createKafka } from '../kafka/client';
import { runConsumer } from '../kafka/consumer';
import { logger } from '../logger';
import { sinkMetrics } from '../metrics';
import type { Reading, Source } from '../reading';
import { migrate } from './migrate';
import { anomalyRows, hourlyAggregateRows, readingRows, writeTables } from './tables';

const log = logger.child({ component: 'sink' });

/**
 * The SQL sink: reads `anomalies`, `aggregates` and (when enabled) the input topics, and writes
 * them to PostgreSQL in batches, one transaction per Kafka batch. Offsets are committed only
 * after the transaction, and every write is idempotent, so a crash or rebalance re-writes
 * nothing twice: effectively once.
 */
export class Sink {
  private readonly consumer: Consumer;
  private readonly pool: Pool;
  private readonly formatOf: Map<string, InputFormat>;

  constructor(private readonly config: Config) {
    this.pool = new Pool({ connectionString: config.postgres.url, max: 4 });
    this.pool.on('error', (error) => log.warn({ err: error }, 'idle database connection failed'));
    this.formatOf = config.sink.storeReadings ? formatsByTopic(config.kafka.inputs, config.formats) : new Map();
    this.consumer = createKafka(config, 'sink').consumer({ groupId: config.sink.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  }

  async start(): Promise<void> {
    await migrate(this.config);
    const { anomalies, aggregates } = this.config.kafka.topics;
    await runConsumer(this.consumer, [{ topics: [anomalies, aggregates, ...this.formatOf.keys()], fromBeginning: true }], { eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) }, 'sink');
    log.info({ readings: this.config.sink.storeReadings }, 'sink running');
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.pool.end();
    log.info('sink stopped');
  }

  private async onBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    if (messages.length === 0) return;
    const write = this.rowsOf(topic, partition, messages);
    // A failed write throws: kafkajs retries the batch from its first offset, nothing is skipped.
    const changed = await writeTables(this.pool, [write], this.config.sink.batchRows);
    for (const [table, rows] of Object.entries(changed)) sinkMetrics.rows.inc({ table }, rows);
    resolveOffset(messages[messages.length - 1]!.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  }

  private rowsOf(topic: string, partition: number, messages: KafkaMessage[]) {
    const { anomalies, aggregates } = this.config.kafka.topics;
    if (topic === anomalies) return anomalyRows(this.decodeAll(topic, partition, messages, anomaliesContract));
    if (topic === aggregates) return hourlyAggregateRows(this.decodeAll(topic, partition, messages, aggregatesContract));
    const format = this.formatOf.get(topic);
    if (!format) throw new Error(`the sink does not read ${topic}`);
    const readings: Array<{ reading: Reading; source: Source }> = [];
    for (const message of messages) {
      const meta = { key: message.key?.toString('utf8'), timestamp: Number(message.timestamp) };
      try {
        readings.push({ reading: decodeMessage(format, message.value, meta, this.config.ingest.maxMessageBytes), source: { topic, partition, offset: Number(message.offset) } });
      } catch {
        // The ingest dead-letters it with the reason; the dump keeps valid readings only.
        sinkMetrics.skipped.inc({ topic });
      }
    }
    return readingRows(readings);
  }

  /** Vigil writes these topics itself; a record that does not decode is counted and logged, not fatal. */
  private decodeAll<T>(topic: string, partition: number, messages: KafkaMessage[], contract: TopicContract<T>): T[] {
    const decoded: T[] = [];
    for (const message of messages) {
      try {
        decoded.push(contract.decode(message.value));
      } catch (error) {
        sinkMetrics.skipped.inc({ topic });
        log.warn({ topic, partition, offset: message.offset, reason: (error as Error).message }, 'skipped a record that is not a valid event');
      }
    }
    return decoded;
  }
}
