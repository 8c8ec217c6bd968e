import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { type Config, inputFormatsOf } from '../config';
import type { SourcedItem } from '../device/item';
import { type FormatDefaults, formatDefaultsOf } from '../device/settings';
import type { InputFormat } from '../formats';
import type { ThresholdRow } from '../formats/threshold-rows';
import { createProducer } from '../kafka/client';
import { runConsumer } from '../kafka/consumer';
import { logger } from '../logger';
import { ingestMetrics } from '../metrics';
import { Committer } from './committer';
import { type DeadLetter, sendDeadLetters } from './dead-letters';
import { DeviceDispatcher } from './device-dispatcher';
import { PartitionLedger } from './partition-ledger';
import { retryUntilDone } from '../retry';
import { routeMessage } from './router';

const log = logger.child({ component: 'ingest' });

/**
 * Hands one batch of a device's items to its workflow, with what the input format of its readings
 * brings to a device (none for a batch of control messages); resolves once Temporal has acknowledged it.
 */
export type Deliver = (deviceId: string, items: SourcedItem[], format: FormatDefaults | undefined) => Promise<void>;

/** An input topic as the ingest reads it: its format, and what that format brings to its devices. */
interface InputTopic {
  format: InputFormat;
  defaults: FormatDefaults | undefined;
}

/** The fleet's `*` thresholds, which a control-topic row may change. */
export interface FleetThresholds {
  apply(row: ThresholdRow): Promise<void>;
}

/**
 * Reads the input topics and the control topic, validates each message in its topic's format,
 * and hands each device's items, in partition order, to `deliver`. Offsets are committed only
 * once every message up to them was acknowledged by Temporal or written to the DLQ.
 *
 * This class owns the consumer's lifecycle and the flow of a batch; decoding is `routeMessage`,
 * the offsets and backpressure are the PartitionLedger's, coalescing per device is the
 * DeviceDispatcher's, and what delivery and the fleet thresholds mean is injected (run.ts).
 */
export class Ingest {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly dispatcher: DeviceDispatcher<SourcedItem>;
  private readonly inputs: ReadonlyMap<string, InputTopic>;
  private readonly ledger: PartitionLedger;
  private readonly committer = new Committer(() => this.commitDue());
  /** Bumped on every rebalance: work of an older generation must not touch the new ledger. */
  private generation = 0;
  private running = false;

  constructor(
    private readonly config: Config,
    kafka: Kafka,
    private readonly deliver: Deliver,
    private readonly fleet: FleetThresholds,
  ) {
    this.inputs = new Map([...inputFormatsOf(config)].map(([topic, format]) => [topic, { format, defaults: formatDefaultsOf(format) }]));
    this.ledger = new PartitionLedger(config.ingest.maxBufferedPerPartition);
    this.consumer = kafka.consumer({ groupId: config.kafka.groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 1024 * 1024, maxWaitTimeInMs: 250 });
    this.producer = createProducer(kafka);
    this.dispatcher = new DeviceDispatcher<SourcedItem>(
      (deviceId, items) => this.signal(deviceId, items),
      config.ingest.maxReadingsPerSignal,
      (items) => this.onSignalled(items),
      (deviceId, error) => log.debug({ deviceId, err: error }, 'signal abandoned'),
      config.ingest.maxSignalsInFlight,
      { intervalMs: config.ingest.deviceBatchMs },
    );
  }

  private get topics(): string[] {
    return [...this.inputs.keys(), this.config.kafka.topics.control, ...(this.config.kafka.topics.model ? [this.config.kafka.topics.model] : [])];
  }

