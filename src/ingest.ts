import type { Client } from '@temporalio/client';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Config } from './config';
import { deviceStartInput } from './device-settings';
import { configuredFormats, decodeMessage, Rejection } from './formats';
import type { InputFormat } from './formats/format';
import { DeviceDispatcher } from './ingest/device-dispatcher';
import { type DeadLetter, sendDeadLetters } from './ingest/dead-letters';
import { OffsetTracker } from './ingest/offset-tracker';
import { retryUntilDone } from './ingest/retry';
import { createIdempotentProducer, createKafka } from './kafka/client';
import { logger } from './logger';
import { ingestMetrics, serveMetrics } from './metrics';
import { connectClient } from './operator';
import type { SourcedItem } from './device-state';
import { decodeControl } from './formats/control';
import { workflowIdFor } from './reading';
import { applyThresholdRows, type ThresholdRow } from './thresholds';
import { type DeliveryBatch, deliverSignal, deviceIdAttribute } from './workflows/definitions';
import type { deviceWorkflow } from './workflows/device';

const log = logger.child({ component: 'ingest' });

/** The ingest's bookkeeping for one assigned topic-partition. */
interface PartitionState {
  topic: string;
  partition: number;
  tracker: OffsetTracker;
  paused: boolean;
  /** A watermark taken from the tracker whose commit has not succeeded yet. */
  uncommitted: number | undefined;
}

const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * Reads the input topics, validates each message in its topic's format, and hands each device's
 * readings, in partition order, to its workflow by signalWithStart. Offsets are committed only
 * once every message up to them was acknowledged by Temporal or written to the DLQ.
 */
