import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../../../src/ingest/offset-tracker';
import { seededRandom } from '../../../src/samples';

describe('OffsetTracker', () => {
  it('has nothing committable until the first offset is done', () => {
    const tracker = new OffsetTracker();
    expect(tracker.takeCommittable()).toBeUndefined();
    for (const offset of [0, 1, 2]) expect(tracker.accept(offset)).toBe(true);
    expect(tracker.takeCommittable()).toBeUndefined();
    tracker.complete(1);
    tracker.complete(2);
    expect(tracker.takeCommittable()).toBeUndefined();
    expect(tracker.outstanding).toBe(3);
    tracker.complete(0);
    expect(tracker.takeCommittable()).toBe(3);
    expect(tracker.outstanding).toBe(0);
  });

  it('commits only the contiguous done prefix when offsets complete out of order', () => {
    const tracker = new OffsetTracker();
    for (let offset = 10; offset < 16; offset += 1) tracker.accept(offset);
    tracker.complete(12);
    tracker.complete(10);
    expect(tracker.takeCommittable()).toBe(11);
    expect(tracker.outstanding).toBe(5);
    // Nothing new since the last take.
    expect(tracker.takeCommittable()).toBeUndefined();
    tracker.complete(14);
    tracker.complete(11);
    expect(tracker.takeCommittable()).toBe(13);
    expect(tracker.outstanding).toBe(3);
    tracker.complete(15);
    expect(tracker.takeCommittable()).toBeUndefined();
    tracker.complete(13);
    expect(tracker.takeCommittable()).toBe(16);
    expect(tracker.outstanding).toBe(0);
  });

  it('handles gaps between offsets (compaction, transaction markers)', () => {
    const tracker = new OffsetTracker();
    for (const offset of [5, 7, 10]) expect(tracker.accept(offset)).toBe(true);
    tracker.complete(7);
    expect(tracker.takeCommittable()).toBeUndefined();
    tracker.complete(5);
    expect(tracker.takeCommittable()).toBe(8);
    expect(tracker.outstanding).toBe(1);
    tracker.complete(10);
    expect(tracker.takeCommittable()).toBe(11);
  });

  it('refuses offsets it has already taken (a re-fetch) and accepts new ones', () => {
    const tracker = new OffsetTracker();
    expect(tracker.accept(3)).toBe(true);
    expect(tracker.accept(4)).toBe(true);
    expect(tracker.accept(4)).toBe(false);
    expect(tracker.accept(3)).toBe(false);
    expect(tracker.accept(0)).toBe(false);
    expect(tracker.outstanding).toBe(2);
    tracker.complete(3);
    tracker.complete(4);
    expect(tracker.takeCommittable()).toBe(5);
    // Still refused after they have been committed.
    expect(tracker.accept(4)).toBe(false);
    expect(tracker.accept(5)).toBe(true);
    expect(tracker.accept(9)).toBe(true);
    expect(tracker.outstanding).toBe(2);
  });

  it('stays correct over a long run across its internal compaction', () => {
    const random = seededRandom(42);
    const tracker = new OffsetTracker();
    const taken: number[] = [];
    const done = new Set<number>();
    let committedUpTo = 0; // index into `taken` of the first uncommitted offset
    let lastCommit: number | undefined;
    let offset = 0;
    let commits = 0;
    const pending: number[] = [];

    for (let step = 0; step < 5000; step += 1) {
      // Offsets with occasional gaps.
      offset += random() < 0.1 ? 2 + Math.floor(random() * 3) : 1;
      expect(tracker.accept(offset)).toBe(true);
      expect(tracker.accept(offset)).toBe(false);
      taken.push(offset);
      pending.push(offset);
      // Complete a random pending offset most steps, so completions are out of order.
      while (pending.length > 0 && random() < 0.6) {
        const [picked] = pending.splice(Math.floor(random() * pending.length), 1);
        tracker.complete(picked as number);
        done.add(picked as number);
      }
      if (step % 7 === 0) {
        let expected: number | undefined;
        while (committedUpTo < taken.length && done.has(taken[committedUpTo] as number)) {
          expected = (taken[committedUpTo] as number) + 1;
          committedUpTo += 1;
        }
        const got = tracker.takeCommittable();
        expect(got).toBe(expected);
        if (got !== undefined) {
          commits += 1;
          if (lastCommit !== undefined) expect(got).toBeGreaterThan(lastCommit);
          lastCommit = got;
        }
        expect(tracker.outstanding).toBe(taken.length - committedUpTo);
      }
    }
    for (const picked of pending) tracker.complete(picked);
    expect(tracker.takeCommittable()).toBe(offset + 1);
    expect(tracker.outstanding).toBe(0);
    expect(commits).toBeGreaterThan(10);
    // Refetching anything already taken is still refused after compaction.
    expect(tracker.accept(taken[0] as number)).toBe(false);
    expect(tracker.accept(offset)).toBe(false);
    expect(tracker.accept(offset + 1)).toBe(true);
    expect(tracker.outstanding).toBe(1);
  });
});
