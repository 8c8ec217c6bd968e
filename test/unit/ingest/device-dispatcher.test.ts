import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeviceDispatcher, type Pacing } from '../../../src/ingest/device-dispatcher';
import type { SourcedReading } from '../../../src/reading';

interface Call {
  deviceId: string;
  offsets: number[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function reading(deviceId: string, offset: number, partition = 0): SourcedReading {
  return { source: { topic: 'readings', partition, offset }, reading: { deviceId, ts: offset, values: { v: offset } } };
}

/** A dispatcher whose sends stay pending until the test resolves them. */
function harness(maxPerSignal: number, pacing?: Pacing) {
  const calls: Call[] = [];
  const sent: number[][] = [];
  const errors: Array<[string, unknown]> = [];
  const inFlight = new Map<string, number>();
  let maxInFlightPerDevice = 0;
  const dispatcher = new DeviceDispatcher<SourcedReading>(
    (deviceId, readings) =>
      new Promise<void>((resolve, reject) => {
        const n = (inFlight.get(deviceId) ?? 0) + 1;
        inFlight.set(deviceId, n);
        maxInFlightPerDevice = Math.max(maxInFlightPerDevice, n);
        const done = () => inFlight.set(deviceId, (inFlight.get(deviceId) ?? 1) - 1);
        calls.push({
          deviceId,
          offsets: readings.map((r) => r.source.offset),
          resolve: () => {
            done();
            resolve();
          },
          reject: (error) => {
            done();
            reject(error);
          },
        });
      }),
    maxPerSignal,
    (readings) => sent.push(readings.map((r) => r.source.offset)),
    (deviceId, error) => errors.push([deviceId, error]),
    Number.POSITIVE_INFINITY,
    pacing,
  );
  const call = (i: number): Call => {
    const c = calls[i];
    if (!c) throw new Error(`no send #${i}`);
    return c;
  };
  return { dispatcher, calls, call, sent, errors, maxInFlight: () => maxInFlightPerDevice };
}

describe('DeviceDispatcher', () => {
  it('sends the first reading at once and coalesces later ones into one next send, in order', async () => {
    const h = harness(100);
    h.dispatcher.enqueue('a', reading('a', 1));
    expect(h.calls.map((c) => c.offsets)).toEqual([[1]]);
    expect(h.dispatcher.signalsInFlight).toBe(1);
    for (const offset of [2, 3, 4]) h.dispatcher.enqueue('a', reading('a', offset));
    await settle();
    expect(h.calls).toHaveLength(1);

    h.call(0).resolve();
    await settle();
    expect(h.calls.map((c) => c.offsets)).toEqual([[1], [2, 3, 4]]);
    expect(h.sent).toEqual([[1]]);
    h.dispatcher.enqueue('a', reading('a', 5));
    await settle();
    expect(h.calls).toHaveLength(2);

    h.call(1).resolve();
    await settle();
    h.call(2).resolve();
    await settle();
    expect(h.calls.map((c) => c.offsets)).toEqual([[1], [2, 3, 4], [5]]);
    expect(h.sent).toEqual([[1], [2, 3, 4], [5]]);
    expect(h.maxInFlight()).toBe(1);
    expect(h.dispatcher.signalsInFlight).toBe(0);
  });

  it('splits a backlog into consecutive sends of at most maxPerSignal, in order', async () => {
    const h = harness(3);
    for (let offset = 0; offset < 9; offset += 1) h.dispatcher.enqueue('a', reading('a', offset));
    // 0 went alone; 1..8 wait.
    for (let i = 0; i < 4; i += 1) {
      await settle();
      expect(h.calls).toHaveLength(i + 1);
      h.call(i).resolve();
    }
    await settle();
    expect(h.calls.map((c) => c.offsets)).toEqual([[0], [1, 2, 3], [4, 5, 6], [7, 8]]);
    expect(h.sent).toEqual([[0], [1, 2, 3], [4, 5, 6], [7, 8]]);
    expect(h.maxInFlight()).toBe(1);
  });

  it('sends for different devices concurrently, one in flight each', async () => {
    const h = harness(10);
    h.dispatcher.enqueue('a', reading('a', 1));
    h.dispatcher.enqueue('b', reading('b', 2));
    h.dispatcher.enqueue('a', reading('a', 3));
    h.dispatcher.enqueue('c', reading('c', 4));
    h.dispatcher.enqueue('b', reading('b', 5));
    expect(h.calls.map((c) => [c.deviceId, c.offsets])).toEqual([
      ['a', [1]],
      ['b', [2]],
      ['c', [4]],
    ]);
    expect(h.dispatcher.signalsInFlight).toBe(3);
    // Finishing b does not release a.
    h.call(1).resolve();
    await settle();
    expect(h.calls.map((c) => [c.deviceId, c.offsets])).toEqual([
      ['a', [1]],
      ['b', [2]],
      ['c', [4]],
      ['b', [5]],
    ]);
    expect(h.sent).toEqual([[2]]);
    h.call(0).resolve();
    await settle();
    expect(h.calls[4]).toMatchObject({ deviceId: 'a', offsets: [3] });
    expect(h.maxInFlight()).toBe(1);
  });

  it('reports a failed send to onError, not onSent, and moves on to the next batch', async () => {
    const h = harness(10);
    const failure = new Error('boom');
    h.dispatcher.enqueue('a', reading('a', 1));
    h.dispatcher.enqueue('a', reading('a', 2));
    h.call(0).reject(failure);
    await settle();
    expect(h.errors).toEqual([['a', failure]]);
    expect(h.sent).toEqual([]);
    expect(h.calls.map((c) => c.offsets)).toEqual([[1], [2]]);
    h.call(1).resolve();
    await settle();
    expect(h.sent).toEqual([[2]]);
  });

  it('discards queued-but-unsent readings that keep rejects and returns how many', async () => {
    const h = harness(10);
    h.dispatcher.enqueue('a', reading('a', 1, 0));
    h.dispatcher.enqueue('b', reading('b', 2, 1));
    h.dispatcher.enqueue('a', reading('a', 3, 1));
    h.dispatcher.enqueue('a', reading('a', 4, 0));
    h.dispatcher.enqueue('a', reading('a', 5, 1));
    h.dispatcher.enqueue('b', reading('b', 6, 1));
    // Partition 1 is revoked: queued 3, 5 and 6 go; in-flight 2 is already sent.
    expect(h.dispatcher.discard((r) => r.source.partition !== 1)).toBe(3);
    expect(h.dispatcher.discard(() => true)).toBe(0);
    h.call(0).resolve();
    h.call(1).resolve();
    await settle();
    expect(h.calls.map((c) => [c.deviceId, c.offsets])).toEqual([
      ['a', [1]],
      ['b', [2]],
      ['a', [4]],
    ]);
    h.call(2).resolve();
    await settle();
    expect(h.dispatcher.discard(() => false)).toBe(0);
    expect(h.sent).toEqual([[1], [2], [4]]);
  });

  it('drops everything queued with discard(() => false)', async () => {
    const h = harness(10);
    for (let offset = 0; offset < 5; offset += 1) h.dispatcher.enqueue('a', reading('a', offset));
    expect(h.dispatcher.discard(() => false)).toBe(4);
    h.call(0).resolve();
    await settle();
    expect(h.calls).toHaveLength(1);
    expect(h.sent).toEqual([[0]]);
  });

  it('resolves idle() only when nothing is queued or in flight', async () => {
    const h = harness(2);
    await h.dispatcher.idle(); // idle from the start

    let idle = false;
    h.dispatcher.enqueue('a', reading('a', 1));
    h.dispatcher.enqueue('a', reading('a', 2));
    h.dispatcher.enqueue('b', reading('b', 3));
    void h.dispatcher.idle().then(() => {
      idle = true;
    });
    h.call(0).resolve(); // a: [1] done, [2] goes out
    await settle();
    expect(idle).toBe(false);
    h.call(1).resolve(); // b done
    await settle();
    expect(idle).toBe(false);
    expect(h.dispatcher.signalsInFlight).toBe(1);
    h.call(2).resolve(); // a: [2] done
    await settle();
    expect(idle).toBe(true);
    expect(h.dispatcher.signalsInFlight).toBe(0);
    expect(h.sent).toEqual([[1], [3], [2]]);
  });

  it('resolves idle() after a failed last send too', async () => {
    const h = harness(2);
    let idle = false;
    h.dispatcher.enqueue('a', reading('a', 1));
    void h.dispatcher.idle().then(() => {
      idle = true;
    });
    await settle();
    expect(idle).toBe(false);
    h.call(0).reject(new Error('x'));
    await settle();
    expect(idle).toBe(true);
    expect(h.errors.map(([d]) => d)).toEqual(['a']);
  });
});

describe('DeviceDispatcher with a global limit', () => {
  it('keeps at most maxInFlight signals out, gives freed slots to devices in turn, and coalesces what waits', async () => {
    const calls: Array<{ deviceId: string; offsets: number[]; resolve: () => void }> = [];
    const dispatcher = new DeviceDispatcher<SourcedReading>(
      (deviceId, items) => new Promise<void>((resolve) => calls.push({ deviceId, offsets: items.map((i) => i.source.offset), resolve })),
      100,
      () => undefined,
      () => undefined,
      2,
    );
    dispatcher.enqueue('a', reading('a', 1));
    dispatcher.enqueue('b', reading('b', 2));
    dispatcher.enqueue('c', reading('c', 3));
    dispatcher.enqueue('a', reading('a', 4));
    dispatcher.enqueue('c', reading('c', 5));
    expect(calls.map((c) => [c.deviceId, c.offsets])).toEqual([['a', [1]], ['b', [2]]]);
    expect(dispatcher.signalsInFlight).toBe(2);
    calls[0]!.resolve(); // a's slot goes to c, first in line; a queues behind it
    await settle();
    expect(calls.map((c) => [c.deviceId, c.offsets])).toEqual([['a', [1]], ['b', [2]], ['c', [3, 5]]]);
    calls[1]!.resolve();
    await settle();
    expect(calls.at(-1)).toMatchObject({ deviceId: 'a', offsets: [4] });
    expect(dispatcher.signalsInFlight).toBe(2);
    let idle = false;
    void dispatcher.idle().then(() => (idle = true));
    calls[2]!.resolve();
    calls[3]!.resolve();
    await settle();
    expect(idle).toBe(true);
    expect(dispatcher.signalsInFlight).toBe(0);
  });

  describe('with a batch interval', () => {
    afterEach(() => void vi.useRealTimers());

    it('sends a device at most once per interval, coalescing what arrives meanwhile, and a quiet device at once', async () => {
      vi.useFakeTimers({ now: 0 });
      const h = harness(100, { intervalMs: 1000 });
      const offsets = () => h.calls.map((c) => c.offsets);
      h.dispatcher.enqueue('a', reading('a', 1));
      expect(offsets()).toEqual([[1]]); // the first goes at once
      h.call(0).resolve();
      await vi.advanceTimersByTimeAsync(100);
      h.dispatcher.enqueue('a', reading('a', 2));
      await vi.advanceTimersByTimeAsync(400);
      h.dispatcher.enqueue('a', reading('a', 3));
      await vi.advanceTimersByTimeAsync(499);
      expect(offsets()).toEqual([[1]]); // 999 ms after the first: held
      await vi.advanceTimersByTimeAsync(1);
      expect(offsets()).toEqual([[1], [2, 3]]);
      h.call(1).resolve();
      await vi.advanceTimersByTimeAsync(5000); // quiet for longer than the interval
      h.dispatcher.enqueue('a', reading('a', 4));
      expect(offsets()).toEqual([[1], [2, 3], [4]]);
      h.call(2).resolve();
      await vi.advanceTimersByTimeAsync(0);
      expect(h.sent).toEqual([[1], [2, 3], [4]]);
    });

    it('sends a full signal without waiting, and paces each device on its own', async () => {
      vi.useFakeTimers({ now: 0 });
      const h = harness(3, { intervalMs: 1000 });
      const calls = () => h.calls.map((c) => [c.deviceId, c.offsets]);
      h.dispatcher.enqueue('a', reading('a', 1));
      h.call(0).resolve();
      await vi.advanceTimersByTimeAsync(10);
      h.dispatcher.enqueue('b', reading('b', 10)); // another device: not held by a's interval
      for (const offset of [2, 3]) h.dispatcher.enqueue('a', reading('a', offset));
      expect(calls()).toEqual([['a', [1]], ['b', [10]]]);
      h.dispatcher.enqueue('a', reading('a', 4)); // a full signal's worth
      await vi.advanceTimersByTimeAsync(0);
      expect(calls()).toEqual([['a', [1]], ['b', [10]], ['a', [2, 3, 4]]]);
    });
  });
});
