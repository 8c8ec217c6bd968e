import { describe, expect, it } from 'vitest';
import { anomalyScore, fitIsolationForest } from '../../../src/detectors/isolation-forest';
import { applySeasonalIForest, emptySeasonalIForestState, forestSeed, perSlotCapacity, type SeasonalIForestConfig, type SeasonalIForestConfigInput, seasonalIForestConfigSchema, type SeasonalIForestResult, type SeasonalIForestState, seasonalIForestStateSchema, slotLabel } from '../../../src/detectors/seasonal-history';
import { wallClockMinute } from '../../../src/time/wall-time';
import { MT19937 } from '../../../src/random/mt19937';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

const configOf = (input: SeasonalIForestConfigInput = {}): SeasonalIForestConfig => seasonalIForestConfigSchema.parse(input);

/** Monday 2024-01-08 08:10 UTC. */
const MONDAY_0810 = Date.UTC(2024, 0, 8, 8, 10);

function feed(state: SeasonalIForestState, config: SeasonalIForestConfig, readings: ReadonlyArray<readonly [number, number]>): SeasonalIForestResult[] {
  return readings.map(([ts, value]) => applySeasonalIForest(state, ts, value, config));
}

/** Every reading the state holds, decoded: [epoch seconds, value] per slot key. */
function held(state: SeasonalIForestState): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const [key, encoded] of Object.entries(state.slots)) {
    const pairs: Array<[number, number]> = [];
    let time = 0;
    for (let i = 0; i < encoded.length; i += 2) {
      time = i === 0 ? (encoded[0] as number) : time + (encoded[i] as number);
      pairs.push([time, encoded[i + 1] as number]);
    }
    out.set(key, pairs);
  }
  return out;
}

describe('seasonalIForestConfigSchema', () => {
  it('defaults to seed 003: 30 days, 4 comparables, 100 trees, 256 samples, exact minutes in UTC, anomalies learned', () => {
    expect(configOf()).toEqual({
      historyDays: 30,
      minComparables: 4,
      trees: 100,
      maxSamples: 256,
      seed: 42,
      scoreThreshold: 0.5,
      timeZone: 'UTC',
      slotMinutes: 1,
      learnAnomalies: true,
      maxEntries: 12_000,
    });
    expect(perSlotCapacity(configOf())).toBe(7);
    expect(perSlotCapacity(configOf({ slotMinutes: 15 }))).toBe(105);
    expect(perSlotCapacity(configOf({ maxPerSlot: 3 }))).toBe(3);
  });

  it('accepts IANA zones and rejects unknown ones, slot widths that do not divide a day and unknown keys', () => {
    expect(configOf({ timeZone: 'America/New_York' }).timeZone).toBe('America/New_York');
    const badZone = seasonalIForestConfigSchema.safeParse({ timeZone: 'Mars/Olympus_Mons' });
    expect(badZone.success).toBe(false);
    expect(badZone.error?.issues[0]?.message).toMatch(/time zone/);
    expect(seasonalIForestConfigSchema.safeParse({ slotMinutes: 7 }).success).toBe(false);
    expect(seasonalIForestConfigSchema.safeParse({ slotMinutes: 15 }).success).toBe(true);
    expect(seasonalIForestConfigSchema.safeParse({ historyDays: 0 }).success).toBe(false);
    expect(seasonalIForestConfigSchema.safeParse({ contamination: 0.1 }).success).toBe(false);
  });
});

