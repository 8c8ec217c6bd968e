import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import { type Config, inputFormatsOf } from '../config';
import { checkConnections } from '../connections/check';
import { pgConfig } from '../connections/postgres';
import { aggregatesContract } from '../contracts/aggregates';
import { anomaliesContract } from '../contracts/anomalies';
import type { TopicContract } from '../contracts/contract';
import { decodeMessage, type InputFormat } from '../formats';
import { createKafka } from '../kafka/client';
import { runConsumer } from '../kafka/consumer';
import { logger } from '../logger';
import { sinkMetrics } from '../metrics';
import type { Reading, Source } from '../reading';
import { migrate } from './migrate';
import { dataAnomalyRows, dataDumpRows, ensureHourlyUsageView } from './drop-in-tables';
import { anomalyRows, hourlyAggregateRows, readingRows, type TableWrite, writeTables } from './tables';

const log = logger.child({ component: 'sink' });

/**
 * The SQL sink: reads `anomalies`, `aggregates` and the input topics whose readings it keeps
 * (csv3's for the drop-in `data_dump`; every one with VIGIL_SINK_STORE_READINGS), and writes them
 * to PostgreSQL in batches, one transaction per Kafka batch. Offsets are committed only after
 * the transaction, and every write is idempotent, so a crash or rebalance re-writes nothing
 * twice: effectively once.
 */
export class Sink {
  private readonly consumer: Consumer;
  private readonly pool: Pool;
  /** The input topics read, with their formats. */
  private readonly formatOf: Map<string, InputFormat>;
  private readonly csv3Tables: boolean;

  constructor(private readonly config: Config) {
    this.pool = new Pool({ ...pgConfig(config), max: 4 });
    this.pool.on('error', (error) => log.warn({ err: error }, 'idle database connection failed'));
    this.csv3Tables = config.dropIn.outputs.includes('csv3');
    this.formatOf = new Map([...inputFormatsOf(config)].filter(([, format]) => config.sink.storeReadings || (this.csv3Tables && format.name === 'csv3')));
    this.consumer = createKafka(config, 'sink').consumer({ groupId: config.sink.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  }

  async start(): Promise<void> {
    // Wrong settings stop the sink here, in one line, before any client retries.
    await checkConnections(this.config, ['kafka', 'postgres']);
    await migrate(this.config);
    if (this.config.dropIn.outputs.includes('usage')) await ensureHourlyUsageView(this.pool, this.config.formats.usage.timeZone);
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
    const writes = this.rowsOf(topic, partition, messages);
    // A failed write throws: kafkajs retries the batch from its first offset, nothing is skipped.
    const changed = await writeTables(this.pool, writes, this.config.sink.batchRows);
    for (const [table, rows] of Object.entries(changed)) sinkMetrics.rows.inc({ table }, rows);
    resolveOffset(messages[messages.length - 1]!.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  }

  private rowsOf(topic: string, partition: number, messages: KafkaMessage[]): TableWrite[] {
    const { anomalies, aggregates } = this.config.kafka.topics;
    if (topic === anomalies) {
      const events = this.decodeAll(topic, partition, messages, anomaliesContract);
      return [anomalyRows(events), ...(this.csv3Tables ? [dataAnomalyRows(events, (source) => this.formatOf.get(source)?.name === 'csv3')] : [])];
    }
    if (topic === aggregates) return [hourlyAggregateRows(this.decodeAll(topic, partition, messages, aggregatesContract))];
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
    return [
      ...(this.config.sink.storeReadings ? [readingRows(readings)] : []),
      ...(this.csv3Tables && format.name === 'csv3' ? [dataDumpRows(readings)] : []),
    ];
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