export class Ingest {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly dispatcher: DeviceDispatcher;
  private readonly formatOf: Map<string, InputFormat>;
  private partitions = new Map<string, PartitionState>();
  /** Bumped on every rebalance: work of an older generation must not touch the new trackers. */
  private generation = 0;
  private running = false;
  private commitScheduled = false;
  private commitChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: Config,
    private readonly client: Client,
    kafka: Kafka,
  ) {
    const inputFormats = configuredFormats(config.formats);
    this.formatOf = new Map(config.kafka.inputs.map((input) => [input.topic, inputFormats[input.format]]));
    this.consumer = kafka.consumer({
      groupId: config.kafka.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 1024 * 1024,
      maxWaitTimeInMs: 250,
    });
    this.producer = createIdempotentProducer(kafka);
    this.dispatcher = new DeviceDispatcher(
      (deviceId, readings) => this.signal(deviceId, readings),
      config.ingest.maxReadingsPerSignal,
      (readings) => this.onSignalled(readings),
      (deviceId, error) => log.debug({ deviceId, err: error }, 'signal abandoned'),
      config.ingest.maxSignalsInFlight,
    );
  }

  static async create(config: Config): Promise<Ingest> {
    return new Ingest(config, await connectClient(config), createKafka(config, 'ingest'));
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => this.onRebalance(payload.memberAssignment));
    await this.consumer.subscribe({ topics: [...this.formatOf.keys(), this.config.kafka.topics.control], fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.min(4, this.config.kafka.readingsPartitions),
      eachBatch: (payload) => this.onBatch(payload),
    });
    log.info({ inputs: this.config.kafka.inputs }, 'ingest running');
  }

  /** Stops fetching, lets acknowledged work commit, then leaves the group. */
  async stop(drainMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    try {
      this.consumer.pause([...this.formatOf.keys(), this.config.kafka.topics.control].map((topic) => ({ topic })));
    } catch {
      /* not running */
    }
    await Promise.race([this.dispatcher.idle(), new Promise((resolve) => setTimeout(resolve, drainMs))]);
    await this.commit();
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.client.connection.close();
    log.info('ingest stopped');
  }

  private partitionState(topic: string, partition: number): PartitionState {
    const key = partitionKey(topic, partition);
    let state = this.partitions.get(key);
    if (!state) {
      state = { topic, partition, tracker: new OffsetTracker(), paused: false, uncommitted: undefined };
      this.partitions.set(key, state);
    }
    return state;
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const generation = this.generation;
    const state = this.partitionState(topic, partition);
    const { tracker } = state;
    const isControl = topic === this.config.kafka.topics.control;
    const format = this.formatOf.get(topic);
    if (!format && !isControl) throw new Error(`no format configured for topic ${topic}`);
    const deadLetters: DeadLetter[] = [];
    const fleetRows: Array<{ offset: number; row: ThresholdRow }> = [];
    let accepted = 0;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || generation !== this.generation) break;
      const offset = Number(message.offset);
      if (tracker.accept(offset)) {
        accepted += 1;
        const meta = { key: message.key?.toString('utf8'), timestamp: Number(message.timestamp) };
        const source = { topic, partition, offset };
        try {
          if (format) {
            const reading = decodeMessage(format, message.value, meta, this.config.ingest.maxMessageBytes);
            this.dispatcher.enqueue(reading.deviceId, { source, reading });
          } else {
            const decoded = decodeControl(message.value, meta, this.config.ingest.maxMessageBytes);
            if (decoded.kind === 'fleet') fleetRows.push({ offset, row: decoded.row });
            else this.dispatcher.enqueue(decoded.control.deviceId, { source, control: decoded.control });
          }
        } catch (error) {
          const rejection = error instanceof Rejection ? error : new Rejection('decoder-error', String(error));
          if (rejection.code === 'decoder-error') log.error({ err: error, topic, partition, offset }, 'decoder failed');
          deadLetters.push({ topic, partition, message, rejection });
        }
      }
      resolveOffset(message.offset);
    }
    ingestMetrics.received.inc({ topic }, accepted);
    const newest = batch.messages.at(-1);
    if (newest) ingestMetrics.fetchDelaySeconds.observe(Math.max(0, Date.now() - Number(newest.timestamp)) / 1000);
    ingestMetrics.lag.set({ topic, partition }, Number(batch.offsetLag()));
    if (deadLetters.length > 0) void this.deadLetter(generation, deadLetters);
    if (fleetRows.length > 0) void this.applyFleetRows(generation, topic, partition, fleetRows);
    if (tracker.outstanding >= this.config.ingest.maxBufferedPerPartition && !state.paused) {
      state.paused = true;
      this.consumer.pause([{ topic, partitions: [partition] }]);
      log.debug({ partition, outstanding: tracker.outstanding }, 'partition paused');
    }
    await heartbeat();
  }

  private async signal(deviceId: string, items: SourcedItem[]): Promise<void> {
    const generation = this.generation;
    const stopTimer = ingestMetrics.signalSeconds.startTimer();
    const delivered = await retryUntilDone(
      `signal to ${workflowIdFor(deviceId)}`,
      () =>
        this.client.workflow.signalWithStart<typeof deviceWorkflow, [DeliveryBatch]>('deviceWorkflow', {
          workflowId: workflowIdFor(deviceId),
          taskQueue: this.config.temporal.taskQueue,
          args: [deviceStartInput(this.config, deviceId)],
          signal: deliverSignal,
          signalArgs: [{ items }],
          typedSearchAttributes: [{ key: deviceIdAttribute, value: deviceId }],
          staticSummary: `Device ${deviceId}`,
        }),
      () => this.running && generation === this.generation,
    );
    // Abandoned (stopping, or the partition moved): its offsets must stay uncommitted.
    if (!delivered || generation !== this.generation) throw new Error('signal abandoned');
    stopTimer();
    ingestMetrics.batchSize.observe(items.length);
  }

  private onSignalled(items: SourcedItem[]): void {
    for (const { source } of items) this.complete(source.topic, source.partition, source.offset);
    this.scheduleCommit();
  }

  private complete(topic: string, partition: number, offset: number): void {
    this.partitions.get(partitionKey(topic, partition))?.tracker.complete(offset);
  }

  /** `*` rows of the control topic: the fleet defaults, pushed to every running device. */
  private async applyFleetRows(generation: number, topic: string, partition: number, rows: Array<{ offset: number; row: ThresholdRow }>): Promise<void> {
    for (const { offset, row } of rows) {
      const outcomes = await retryUntilDone(
        'applying fleet thresholds',
        () => applyThresholdRows(this.client, this.config, [row], 'control-topic'),
        () => this.running && generation === this.generation,
      );
      if (!outcomes || generation !== this.generation) return;
      for (const outcome of outcomes.filter((o) => !o.applied)) log.warn(outcome, 'fleet threshold not applied');
      this.complete(topic, partition, offset);
    }
    this.scheduleCommit();
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
      this.complete(topic, partition, Number(message.offset));
    }
    this.scheduleCommit();
  }

  /** Batches the commits of acknowledgements that arrive close together. */
  private scheduleCommit(delayMs = 50): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setTimeout(() => {
      this.commitScheduled = false;
      void this.commit();
    }, delayMs);
  }

  /** Commits run one after another, so a later watermark never lands before an earlier one. */
  private commit(): Promise<void> {
    this.commitChain = this.commitChain.then(() => this.commitWatermarks());
    return this.commitChain;
  }

  /** Commits every partition's watermark and resumes partitions whose backlog has drained. */
  private async commitWatermarks(): Promise<void> {
    const offsets: Array<{ topic: string; partition: number; offset: string }> = [];
    const committing: Array<[PartitionState, number]> = [];
    for (const state of this.partitions.values()) {
      const { topic, partition, tracker } = state;
      state.uncommitted = tracker.takeCommittable() ?? state.uncommitted;
      if (state.uncommitted !== undefined) {
        offsets.push({ topic, partition, offset: String(state.uncommitted) });
        committing.push([state, state.uncommitted]);
      }
      if (state.paused && tracker.outstanding < this.config.ingest.maxBufferedPerPartition / 2) {
        try {
          this.consumer.resume([{ topic, partitions: [partition] }]);
          state.paused = false;
        } catch (error) {
          // kafkajs throws between a consumer crash (a broker restart) and its own restart; thrown
          // here it would end the process. The next commit, or the rejoin's onRebalance, resumes it.
          log.warn({ err: error, topic, partition }, 'partition not resumed yet');
        }
      }
    }
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
      for (const [state, offset] of committing) if (state.uncommitted === offset) state.uncommitted = undefined;
    } catch (error) {
      // Kept in `uncommitted` for the next try; after a rebalance the new owner re-reads from
      // the last commit and the workflows skip what they already applied.
      log.warn({ err: error }, 'offset commit failed');
      if (this.running) this.scheduleCommit(1000);
    }
  }

  private onRebalance(assignment: Record<string, number[]>): void {
    this.generation += 1;
    const previous = [...this.partitions.values()];
    this.partitions = new Map();
    // kafkajs re-reads every assigned partition from its last commit: what was queued comes again.
    const dropped = this.dispatcher.discard(() => false);
    const paused = previous.filter((state) => state.paused);
    if (paused.length > 0) this.consumer.resume(paused.map(({ topic, partition }) => ({ topic, partitions: [partition] })));
    log.info({ assignment, dropped }, 'partitions assigned');
  }
}

/** `vigil ingest`: runs until SIGINT/SIGTERM. */
export async function runIngest(config: Config): Promise<void> {
  // The stop handler exits the process, which also ends the metrics server.
  await serveMetrics(config.metrics.ingestPort);
  const ingest = await Ingest.create(config);
  const stop = () => {
    ingest.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'ingest stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await ingest.start();
}