describe('wall clock', () => {
  it('reads (weekday, hour, minute) in the zone, Monday = 0, and labels slots', () => {
    expect(wallClockMinute(MONDAY_0810, 'UTC')).toEqual({ weekday: 0, hour: 8, minute: 10 });
    // EST in January (UTC−5), EDT in July (UTC−4).
    expect(wallClockMinute(MONDAY_0810, 'America/New_York')).toEqual({ weekday: 0, hour: 3, minute: 10 });
    expect(wallClockMinute(Date.UTC(2024, 6, 8, 12, 10), 'America/New_York')).toEqual({ weekday: 0, hour: 8, minute: 10 });
    expect(wallClockMinute(Date.UTC(2024, 0, 14, 23, 59), 'UTC')).toEqual({ weekday: 6, hour: 23, minute: 59 });
    expect(wallClockMinute(Date.UTC(2024, 0, 15, 0, 0), 'UTC')).toEqual({ weekday: 0, hour: 0, minute: 0 });
    expect(slotLabel(8 * 60 + 10, 1)).toBe('Mon 08:10');
    expect(slotLabel(6 * 1440 + 23 * 60 + 59, 1)).toBe('Sun 23:59');
    expect(slotLabel((1440 + 8 * 60 + 15) / 15, 15)).toBe('Tue 08:15');
  });
});

describe('applySeasonalIForest: comparables', () => {
  const weekly = (weeksBack: number[], values: number[]) => weeksBack.map((w, i) => [MONDAY_0810 - w * WEEK, values[i] as number] as const);

  it('is not fitted below 4 comparables and fitted from 4, with the comparables explained', () => {
    const config = configOf();
    const state = emptySeasonalIForestState();
    const warmUp = feed(state, config, weekly([4, 3, 2], [100, 102, 101]));
    expect(warmUp.map((r) => [r.fitted, r.comparables, r.outlier])).toEqual([
      [false, 0, false],
      [false, 1, false],
      [false, 2, false],
    ]);
    const third = feed(state, config, [[MONDAY_0810 - WEEK, 103]])[0];
    expect(third).toMatchObject({ fitted: false, comparables: 3, slot: 'Mon 08:10', learned: true });
    const fourth = applySeasonalIForest(state, MONDAY_0810, 101.5, config);
    expect(fourth).toMatchObject({
      fitted: true,
      comparables: 4,
      slot: 'Mon 08:10',
      comparablesMin: 100,
      comparablesMax: 103,
      comparablesMean: 101.5,
      outlier: false,
      learned: true,
    });
    // The score is the forest's on exactly those comparables with the per-reading seed.
    const forest = fitIsolationForest([100, 102, 101, 103], { trees: 100, maxSamples: 256, seed: forestSeed(42, MONDAY_0810) });
    expect(fourth.score).toBe(anomalyScore(forest, 101.5));
  });

  it('uses only the same local slot within historyDays: other minutes, other days and 31 or 35 days back are not comparables', () => {
    const config = configOf();
    const state = emptySeasonalIForestState();
    feed(state, config, [
      [MONDAY_0810 - 5 * WEEK, 1], // 35 days back: outside 30 days
      [MONDAY_0810 - 31 * DAY, 2], // 31 days back: a Saturday
      [MONDAY_0810 - 4 * WEEK, 100],
      [MONDAY_0810 - 3 * WEEK, 101],
      [MONDAY_0810 - 2 * WEEK, 102],
      [MONDAY_0810 - WEEK, 103],
      [MONDAY_0810 - WEEK + MINUTE, 500], // Mon 08:11
      [MONDAY_0810 - WEEK - MINUTE, 500], // Mon 08:09
      [MONDAY_0810 - DAY, 500], // Sun 08:10
      [MONDAY_0810 - WEEK + DAY, 500], // Tue 08:10
      [MONDAY_0810 - 2 * HOUR, 500], // Mon 06:10, same day
    ]);
    const result = applySeasonalIForest(state, MONDAY_0810, 101, config);
    expect(result).toMatchObject({ fitted: true, comparables: 4, comparablesMin: 100, comparablesMax: 103 });
  });

  it('includes a reading exactly historyDays back and excludes one a second older', () => {
    const config = configOf({ historyDays: 28, minComparables: 1 });
    const now = MONDAY_0810 + 30_000; // 08:10:30
    const exactly = emptySeasonalIForestState();
    feed(exactly, config, [[now - 4 * WEEK, 7]]);
    expect(applySeasonalIForest(exactly, now, 7, config).comparables).toBe(1);
    const older = emptySeasonalIForestState();
    feed(older, config, [[now - 4 * WEEK - 1000, 7]]); // 08:10:29, same slot
    expect(applySeasonalIForest(older, now, 7, config).comparables).toBe(0);
  });

  it('flags a far value against tight comparables and judges in-range values normal', () => {
    const config = configOf();
    const state = emptySeasonalIForestState();
    // Gaps wide at both ends, so a far value is an outlier on either side (see the forest's
    // tests: with 4 comparables that depends on the gaps, as in sklearn).
    feed(state, config, weekly([4, 3, 2, 1], [210, 215, 215.5, 220]));
    const probe = (value: number) => applySeasonalIForest(structuredClone(state), MONDAY_0810, value, config);
    expect(probe(215.2).outlier).toBe(false);
    expect(probe(400).outlier).toBe(true);
    expect(probe(400).score).toBeGreaterThan(0.5);
    expect(probe(20).outlier).toBe(true);
  });

  it('identical comparables: score exactly 0.5, never an outlier (sklearn would say −1 for n = 4 by rounding)', () => {
    const config = configOf();
    const state = emptySeasonalIForestState();
    feed(state, config, weekly([4, 3, 2, 1], [0, 0, 0, 0]));
    for (const value of [0, 5, 1e6]) {
      const result = applySeasonalIForest(structuredClone(state), MONDAY_0810, value, config);
      expect(result).toMatchObject({ fitted: true, score: 0.5, outlier: false });
    }
  });

  it('sees only earlier readings when they arrive out of order', () => {
    const config = configOf({ minComparables: 1 });
    const state = emptySeasonalIForestState();
    feed(state, config, [
      [MONDAY_0810, 10],
      [MONDAY_0810 - WEEK, 11],
    ]);
    // The late reading (a week earlier) saw nothing; the history is kept in time order.
    expect(held(state).get(String(8 * 60 + 10))).toEqual([
      [(MONDAY_0810 - WEEK) / 1000, 11],
      [MONDAY_0810 / 1000, 10],
    ]);
    const next = applySeasonalIForest(state, MONDAY_0810 + WEEK, 12, config);
    expect(next.comparables).toBe(2);
  });

  it('does not judge or keep a non-finite value or a ts beyond the dates Intl knows', () => {
    const config = configOf();
    const state = emptySeasonalIForestState();
    expect(applySeasonalIForest(state, MONDAY_0810, Number.NaN, config)).toMatchObject({ fitted: false, learned: false, slot: 'Mon 08:10' });
    expect(applySeasonalIForest(state, Number.NaN, 1, config)).toMatchObject({ fitted: false, learned: false });
    expect(applySeasonalIForest(state, 1e16, 1, config)).toMatchObject({ fitted: false, learned: false, slot: '?' });
    expect(state.entries).toBe(0);
  });
});

