import { OffsetTracker } from './offset-tracker';

export interface TopicPartition {
  topic: string;
  partition: number;
}

interface PartitionState extends TopicPartition {
  tracker: OffsetTracker;
  paused: boolean;
  /** A watermark taken from the tracker whose commit has not succeeded yet. */
  uncommitted: number | undefined;
}

const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * The ingest's bookkeeping for the partitions it holds: which offsets are taken, done and
 * committable, and the backpressure policy in one place. A partition pauses once `maxBuffered`
 * of its messages are taken but not yet acknowledged, and resumes once fewer than half are.
 */
export class PartitionLedger {
  private partitions = new Map<string, PartitionState>();

  constructor(private readonly maxBuffered: number) {}

  private state(topic: string, partition: number): PartitionState {
    const key = keyOf(topic, partition);
    let state = this.partitions.get(key);
    if (!state) {
      state = { topic, partition, tracker: new OffsetTracker(), paused: false, uncommitted: undefined };
      this.partitions.set(key, state);
    }
    return state;
  }

  /** Takes an offset in fetch order; false when it was taken before (a re-fetch). */
  accept(topic: string, partition: number, offset: number): boolean {
    return this.state(topic, partition).tracker.accept(offset);
  }

  /** The message at the offset is acknowledged (signalled, or dead-lettered). */
  complete(topic: string, partition: number, offset: number): void {
    this.partitions.get(keyOf(topic, partition))?.tracker.complete(offset);
  }

  /** After a fetched batch: true when the partition must pause now (it just reached its limit). */
  shouldPause(topic: string, partition: number): boolean {
    const state = this.state(topic, partition);
    if (state.paused || state.tracker.outstanding < this.maxBuffered) return false;
    state.paused = true;
    return true;
  }

  outstanding(topic: string, partition: number): number {
    return this.partitions.get(keyOf(topic, partition))?.tracker.outstanding ?? 0;
  }

  /**
   * What to commit now (Kafka's next offset per partition) and which paused partitions have
   * drained enough to resume. A watermark stays due until `committed` confirms it.
   */
  takeCommits(): { offsets: Array<TopicPartition & { offset: number }>; resume: TopicPartition[] } {
    const offsets: Array<TopicPartition & { offset: number }> = [];
    const resume: TopicPartition[] = [];
    for (const state of this.partitions.values()) {
      const { topic, partition, tracker } = state;
      state.uncommitted = tracker.takeCommittable() ?? state.uncommitted;
      if (state.uncommitted !== undefined) offsets.push({ topic, partition, offset: state.uncommitted });
      if (state.paused && tracker.outstanding < this.maxBuffered / 2) {
        state.paused = false;
        resume.push({ topic, partition });
      }
    }
    return { offsets, resume };
  }

  /** The commit of these offsets succeeded. */
  committed(offsets: ReadonlyArray<TopicPartition & { offset: number }>): void {
    for (const { topic, partition, offset } of offsets) {
      const state = this.partitions.get(keyOf(topic, partition));
      if (state?.uncommitted === offset) state.uncommitted = undefined;
    }
  }

  /** The consumer refused to resume the partition (it is restarting): it stays paused, and is tried again at the next commit. */
  resumeFailed({ topic, partition }: TopicPartition): void {
    const state = this.partitions.get(keyOf(topic, partition));
    if (state) state.paused = true;
  }

  /**
   * A rebalance: every partition is re-read from its last commit, so the ledger starts afresh.
   * Returns the partitions that were paused, which the consumer must resume.
   */
  reset(): TopicPartition[] {
    const paused = [...this.partitions.values()].filter((state) => state.paused).map(({ topic, partition }) => ({ topic, partition }));
    this.partitions = new Map();
    return paused;
  }
}
