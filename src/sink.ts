import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import { z } from 'zod';
import type { Config } from './config';
import { aggregateSchema, anomalyEventSchema } from './events';
import { configuredFormats, decodeMessage } from './formats';
import type { InputFormat } from './formats/format';
import { createKafka } from './kafka/client';
import { logger } from './logger';
import { serveMetrics, sinkMetrics } from './metrics';
import type { Reading, Source } from './reading';
import { migrate } from './sink/migrate';
import { anomalyRows, hourlyAggregateRows, readingRows, writeTables } from './sink/tables';

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
    const inputFormats = configuredFormats(config.formats);
    this.formatOf = new Map(config.sink.storeReadings ? config.kafka.inputs.map((input) => [input.topic, inputFormats[input.format]]) : []);
    this.consumer = createKafka(config, 'sink').consumer({ groupId: config.sink.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  }

  async start(): Promise<void> {
    await migrate(this.config);
    const { anomalies, aggregates } = this.config.kafka.topics;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [anomalies, aggregates, ...this.formatOf.keys()], fromBeginning: true });
    await this.consumer.run({ eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) });
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
    if (topic === anomalies) return anomalyRows(this.parseAll(topic, partition, messages, (value) => anomalyEventSchema.parse(value)));
    if (topic === aggregates) return hourlyAggregateRows(this.parseAll(topic, partition, messages, (value) => aggregateSchema.parse(value)));
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

  /** Vigil writes these topics itself; a record that does not parse is counted and logged, not fatal. */
  private parseAll<T>(topic: string, partition: number, messages: KafkaMessage[], parse: (value: unknown) => T): T[] {
    const parsed: T[] = [];
    for (const message of messages) {
      try {
        parsed.push(parse(JSON.parse(message.value?.toString('utf8') ?? '')));
      } catch (error) {
        sinkMetrics.skipped.inc({ topic });
        const reason = error instanceof z.ZodError ? z.prettifyError(error).split('\n').slice(0, 2).join(' ') : String(error);
        log.warn({ topic, partition, offset: message.offset, reason }, 'skipped a record that is not a valid event');
      }
    }
    return parsed;
  }
}

export async function runSink(config: Config): Promise<void> {
  // The stop handler exits the process, which also ends the metrics server.
  await serveMetrics(config.metrics.sinkPort);
  const sink = new Sink(config);
  await sink.start();
  const stop = () => void sink.stop().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