describe('applySeasonalIForest: the learn gate', () => {
  const history = [210, 215, 215.5, 220].map((v, i) => [MONDAY_0810 - (4 - i) * WEEK, v] as const);

  it('keeps outliers in the history by default, as seed 003 appends every reading', () => {
    const config = configOf();
    const state = emptySeasonalIForestState();
    feed(state, config, history);
    const outlier = applySeasonalIForest(state, MONDAY_0810, 400, config);
    expect(outlier).toMatchObject({ outlier: true, learned: true });
    expect(applySeasonalIForest(state, MONDAY_0810 + WEEK, 215, config).comparablesMax).toBe(400);
  });

  it('with learnAnomalies false, judges an outlier but does not remember it', () => {
    const config = configOf({ learnAnomalies: false });
    const state = emptySeasonalIForestState();
    feed(state, config, history);
    expect(applySeasonalIForest(state, MONDAY_0810, 400, config)).toMatchObject({ outlier: true, learned: false });
    expect(state.entries).toBe(4);
    expect(applySeasonalIForest(state, MONDAY_0810 + WEEK, 215, config).comparablesMax).toBe(220);
  });
});

/** 5-minute readings whose value is a function of the local wall clock (plus optional noise). */
function fiveMinuteSeries(startMs: number, endMs: number, timeZone: string, noise = 0, seed = 1): Array<[number, number]> {
  const rng = new MT19937(seed);
  const series: Array<[number, number]> = [];
  for (let ts = startMs; ts < endMs; ts += 5 * MINUTE) {
    const { weekday, hour, minute } = wallClockMinute(ts, timeZone);
    const base = 100 + weekday * 10 + hour + minute / 100;
    series.push([ts, Math.round((base + (noise > 0 ? rng.uniform(-noise, noise) : 0)) * 100) / 100]);
  }
  return series;
}

