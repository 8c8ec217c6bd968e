import { describe, expect, it } from 'vitest';
import { PartitionLedger } from '../../../src/ingest/partition-ledger';

const take = (ledger: PartitionLedger, topic: string, partition: number, offsets: number[]) => offsets.map((offset) => ledger.accept(topic, partition, offset));

describe('PartitionLedger', () => {
  it('commits the next offset after everything before it is acknowledged, per partition', () => {
    const ledger = new PartitionLedger(100);
    take(ledger, 'a', 0, [10, 11, 12]);
    take(ledger, 'a', 1, [0, 1]);
    ledger.complete('a', 0, 11);
    ledger.complete('a', 1, 0);
    expect(ledger.takeCommits()).toEqual({ offsets: [{ topic: 'a', partition: 1, offset: 1 }], resume: [] });
    ledger.complete('a', 0, 10);
    const { offsets } = ledger.takeCommits();
    // Partition 1's watermark stays due until a commit of it succeeds.
    expect(offsets).toEqual([
      { topic: 'a', partition: 0, offset: 12 },
      { topic: 'a', partition: 1, offset: 1 },
    ]);
    ledger.committed(offsets);
    expect(ledger.takeCommits().offsets).toEqual([]);
  });

  it('refuses an offset taken before: a re-fetch is not taken twice', () => {
    const ledger = new PartitionLedger(100);
    expect(take(ledger, 'a', 0, [0, 1, 1, 0, 2])).toEqual([true, true, false, false, true]);
    expect(ledger.outstanding('a', 0)).toBe(3);
  });

  it('pauses a partition once it holds the limit, and resumes it once fewer than half are outstanding', () => {
    const ledger = new PartitionLedger(4);
    take(ledger, 'a', 0, [0, 1, 2]);
    expect(ledger.shouldPause('a', 0)).toBe(false);
    take(ledger, 'a', 0, [3]);
    expect(ledger.shouldPause('a', 0)).toBe(true);
    expect(ledger.shouldPause('a', 0), 'once').toBe(false);
    ledger.complete('a', 0, 0);
    expect(ledger.takeCommits().resume, '3 outstanding: not yet').toEqual([]);
    ledger.complete('a', 0, 1);
    ledger.complete('a', 0, 2);
    expect(ledger.takeCommits()).toEqual({ offsets: [{ topic: 'a', partition: 0, offset: 3 }], resume: [{ topic: 'a', partition: 0 }] });
  });

  it('keeps a partition paused when the consumer refuses to resume it, and offers it again at the next commit', () => {
    const ledger = new PartitionLedger(2);
    take(ledger, 'a', 0, [0, 1]);
    expect(ledger.shouldPause('a', 0)).toBe(true);
    ledger.complete('a', 0, 0);
    ledger.complete('a', 0, 1);
    const { resume } = ledger.takeCommits();
    expect(resume).toEqual([{ topic: 'a', partition: 0 }]);
    ledger.resumeFailed({ topic: 'a', partition: 0 });
    expect(ledger.takeCommits().resume).toEqual([{ topic: 'a', partition: 0 }]);
  });

  it('starts afresh on a rebalance and names the paused partitions to resume', () => {
    const ledger = new PartitionLedger(1);
    take(ledger, 'a', 0, [5]);
    take(ledger, 'b', 3, [7]);
    expect(ledger.shouldPause('a', 0)).toBe(true);
    expect(ledger.reset()).toEqual([{ topic: 'a', partition: 0 }]);
    expect(ledger.outstanding('a', 0)).toBe(0);
    // kafkajs re-reads from the last commit: the same offsets are taken again.
    expect(take(ledger, 'a', 0, [5])).toEqual([true]);
  });
});
