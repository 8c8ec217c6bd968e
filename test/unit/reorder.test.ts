import { describe, expect, it } from 'vitest';
import { applyHeld, applyItem, applyItems } from '../../src/device/apply';
import type { SourcedItem } from '../../src/device/item';
import { packItems, unpackItems } from '../../src/device/packed-items';
import { emptyReorder, hold, MAX_HELD, release } from '../../src/device/reorder';
import type { DeviceState } from '../../src/device/state';
import { testDevice } from '../support/reference';

/**
 * Unkeyed readings of one device come from several partitions, each in its producer's order, in
 * whatever interleaving the ingest's fetches make: the device applies them in event-time order.
 */

const DEVICE = 'dev-1';
const HOUR = 3600_000;
const T0 = 1_790_000_000_000;

/** A spike every 97th reading among a noisy temp, one a second; partition by `partitionOf`. */
function stream(count: number, partitionOf: (i: number) => number, topic = 'sensor-raw'): SourcedItem[] {
  const next = new Map<number, number>();
  return Array.from({ length: count }, (_, i) => {
    const partition = partitionOf(i);
    const offset = next.get(partition) ?? 0;
    next.set(partition, offset + 1);
    const temp = i > 40 && i % 97 === 0 ? 60 : 20 + Math.sin(i * 1.7) * 2;
    return { source: { topic, partition, offset }, reading: { deviceId: DEVICE, ts: T0 + i * 1000, values: { temp } }, unkeyed: true as const };
  });
}