describe('applySeasonalIForest: daylight saving time', () => {
  const timeZone = 'America/New_York';
  const config = configOf({ timeZone });

  it('keeps slots on the wall clock across spring forward (2024-03-10) and fall back (2024-11-03)', () => {
    const state = emptySeasonalIForestState(config);
    const results = new Map<number, SeasonalIForestResult>();
    for (const [ts, value] of fiveMinuteSeries(Date.UTC(2024, 1, 1, 5), Date.UTC(2024, 2, 20, 4), timeZone)) {
      results.set(ts, applySeasonalIForest(state, ts, value, config));
    }
    // Monday after the change, 08:10 EDT = 12:10 UTC. The 4 earlier Mondays at 08:10 were
    // 13:10 UTC (EST); all show the 08:10 value, so the comparables are identical to it.
    const mondayEdt = results.get(Date.UTC(2024, 2, 11, 12, 10));
    expect(mondayEdt).toMatchObject({ slot: 'Mon 08:10', fitted: true, comparables: 4, comparablesMin: 108.1, comparablesMax: 108.1, score: 0.5, outlier: false });
    // The change day itself: Sun 03:30 EDT (07:30 UTC) against Sundays at 03:30 EST (08:30 UTC).
    const sundayEdt = results.get(Date.UTC(2024, 2, 10, 7, 30));
    expect(sundayEdt).toMatchObject({ slot: 'Sun 03:30', comparables: 4, comparablesMin: 163.3, comparablesMax: 163.3, outlier: false });
    // 02:xx did not exist on 2024-03-10: no reading fell in Sun 02:30 that day.
    expect([...results.entries()].filter(([ts, r]) => r.slot === 'Sun 02:30' && ts > Date.UTC(2024, 2, 10) && ts < Date.UTC(2024, 2, 11))).toEqual([]);
    // A UTC clock would have put 12:10 UTC in 'Mon 12:10' and compared it with 07:10 EST.
    expect(applySeasonalIForest(emptySeasonalIForestState(), Date.UTC(2024, 2, 11, 12, 10), 0, configOf()).slot).toBe('Mon 12:10');
  });

  it('lets the repeated 01:30 of fall back see its first occurrence as a comparable', () => {
    const state = emptySeasonalIForestState(config);
    const results = new Map<number, SeasonalIForestResult>();
    for (const [ts, value] of fiveMinuteSeries(Date.UTC(2024, 9, 1, 4), Date.UTC(2024, 10, 5, 5), timeZone)) {
      results.set(ts, applySeasonalIForest(state, ts, value, config));
    }
    const firstOccurrence = results.get(Date.UTC(2024, 10, 3, 5, 30)); // 01:30 EDT
    const secondOccurrence = results.get(Date.UTC(2024, 10, 3, 6, 30)); // 01:30 EST
    expect(firstOccurrence).toMatchObject({ slot: 'Sun 01:30', comparables: 4 });
    expect(secondOccurrence).toMatchObject({ slot: 'Sun 01:30', comparables: 5 });
  });
});