  async start(): Promise<void> {
    await this.producer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => this.onRebalance(payload.memberAssignment));
    this.running = true;
    await runConsumer(
      this.consumer,
      [{ topics: this.topics, fromBeginning: true }],
      {
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: Math.min(4, this.config.kafka.readingsPartitions),
        eachBatch: (payload) => this.onBatch(payload),
      },
      'ingest',
    );
    log.info({ inputs: this.config.kafka.inputs }, 'ingest running');
  }

  /** Stops fetching, lets acknowledged work commit, then leaves the group. */
  async stop(drainMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    try {
      this.consumer.pause(this.topics.map((topic) => ({ topic })));
    } catch {
      /* not running */
    }
    // The drain's deadline is cleared once the work is done: a pending timer would keep the process alive for it.
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([this.dispatcher.idle(), new Promise((resolve) => (deadline = setTimeout(resolve, drainMs)))]);
    clearTimeout(deadline);
    await this.committer.commit();
    await this.consumer.disconnect();
    await this.producer.disconnect();
    log.info('ingest stopped');
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const generation = this.generation;
    const isControl = topic === this.config.kafka.topics.control;
    const isModel = topic === this.config.kafka.topics.model;
    const input = this.inputs.get(topic);
    if (!input && !isControl && !isModel) throw new Error(`no format configured for topic ${topic}`);
    const deadLetters: DeadLetter[] = [];
    const fleetRows: Array<{ offset: number; row: ThresholdRow }> = [];
    let accepted = 0;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || generation !== this.generation) break;
      const offset = Number(message.offset);
      if (this.ledger.accept(topic, partition, offset)) {
        accepted += 1;
        const route = routeMessage(isModel ? 'model' : input?.format, { key: message.key, value: message.value, timestamp: Number(message.timestamp) }, { topic, partition, offset }, this.config.ingest.maxMessageBytes);
        if (route.kind === 'device') this.dispatcher.enqueue(route.deviceId, route.item);
        else if (route.kind === 'fleet') fleetRows.push({ offset, row: route.row });
        else {
          if (route.rejection.code === 'decoder-error') log.error({ err: route.rejection, topic, partition, offset }, 'decoder failed');
          deadLetters.push({ topic, partition, message, rejection: route.rejection });
        }
      }
      resolveOffset(message.offset);
    }
    this.observe(topic, partition, accepted, batch.messages.at(-1), batch.offsetLag());
    if (deadLetters.length > 0) void this.deadLetter(generation, deadLetters);
    if (fleetRows.length > 0) void this.applyFleetRows(generation, topic, partition, fleetRows);
    if (this.ledger.shouldPause(topic, partition)) {
      this.consumer.pause([{ topic, partitions: [partition] }]);
      log.debug({ partition, outstanding: this.ledger.outstanding(topic, partition) }, 'partition paused');
    }
    await heartbeat();
  }

  private observe(topic: string, partition: number, accepted: number, newest: KafkaMessage | undefined, lag: string): void {
    ingestMetrics.received.inc({ topic }, accepted);
    if (newest) ingestMetrics.fetchDelaySeconds.observe(Math.max(0, Date.now() - Number(newest.timestamp)) / 1000);
    ingestMetrics.lag.set({ topic, partition }, Number(lag));
  }

  private async signal(deviceId: string, items: SourcedItem[]): Promise<void> {
    const generation = this.generation;
    const format = this.formatDefaultsIn(items);
    const stopTimer = ingestMetrics.signalSeconds.startTimer();
    const delivered = await retryUntilDone(
      `signal to device ${deviceId}`,
      () => this.deliver(deviceId, items, format).then(() => true),
      () => this.running && generation === this.generation,
    );
    // Abandoned (stopping, or the partition moved): its offsets must stay uncommitted.
    if (!delivered || generation !== this.generation) throw new Error('signal abandoned');
    stopTimer();
    ingestMetrics.batchSize.observe(items.length);
  }

  /** What the input format of a batch's readings brings to a device; a batch that starts with a control message still brings it. */
  private formatDefaultsIn(items: readonly SourcedItem[]): FormatDefaults | undefined {
    for (const item of items) {
      const defaults = this.inputs.get(item.source.topic)?.defaults;
      if (defaults) return defaults;
    }
    return undefined;
  }

  private onSignalled(items: SourcedItem[]): void {
    for (const item of items) this.ledger.complete(item.source.topic, item.source.partition, item.source.offset);
    this.committer.schedule();
  }

  /** `*` rows of the control topic: the fleet defaults, pushed to every running device. */
  private async applyFleetRows(generation: number, topic: string, partition: number, rows: Array<{ offset: number; row: ThresholdRow }>): Promise<void> {
    for (const { offset, row } of rows) {
      const applied = await retryUntilDone(
        'applying fleet thresholds',
        () => this.fleet.apply(row).then(() => true),
        () => this.running && generation === this.generation,
      );
      if (!applied || generation !== this.generation) return;
      this.ledger.complete(topic, partition, offset);
    }
    this.committer.schedule();
  }

  private async deadLetter(generation: number, letters: DeadLetter[]): Promise<void> {
    const sent = await retryUntilDone(
      'dead-lettering',
      () => sendDeadLetters(this.producer, this.config.kafka.topics.dlq, letters).then(() => true),
      () => this.running && generation === this.generation,
    );
    if (!sent || generation !== this.generation) return;
    for (const { topic, partition, message, rejection } of letters) {
      ingestMetrics.deadLettered.inc({ reason: rejection.code });
      this.ledger.complete(topic, partition, Number(message.offset));
    }
    this.committer.schedule();
  }

  /** Commits every partition's watermark and resumes partitions whose backlog has drained. */
  private async commitDue(): Promise<void> {
    const { offsets, resume } = this.ledger.takeCommits();
    for (const topicPartition of resume) {
      try {
        this.consumer.resume([{ topic: topicPartition.topic, partitions: [topicPartition.partition] }]);
      } catch (error) {
        // kafkajs throws between a consumer crash (a broker restart) and its own restart; thrown
        // here it would end the process. The next commit, or the rejoin's onRebalance, resumes it.
        this.ledger.resumeFailed(topicPartition);
        log.warn({ err: error, ...topicPartition }, 'partition not resumed yet');
      }
    }
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: String(offset) })));
      this.ledger.committed(offsets);
    } catch (error) {
      // Kept due for the next try; after a rebalance the new owner re-reads from the last
      // commit and the workflows skip what they already applied.
      log.warn({ err: error }, 'offset commit failed');
      if (this.running) this.committer.schedule(1000);
    }
  }

  private onRebalance(assignment: Record<string, number[]>): void {
    this.generation += 1;
    // kafkajs re-reads every assigned partition from its last commit: what was queued comes again.
    const paused = this.ledger.reset();
    const dropped = this.dispatcher.discard(() => false);
    if (paused.length > 0) this.consumer.resume(paused.map(({ topic, partition }) => ({ topic, partitions: [partition] })));
    log.info({ assignment, dropped }, 'partitions assigned');
  }
}
