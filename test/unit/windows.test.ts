import { describe, expect, it } from 'vitest';
import { addToWindows, emptyWindows, flushWindows, HOUR_MS, isTooLate } from '../../src/device/windows';
import { applyItem } from '../../src/device/apply';
import { anomaliesOf, testDevice } from '../support/reference';
import type { SourcedItem } from '../../src/device/item';
import type { Aggregate } from '../../src/contracts/aggregates';

const T0 = Date.UTC(2024, 0, 8, 9, 0, 0); // a Monday, 09:00 UTC
const MIN = 60_000;
const never = { k: 4, minSamples: 1_000_000, direction: 'above' as const, clearAfter: 1, learnAnomalies: false, relearnAfter: null, window: null };
const connection = { disconnectAfterMs: 60_000, retireAfterMs: 86_400_000 };

let offset = 0;
const reading = (ts: number, usage: number): SourcedItem => ({ source: { topic: 'usage', partition: 0, offset: offset++ }, reading: { deviceId: 'meter', ts, values: { usage } } });
const hourly = (aggregates: Aggregate[]) => aggregates.filter((a) => a.kind === 'hourly').map((a) => [a.windowStart - T0, a.count, a.avg, a.min, a.max, a.final]);

describe('hourly windows in event time', () => {
  it('averages each hour, updates it while open, and finalises it when the watermark passes its end plus the lateness', () => {
    const w = emptyWindows();
    addToWindows(w, 'usage', T0 + 5 * MIN, 10, false);
    addToWindows(w, 'usage', T0 + 10 * MIN, 20, false);
    expect(hourly(flushWindows(w, 'meter', T0 + 10 * MIN, HOUR_MS))).toEqual([[0, 2, 15, 10, 20, false]]);

    addToWindows(w, 'usage', T0 + 65 * MIN, 40, false);
    // Only the changed hour is re-published.
    expect(hourly(flushWindows(w, 'meter', T0 + 65 * MIN, HOUR_MS))).toEqual([[HOUR_MS, 1, 40, 40, 40, false]]);

    addToWindows(w, 'usage', T0 + 50 * MIN, 30, false); // late, within the hour of lateness
    expect(hourly(flushWindows(w, 'meter', T0 + 65 * MIN, HOUR_MS))).toEqual([[0, 3, 20, 10, 30, false]]);

    addToWindows(w, 'usage', T0 + 2 * HOUR_MS, 50, false); // watermark 11:00 = 09:00 hour's end + 1 h
    expect(hourly(flushWindows(w, 'meter', T0 + 2 * HOUR_MS, HOUR_MS))).toEqual([
      [0, 3, 20, 10, 30, true],
      [2 * HOUR_MS, 1, 50, 50, 50, false],
    ]);
    expect(w.hourly.usage?.map((h) => h.start - T0)).toEqual([HOUR_MS, 2 * HOUR_MS]); // the final hour is forgotten
  });

  it('says a reading is too late exactly when it is older than the watermark minus the lateness', () => {
    expect(isTooLate(null, 0, HOUR_MS)).toBe(false);
    expect(isTooLate(T0 + HOUR_MS, T0, HOUR_MS)).toBe(false);
    expect(isTooLate(T0 + HOUR_MS, T0 - 1, HOUR_MS)).toBe(true);
  });
});

describe('the last-minute anomaly report', () => {
  it('counts the anomalous readings and takes their max over the minute ending at the newest reading, beside all readings', () => {
    const w = emptyWindows();
    addToWindows(w, 'temp', T0, 20, false);
    addToWindows(w, 'temp', T0 + 30_000, 45, true);
    addToWindows(w, 'temp', T0 + 30_500, 47, true); // the same second
    addToWindows(w, 'temp', T0 + 40_000, 44, true);
    addToWindows(w, 'temp', T0 + 50_000, 60, false); // the largest reading is not an anomalous one
    addToWindows(w, 'temp', T0 + 59_000, 21, false);
    const [report] = flushWindows(w, 'sensor-1', T0 + 59_000, HOUR_MS).filter((a) => a.kind === 'last-minute');
    expect(report).toMatchObject({ field: 'temp', windowStart: T0 - 1000, windowEnd: T0 + 59_000, count: 6, max: 60, min: 20, anomalousReadings: 3, anomalousMax: 47 });

    addToWindows(w, 'temp', T0 + 95_000, 22, false); // the minute now starts at T0 + 35 s
    const [later] = flushWindows(w, 'sensor-1', T0 + 95_000, HOUR_MS).filter((a) => a.kind === 'last-minute');
    expect(later).toMatchObject({ count: 4, max: 60, anomalousReadings: 1, anomalousMax: 44 });

    addToWindows(w, 'temp', T0 + 150_000, 23, false);
    const [quiet] = flushWindows(w, 'sensor-1', T0 + 150_000, HOUR_MS).filter((a) => a.kind === 'last-minute');
    expect(quiet).toMatchObject({ count: 2, anomalousReadings: 0, anomalousMax: null });
    expect(w.recent.temp).toHaveLength(2); // older seconds are dropped: the state stays bounded
  });
});