describe('applySeasonalIForest: bounded, compact, serialisable state', () => {
  it('after a year of 5-minute data holds ≤ 5 readings in each of 2016 slots, under the documented byte bound', () => {
    const timeZone = 'America/New_York';
    const config = configOf({ timeZone });
    const state = emptySeasonalIForestState(config);
    const series = fiveMinuteSeries(Date.UTC(2024, 0, 1, 5), Date.UTC(2025, 0, 1, 5), timeZone, 2, 3);
    let fitted = 0;
    let outliers = 0;
    let maxEntries = 0;
    const started = performance.now();
    for (const [ts, value] of series) {
      const result = applySeasonalIForest(state, ts, value, config);
      fitted += result.fitted ? 1 : 0;
      outliers += result.outlier ? 1 : 0;
      maxEntries = Math.max(maxEntries, state.entries);
    }
    const microsPerReading = ((performance.now() - started) * 1000) / series.length;
    const json = JSON.stringify(state);
    const slots = held(state);
    const longestValue = Math.max(...series.map(([, value]) => JSON.stringify(value).length));
    // The bound documented on SeasonalIForestState: 2016 × (59 + 5V) + 100 bytes.
    const documentedBound = 2016 * (59 + 5 * longestValue) + 100;
    console.log('seasonal iforest, a year of 5-minute data:', {
      readings: series.length,
      fitted,
      outliers,
      entries: state.entries,
      slots: slots.size,
      jsonBytes: json.length,
      documentedBound,
      microsPerReading: Math.round(microsPerReading),
    });
    expect(slots.size).toBe(2016);
    expect(state.entries).toBe(2016 * 5);
    // Only the repeated hour of fall back briefly adds its 12 extra readings.
    expect(maxEntries).toBeLessThanOrEqual(2016 * 5 + 12);
    for (const pairs of slots.values()) expect(pairs.length).toBeLessThanOrEqual(5);
    const lastSecond = (series[series.length - 1]?.[0] as number) / 1000;
    for (const pairs of slots.values()) expect(lastSecond - (pairs[0]?.[0] as number)).toBeLessThanOrEqual(35 * 86_400);
    expect(longestValue).toBeLessThanOrEqual(6);
    expect(json.length).toBeLessThanOrEqual(documentedBound);
    expect(json.length).toBeLessThan(180_000);
  });

  it('caps readings per slot and in total, dropping the oldest', () => {
    const perSlot = configOf({ maxPerSlot: 3, historyDays: 365 });
    const state = emptySeasonalIForestState();
    feed(state, perSlot, [1, 2, 3, 4, 5].map((w) => [MONDAY_0810 + w * WEEK, w] as const));
    expect(held(state).get(String(8 * 60 + 10))?.map(([, v]) => v)).toEqual([3, 4, 5]);

    const total = configOf({ maxEntries: 100, historyDays: 365 });
    const capped = emptySeasonalIForestState();
    for (let i = 0; i < 1000; i++) {
      applySeasonalIForest(capped, MONDAY_0810 + i * 7 * MINUTE, i, total);
      expect(capped.entries).toBeLessThanOrEqual(100);
    }
    const kept = [...held(capped).values()].flat().map(([, v]) => v);
    expect(kept.length).toBe(capped.entries);
    expect(Math.min(...kept)).toBeGreaterThan(1000 - 100 - 1);
  });

  it('continues identically from a JSON round trip of its state (continue-as-new)', () => {
    const config = configOf({ timeZone: 'Europe/Berlin' });
    const series = fiveMinuteSeries(Date.UTC(2024, 2, 1), Date.UTC(2024, 3, 20), 'Europe/Berlin', 3, 5);
    const split = series.findIndex(([ts]) => ts >= Date.UTC(2024, 3, 8));
    const original = emptySeasonalIForestState(config);
    feed(original, config, series.slice(0, split));
    const restored = seasonalIForestStateSchema.parse(JSON.parse(JSON.stringify(original)));
    expect(restored).toEqual(original);
    const rest = series.slice(split);
    const fromOriginal = feed(original, config, rest);
    const fromRestored = feed(restored, config, rest);
    expect(fromRestored).toEqual(fromOriginal);
    expect(fromOriginal.filter((r) => r.fitted).length).toBeGreaterThan(1000);
    expect(restored).toEqual(original);
  });

  it('depends only on the comparables, the seed and the reading: other history changes nothing', () => {
    const config = configOf();
    const comparables = [210, 212, 209, 214].map((v, i) => [MONDAY_0810 - (4 - i) * WEEK, v] as const);
    const plain = emptySeasonalIForestState();
    feed(plain, config, comparables);
    const busy = emptySeasonalIForestState();
    feed(busy, config, fiveMinuteSeries(MONDAY_0810 - 5 * WEEK, MONDAY_0810, 'UTC', 5, 9).filter(([ts]) => (ts - MONDAY_0810) % WEEK !== 0));
    feed(busy, config, comparables);
    for (const value of [180, 211, 250]) {
      expect(applySeasonalIForest(structuredClone(busy), MONDAY_0810, value, config)).toEqual(applySeasonalIForest(structuredClone(plain), MONDAY_0810, value, config));
    }
    // A different seed gives a different forest (the same verdicts here, a different score).
    const reseeded = applySeasonalIForest(structuredClone(plain), MONDAY_0810, 250, configOf({ seed: 7 }));
    expect(reseeded.score).not.toBe(applySeasonalIForest(structuredClone(plain), MONDAY_0810, 250, config).score);
    expect(forestSeed(42, MONDAY_0810)).not.toBe(forestSeed(42, MONDAY_0810 + 1));
    expect(forestSeed(42, MONDAY_0810)).not.toBe(forestSeed(43, MONDAY_0810));
  });

  it('re-slots its history when the zone or slot width changes instead of misreading it', () => {
    const utc = configOf();
    const state = emptySeasonalIForestState(utc);
    feed(state, utc, [4, 3, 2, 1].map((w) => [MONDAY_0810 - w * WEEK, 100 + w] as const));
    expect(Object.keys(state.slots)).toEqual([String(8 * 60 + 10)]);
    // Zone spelling alone is not a change.
    applySeasonalIForest(state, MONDAY_0810 - 10 * WEEK, 1, configOf({ timeZone: 'utc' }));
    expect(state.timeZone).toBe('UTC');
    const tokyo = configOf({ timeZone: 'Asia/Tokyo' });
    // 08:10 UTC is 17:10 in Tokyo (UTC+9, no DST).
    const result = applySeasonalIForest(state, MONDAY_0810, 102, tokyo);
    expect(state.timeZone).toBe('Asia/Tokyo');
    expect(result).toMatchObject({ slot: 'Mon 17:10', comparables: 4 });
    const quarterHours = configOf({ timeZone: 'Asia/Tokyo', slotMinutes: 15 });
    const bucketed = applySeasonalIForest(state, MONDAY_0810 + 4 * MINUTE, 102, quarterHours);
    expect(bucketed).toMatchObject({ slot: 'Mon 17:00', comparables: 5 });
    expect(state.entries).toBe(6);
  });
});

describe('scoreThreshold', () => {
  it('flags by the configured threshold instead of 0.5', () => {
    const day = 86_400_000;
    const week = 7 * day;
    const t0 = Date.UTC(2024, 0, 1, 8, 10);
    const judge = (scoreThreshold: number) => {
      const config = configOf({ scoreThreshold });
      const state = emptySeasonalIForestState(config);
      for (const [i, v] of [100, 101, 99, 100.5].entries()) applySeasonalIForest(state, t0 + i * week, v, config);
      return applySeasonalIForest(state, t0 + 4 * week, 500, config);
    };
    const loose = judge(0.5);
    expect(loose.fitted).toBe(true);
    const strict = judge(Math.min(0.99, (loose.score ?? 0) + 0.01));
    expect(strict.score).toBe(loose.score);
    expect(strict.outlier).toBe(false);
    expect(judge(Math.max(0.01, (loose.score ?? 1) - 0.01)).outlier).toBe(true);
  });
});