/** A deterministic pseudo-random generator for the interleavings (xorshift). */
function randomOf(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * The items as the ingest hands them on: in rounds half a second apart (fetches), each round a
 * random number of each partition's next items, the partitions in random order; every partition
 * shows up in the first round, and from then on any of them may fall behind the others.
 */
function deliveries(items: SourcedItem[], seed: number, maxPerRound = 8): Array<{ at: number; items: SourcedItem[] }> {
  const random = randomOf(seed);
  const queues = new Map<number, SourcedItem[]>();
  for (const item of items) queues.set(item.source.partition, [...(queues.get(item.source.partition) ?? []), item]);
  const rounds: Array<{ at: number; items: SourcedItem[] }> = [];
  for (let round = 0; [...queues.values()].some((q) => q.length > 0); round += 1) {
    const batch: SourcedItem[] = [];
    const order = [...queues.values()].sort(() => random() - 0.5);
    for (const queue of order) batch.push(...queue.splice(0, (round === 0 ? 1 : 0) + Math.floor(random() * (maxPerRound + 1))));
    rounds.push({ at: round * 500, items: batch });
  }
  return rounds;
}

/** What applying did, in the terms a test compares: the anomalies, and the state they came from. */
function run(rounds: Array<{ at?: number; items: SourcedItem[] }>): { state: DeviceState; anomalies: string[] } {
  const state = testDevice(DEVICE);
  const anomalies: string[] = [];
  const seen = (outcome: ReturnType<typeof applyItems>) => anomalies.push(...outcome.anomalies.map((a) => `${a.status}@${a.ts}=${a.value}`));
  for (const round of rounds) seen(applyItems(state, round.items, round.at === undefined ? {} : { now: round.at }));
  // The device fell silent: what it still holds goes.
  seen(applyHeld(state));
  return { state, anomalies };
}

/** The same readings keyed, one partition, in event-time order: the run every unkeyed run must equal. */
function reference(items: SourcedItem[]) {
  const sorted = [...items].sort((a, b) => ('reading' in a && 'reading' in b ? a.reading.ts - b.reading.ts : 0));
  return run([{ items: sorted.map((item, offset) => ('reading' in item ? { source: { topic: 'ref', partition: 0, offset }, reading: item.reading } : item)) }]);
}

const comparable = (r: ReturnType<typeof run>) => ({ anomalies: r.anomalies, zscore: r.state.memories.zscore, applied: r.state.counters.readingsApplied, windows: r.state.windows.hourly });

describe('unkeyed readings: event-time order over several partitions', () => {
  const items = stream(600, (i) => (i * 7 + Math.floor(i / 5)) % 8);

  it('applies the partitions\u2019 readings in any interleaving and any lag between them as the sorted readings: same anomalies and models', () => {
    const expected = comparable(reference(items));
    expect(expected.anomalies.filter((a) => a.startsWith('raised')).length, 'the spikes are found').toBeGreaterThan(3);
    for (let seed = 1; seed <= 12; seed += 1) {
      const rounds = deliveries(items, seed, seed % 3 === 0 ? 40 : 8);
      expect(comparable(run(rounds)), `interleaving ${seed}`).toEqual(expected);
    }
  });

  it('applies a partition\u2019s first reading out of order when it shows up after the wait: the wait is what covers new partitions', () => {
    const state = testDevice(DEVICE);
    const at = (partition: number, second: number): SourcedItem => ({ source: { topic: 't', partition, offset: second }, reading: { deviceId: DEVICE, ts: T0 + second * 1000, values: { temp: 20 } }, unkeyed: true });
    applyItems(state, [at(0, 2)], { now: 0 });
    applyItems(state, [at(0, 3)], { now: 3000 });
    expect(state.counters.readingsApplied, 'second 2 waited 3 s; second 3 waits').toBe(1);
    applyItems(state, [at(1, 1)], { now: 3500 });
    applyItems(state, [], { now: 6500 });
    expect(state.counters.readingsApplied, 'second 1, of a partition not heard of before, came after second 2 went: applied after its wait all the same').toBe(2);
    expect(state.clock.watermark, 'behind the newest applied, within the allowed lateness').toBe(T0 + 3000 - 1000);
  });

  it('holds a reading until every partition carrying the device has passed its time, and no longer', () => {
    const state = testDevice(DEVICE);
    const at = (partition: number, offset: number, second: number): SourcedItem => ({ source: { topic: 't', partition, offset }, reading: { deviceId: DEVICE, ts: T0 + second * 1000, values: { temp: 20 } }, unkeyed: true });
    applyItem(state, at(0, 0, 1));
    expect(state.counters.readingsApplied, 'one source: nothing to wait for').toBe(1);
    applyItem(state, at(1, 0, 3));
    applyItem(state, at(0, 1, 4));
    expect(state.counters.readingsApplied, 'second 3 waits for partition 0 to pass it').toBe(2);
    expect(state.reorder.held.map((h) => h.reading.ts)).toEqual([T0 + 4000]);
    applyItem(state, at(1, 1, 5));
    expect(state.counters.readingsApplied).toBe(3);
    expect(state.connection.status, 'held readings are a sign of life').toBe('CONNECTED');
    applyHeld(state);
    expect(state.counters.readingsApplied).toBe(4);
    expect(state.reorder.held).toEqual([]);
  });

  it('gives the same result when an ingest crash or rebalance sends what was already taken again, in another interleaving', () => {
    const expected = comparable(reference(items));
    for (let seed = 1; seed <= 6; seed += 1) {
      const before = deliveries(items, seed).slice(0, 10 + seed * 3);
      // Every partition is read again from an earlier commit, half a minute later: what was taken is skipped by its offset.
      const after = deliveries(items.filter((item) => item.source.offset >= seed), seed + 100).map((round) => ({ ...round, at: round.at + 30_000 }));
      const result = run([...before, ...after]);
      expect(comparable(result), `crash ${seed}`).toEqual(expected);
      expect(result.state.counters.duplicatesSkipped, 'each re-sent message skipped by (topic, partition, offset)').toBeGreaterThan(0);
    }
  });

  it('applies keyed readings as they come, in their partition’s order, beside held unkeyed ones', () => {
    const state = testDevice(DEVICE);
    const keyed: SourcedItem = { source: { topic: 'k', partition: 0, offset: 0 }, reading: { deviceId: DEVICE, ts: T0 + 10_000, values: { temp: 1 } } };
    applyItems(state, [stream(2, (i) => i)[0]!, stream(2, (i) => i)[1]!, keyed]);
    expect(state.counters.readingsApplied).toBe(2);
    expect(state.reorder.held.map((h) => h.reading.ts), 'the unkeyed reading of second 1 waits for partition 0').toEqual([T0 + 1000]);
  });

  it('stops waiting for a partition that fell an allowed lateness behind, and holds at most MAX_HELD readings', () => {
    const reorder = emptyReorder();
    const r = (partition: number, offset: number, ts: number) => ({ source: { topic: 't', partition, offset }, reading: { deviceId: DEVICE, ts, values: { v: 1 } } });
    hold(reorder, r(0, 0, T0));
    hold(reorder, r(1, 0, T0 + 10));
    expect(release(reorder, HOUR).map((x) => x.reading.ts)).toEqual([T0]);
    hold(reorder, r(1, 1, T0 + HOUR + 11));
    expect(release(reorder, HOUR).map((x) => x.reading.ts), 'partition 0 is more than an hour behind: forgotten').toEqual([T0 + 10, T0 + HOUR + 11]);
    expect(Object.keys(reorder.sources)).toEqual(['t:1']);

    const crowded = emptyReorder();
    hold(crowded, r(0, 0, T0));
    for (let i = 1; i <= MAX_HELD + 5; i += 1) hold(crowded, r(1, i, T0 + i));
    expect(release(crowded, HOUR).length, 'partition 0 holds everything back, but not beyond MAX_HELD').toBe(1 + 5);
    expect(crowded.held.length).toBe(MAX_HELD);
  });

  it('packs the unkeyed mark into a signal and back, keyed and unkeyed messages of a partition apart', () => {
    const mixed: SourcedItem[] = [...stream(4, () => 0), { source: { topic: 'sensor-raw', partition: 0, offset: 9 }, reading: { deviceId: DEVICE, ts: T0, values: { temp: 3 } } }];
    expect(unpackItems(DEVICE, packItems(mixed))).toStrictEqual(mixed);
  });
});