describe('lateness through applyItem', () => {
  it('applies a reading within the allowed lateness and refuses (for the DLQ) one beyond it, changing no model', () => {
    const state = testDevice('meter', { zscore: never, connection });
    anomaliesOf(state, reading(T0 + 2 * HOUR_MS, 5));
    anomaliesOf(state, reading(T0 + HOUR_MS + 1, 7)); // 59:59 behind: in time
    const modelBefore = structuredClone(state.memories.zscore);
    const late = reading(T0 + HOUR_MS - 1, 1000); // 1 h and 1 ms behind
    expect(applyItem(state, late)).toEqual({ anomalies: [], late: [late], deferred: [] });
    expect(state.memories.zscore).toEqual(modelBefore);
    expect(state.counters.readingsApplied).toBe(2);
    expect(state.counters.lateDropped).toBe(1);
    // The offset is still recorded: a re-delivery is a duplicate, not a second dead letter.
    anomaliesOf(state, late);
    expect(state.counters.lateDropped).toBe(1);
    expect(state.counters.duplicatesSkipped).toBe(1);
  });

  it('counts every reading that raised or updated an anomaly in its hour, not the one it resolved with', () => {
    const state = testDevice('meter', { zscore: { ...never, minSamples: 5, k: 3 }, connection });
    for (let i = 0; i < 10; i += 1) anomaliesOf(state, reading(T0 + i * MIN, i % 2 === 0 ? 9 : 11));
    const steps = [100, 120, 90, 10].map((value, i) => anomaliesOf(state, reading(T0 + (10 + i) * MIN, value)).map((e) => e.status));
    expect(steps).toEqual([['raised'], ['updated'], ['updated'], ['resolved']]);
    const [hour] = flushWindows(state.windows, 'meter', T0 + 13 * MIN, HOUR_MS).filter((a) => a.kind === 'hourly');
    expect(hour).toMatchObject({ count: 14, anomalousReadings: 3, anomalousMax: 120, max: 120 });
  });
});

describe('a reading sent twice', () => {
  it('is applied once when the device stamped it, and every time when the broker did', () => {
    const state = testDevice('meter', { zscore: never, connection });
    anomaliesOf(state, reading(T0, 5));
    anomaliesOf(state, reading(T0 + MIN, 6));
    anomaliesOf(state, reading(T0, 5)); // a new offset, the same device time: re-sent
    expect([state.counters.readingsApplied, state.counters.duplicatesSkipped]).toEqual([2, 1]);

    const brokerStamped = (ts: number): SourcedItem => ({ source: { topic: 'csv', partition: 0, offset: offset++ }, reading: { deviceId: 'meter', ts, values: { usage: 1 }, clock: 'broker' } });
    anomaliesOf(state, brokerStamped(T0 + 2 * MIN));
    anomaliesOf(state, brokerStamped(T0 + 2 * MIN)); // two lines appended in the same millisecond
    expect([state.counters.readingsApplied, state.counters.duplicatesSkipped]).toEqual([4, 1]);
  });
});

describe('the event times remembered to recognise re-sent readings', () => {
  it('stay bounded at a high rate and at a low one, and still catch a re-send within the lateness', () => {
    const fast = testDevice('meter', { zscore: never, connection });
    for (let i = 0; i < 10_000; i += 1) applyItem(fast, reading(T0 + i * 1000, 1));
    expect(fast.ledger.recentTimes.length).toBeLessThanOrEqual(4096 + 512);
    applyItem(fast, reading(T0 + (10_000 - 1 - 1800) * 1000, 1)); // 30 min behind the newest
    expect([fast.counters.readingsApplied, fast.counters.duplicatesSkipped]).toEqual([10_000, 1]);

    const slow = testDevice('meter', { zscore: never, connection });
    for (let i = 0; i < 1000; i += 1) applyItem(slow, reading(T0 + i * 5 * MIN, 1));
    expect(slow.ledger.recentTimes.length).toBeLessThanOrEqual(2 * 12 + 1); // at most two hours of 5-minute times
    applyItem(slow, reading(T0 + 995 * 5 * MIN, 1));
    expect(slow.counters.duplicatesSkipped).toBe(1);
  });
});
