import { describe, expect, it } from 'vitest';
import {
  emptyThresholdMemory,
  judgeThreshold,
  thresholdFor,
  thresholdLayerOf,
  type ThresholdMemory,
  type ThresholdRuleInput,
  thresholdRuleSchema,
} from '../../../src/detectors/threshold';
import type { ZScoreRule } from '../../../src/detectors/zscore';
import type { DeviceState } from '../../../src/device/state';
import { anomaliesOf, testDevice } from '../../support/reference';
import type { AnomalyEvent } from '../../../src/contracts/anomalies';
import { decodeMessage, formats } from '../../../src/formats';
import { csv3Format } from '../../../src/formats/csv3';
import { detectorsJudging } from '../../../src/device/judging';
import { withFormatDefaults } from '../../../src/device/settings';

/** Seed 001's first host record: 2018-10-29T16:03:42+0700. */
const T0 = Date.UTC(2018, 9, 29, 9, 3, 42);
/** A z-score rule that never judges, so only the threshold detector speaks. */
const silentZ: ZScoreRule = { k: 3, minSamples: 1_000_000, direction: 'both', clearAfter: 1, learnAnomalies: false, relearnAfter: null, window: null };
const connection = { disconnectAfterMs: 60_000, retireAfterMs: 86_400_000 };
const rule = (input: ThresholdRuleInput) => thresholdRuleSchema.parse(input);

function hostWith(field: string, input: ThresholdRuleInput, deviceId = 'host-0002'): DeviceState {
  const state = testDevice(deviceId, { zscore: silentZ, connection });
  state.settings.detectors.threshold.own[field] = rule(input);
  return state;
}

/** Feeds `[eventTimeOffsetMs, value]` readings at offsets 0, 1, …; returns the events. */
function feed(state: DeviceState, field: string, readings: Array<[number, number]>, firstOffset = 0): AnomalyEvent[] {
  return readings.flatMap(([dt, value], i) =>
    anomaliesOf(state, {
      source: { topic: 'readings', partition: 0, offset: firstOffset + i },
      reading: { deviceId: state.deviceId, ts: T0 + dt, values: { [field]: value } },
    }),
  );
}

/** Readings one second apart. */
const everySecond = (values: number[]): Array<[number, number]> => values.map((v, i) => [i * 1000, v]);
/** What a script asserts per event: lifecycle status, the value behind it, and its offset. */
const steps = (events: AnomalyEvent[]) => events.map((e) => [e.status, e.value, e.source.offset]);

const SCRIPT = [70, 85, 90, 75, 95, 96, 97, 60, 50];

describe('thresholdRuleSchema', () => {
  it('fills the defaults: rule each, n 3, window 60 s, clearAfter 1', () => {
    expect(thresholdRuleSchema.parse({ low: 0, high: 80 })).toStrictEqual({
      low: 0,
      high: 80,
      rule: 'each',
      n: 3,
      windowMs: 60_000,
      clearAfter: 1,
    });
    expect(thresholdRuleSchema.parse({ low: null, high: 100 })).toStrictEqual({
      low: null,
      high: 100,
      rule: 'each',
      n: 3,
      windowMs: 60_000,
      clearAfter: 1,
    });
  });

  it('keeps explicit settings', () => {
    const input = { low: 1, high: 9, rule: 'N-consecutive', n: 5, windowMs: 1000, clearBelow: 8, clearAbove: 2, clearAfter: 4 } as const;
    expect(thresholdRuleSchema.parse(input)).toStrictEqual(input);
  });

  it('accepts low equal to high and rejects low greater than high', () => {
    expect(thresholdRuleSchema.safeParse({ low: 5, high: 5 }).success).toBe(true);
    const result = thresholdRuleSchema.safeParse({ low: 80, high: 0 });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual(['low must not be greater than high']);
  });

  it('rejects a rule without any bound', () => {
    const result = thresholdRuleSchema.safeParse({ low: null, high: null });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual(['a threshold needs a low or a high bound']);
  });

  it('rejects clear levels without the matching bound or beyond it', () => {
    expect(thresholdRuleSchema.safeParse({ low: 0, high: null, clearBelow: 5 }).success).toBe(false);
    expect(thresholdRuleSchema.safeParse({ low: null, high: 90, clearBelow: 95 }).success).toBe(false);
    expect(thresholdRuleSchema.safeParse({ low: null, high: 90, clearBelow: 90 }).success).toBe(true);
    expect(thresholdRuleSchema.safeParse({ low: null, high: 90, clearAbove: 5 }).success).toBe(false);
    expect(thresholdRuleSchema.safeParse({ low: 10, high: null, clearAbove: 5 }).success).toBe(false);
    expect(thresholdRuleSchema.safeParse({ low: 10, high: null, clearAbove: 10 }).success).toBe(true);
  });

  it('rejects bad settings and unknown keys', () => {
    for (const bad of [
      { low: 0, high: 80, rule: 'sometimes' },
      { low: 0, high: 80, n: 0 },
      { low: 0, high: 80, n: 1.5 },
      { low: 0, high: 80, windowMs: 0 },
      { low: 0, high: 80, clearAfter: 0 },
      { low: 0, high: Infinity },
      { low: Number.NaN, high: 80 },
      { low: 0, high: 80, extra: true },
    ]) {
      expect(thresholdRuleSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('judgeThreshold', () => {
  const empty = emptyThresholdMemory();

  it('flags strictly below low or strictly above high; the bounds themselves are fine', () => {
    const each = rule({ low: 0, high: 80 });
    const sides = [-0.001, 0, 40, 80, 80.001].map((v) => judgeThreshold(each, empty, v, 1000, null).verdict.side);
    expect(sides).toEqual(['low', null, null, null, 'high']);
  });

  it('treats a null bound as unbounded (seed 004: temp > 100)', () => {
    const seed004 = rule({ low: null, high: 100 });
    const violated = [-1e9, 0, 99.99, 100, 100.01, 105, 1e9].map((v) => judgeThreshold(seed004, empty, v, 0, null).verdict.violated);
    expect(violated).toEqual([false, false, false, false, true, true, true]);
  });

  it('each: fires exactly on a violating reading', () => {
    const each = rule({ low: 0, high: 80 });
    expect(judgeThreshold(each, empty, 85, 1000, null)).toEqual({
      verdict: { violated: true, side: 'high', firing: true, clears: false, violationsInWindow: 1, consecutive: 1 },
      memory: { violations: [1000], consecutive: 1, goodStreak: 0 },
    });
    const after: ThresholdMemory = { violations: [1000], consecutive: 1, goodStreak: 0 };
    expect(judgeThreshold(each, after, 50, 2000, 'high')).toEqual({
      verdict: { violated: false, side: null, firing: false, clears: true, violationsInWindow: 1, consecutive: 0 },
      memory: { violations: [1000], consecutive: 0, goodStreak: 1 },
    });
    expect(judgeThreshold(each, after, -5, 2000, 'high').verdict).toEqual({
      violated: true,
      side: 'low',
      firing: true,
      clears: false,
      violationsInWindow: 2,
      consecutive: 2,
    });
  });

  it('latest-in-window: fires while the window (activeTs − windowMs, activeTs] holds a violation', () => {
    const latest = rule({ low: 0, high: 80, rule: 'latest-in-window', windowMs: 60_000 });
    const memory: ThresholdMemory = { violations: [1000], consecutive: 0, goodStreak: 3 };
    expect(judgeThreshold(latest, memory, 50, 60_999, 'high')).toEqual({
      verdict: { violated: false, side: null, firing: true, clears: false, violationsInWindow: 1, consecutive: 0 },
      memory: { violations: [1000], consecutive: 0, goodStreak: 4 },
    });
    expect(judgeThreshold(latest, memory, 50, 61_000, 'high')).toEqual({
      verdict: { violated: false, side: null, firing: false, clears: true, violationsInWindow: 0, consecutive: 0 },
      memory: { violations: [], consecutive: 0, goodStreak: 4 },
    });
  });

  it('at-least-N-in-window: fires while the window holds n violations', () => {
    const atLeast = rule({ low: 0, high: 80, rule: 'at-least-N-in-window', n: 3, windowMs: 60_000 });
    const two: ThresholdMemory = { violations: [1000, 2000], consecutive: 0, goodStreak: 1 };
    expect(judgeThreshold(atLeast, two, 90, 3000, null)).toEqual({
      verdict: { violated: true, side: 'high', firing: true, clears: false, violationsInWindow: 3, consecutive: 1 },
      memory: { violations: [1000, 2000, 3000], consecutive: 1, goodStreak: 0 },
    });
    // 60 s after the first: it has left the window, so only two remain.
    expect(judgeThreshold(atLeast, two, 90, 61_000, null).verdict).toEqual({
      violated: true,
      side: 'high',
      firing: false,
      clears: false,
      violationsInWindow: 2,
      consecutive: 1,
    });
    expect(judgeThreshold(atLeast, { violations: [1000, 2000, 3000], consecutive: 0, goodStreak: 0 }, 50, 4000, 'high').verdict).toMatchObject({
      firing: true,
      clears: false,
      violationsInWindow: 3,
    });
  });

  it('N-consecutive: fires when the last n readings all violated', () => {
    const consecutive = rule({ low: 0, high: 80, rule: 'N-consecutive', n: 3 });
    expect(judgeThreshold(consecutive, { violations: [], consecutive: 1, goodStreak: 0 }, 90, 0, null).verdict).toMatchObject({ firing: false, consecutive: 2 });
    expect(judgeThreshold(consecutive, { violations: [], consecutive: 2, goodStreak: 0 }, 90, 0, null).verdict).toMatchObject({ firing: true, consecutive: 3 });
    expect(judgeThreshold(consecutive, { violations: [], consecutive: 7, goodStreak: 0 }, 50, 0, 'high')).toEqual({
      verdict: { violated: false, side: null, firing: false, clears: true, violationsInWindow: 0, consecutive: 0 },
      memory: { violations: [], consecutive: 0, goodStreak: 1 },
    });
  });

  it('clears at or below clearBelow for a high-side anomaly, at or above clearAbove for a low side', () => {
    const hysteresis = rule({ low: 10, high: 90, clearBelow: 80, clearAbove: 20 });
    const clears = (value: number, side: 'low' | 'high' | null) => judgeThreshold(hysteresis, empty, value, 0, side).verdict.clears;
    expect([85, 80.5, 80, 79].map((v) => clears(v, 'high'))).toEqual([false, false, true, true]);
    expect([15, 19.5, 20, 21].map((v) => clears(v, 'low'))).toEqual([false, false, true, true]);
    // With nothing open the clear levels do not apply.
    expect(clears(85, null)).toBe(true);
    // A high-side anomaly does not use clearAbove, nor a low-side one clearBelow.
    expect(clears(15, 'high')).toBe(true);
    expect(clears(85, 'low')).toBe(true);
  });

  it('without a clear level needs clearAfter good readings in a row', () => {
    const slow = rule({ low: null, high: 90, clearAfter: 3 });
    const after = (goodStreak: number) => judgeThreshold(slow, { violations: [], consecutive: 0, goodStreak }, 50, 0, 'high').verdict.clears;
    expect([0, 1, 2, 3].map(after)).toEqual([false, false, true, true]);
  });
});

describe('seed 001 scripts through applyItem: cpu high 80, readings one second apart', () => {
  it('each: raised on a violation, updated by the next, resolved by a good reading', () => {
    const state = hostWith('cpu', { low: 0, high: 80, rule: 'each' });
    const events = feed(state, 'cpu', everySecond(SCRIPT));
    expect(steps(events)).toEqual([
      ['raised', 85, 1],
      ['updated', 90, 2],
      ['resolved', 75, 3],
      ['raised', 95, 4],
      ['updated', 96, 5],
      ['updated', 97, 6],
      ['resolved', 60, 7],
    ]);
    expect(events[0]).toStrictEqual({
      eventId: 'host-0002/threshold/cpu/readings/0/1/raised',
      anomalyId: 'host-0002/threshold/cpu/readings/0/1',
      status: 'raised',
      deviceId: 'host-0002',
      detector: 'threshold',
      field: 'cpu',
      ts: T0 + 1000,
      value: 85,
      explanation: { kind: 'threshold', low: 0, high: 80, rule: 'each', n: 3, windowMs: 60_000, violationsInWindow: 1, consecutive: 1 },
      source: { topic: 'readings', partition: 0, offset: 1 },
    });
    expect(events.map((e) => e.anomalyId)).toEqual([
      'host-0002/threshold/cpu/readings/0/1',
      'host-0002/threshold/cpu/readings/0/1',
      'host-0002/threshold/cpu/readings/0/1',
      'host-0002/threshold/cpu/readings/0/4',
      'host-0002/threshold/cpu/readings/0/4',
      'host-0002/threshold/cpu/readings/0/4',
      'host-0002/threshold/cpu/readings/0/4',
    ]);
    expect(events.map((e) => e.eventId)).toEqual([
      'host-0002/threshold/cpu/readings/0/1/raised',
      'host-0002/threshold/cpu/readings/0/1/updated/readings/0/2',
      'host-0002/threshold/cpu/readings/0/1/resolved/readings/0/3',
      'host-0002/threshold/cpu/readings/0/4/raised',
      'host-0002/threshold/cpu/readings/0/4/updated/readings/0/5',
      'host-0002/threshold/cpu/readings/0/4/updated/readings/0/6',
      'host-0002/threshold/cpu/readings/0/4/resolved/readings/0/7',
    ]);
    expect(state.counters.anomalyCount).toBe(2);
    expect(state.incidents).toEqual({});
  });

  it('at-least-3-in-60s: raised at the third violation in the window, resolved once fewer than 3 remain', () => {
    const state = hostWith('cpu', { low: 0, high: 80, rule: 'at-least-N-in-window', n: 3, windowMs: 60_000 });
    const events = feed(state, 'cpu', everySecond(SCRIPT));
    // 85 and 90 are two; 75 does not break the count; 95 is the third.
    expect(steps(events)).toEqual([
      ['raised', 95, 4],
      ['updated', 96, 5],
      ['updated', 97, 6],
    ]);
    expect(events[0]?.explanation).toEqual({
      kind: 'threshold',
      low: 0,
      high: 80,
      rule: 'at-least-N-in-window',
      n: 3,
      windowMs: 60_000,
      violationsInWindow: 3,
      consecutive: 1,
    });
    expect(state.incidents['threshold:cpu']).toEqual({
      anomalyId: 'host-0002/threshold/cpu/readings/0/4',
      raisedTs: T0 + 4000,
      side: 'high',
      updates: 2,
      peak: 97,
    });
    // Violations at 1, 2, 4, 5, 6 s: at 63 s three (4, 5, 6) are still inside, at 64 s only two.
    expect(feed(state, 'cpu', [[63_000, 50]], 9)).toEqual([]);
    expect(steps(feed(state, 'cpu', [[64_000, 50]], 10))).toEqual([['resolved', 50, 10]]);
    expect(state.counters.anomalyCount).toBe(1);
  });

  it('3-consecutive: raised only at 97, the third violation in a row (75 broke 85, 90)', () => {
    const state = hostWith('cpu', { low: 0, high: 80, rule: 'N-consecutive', n: 3 });
    const events = feed(state, 'cpu', everySecond(SCRIPT));
    expect(steps(events)).toEqual([
      ['raised', 97, 6],
      ['resolved', 60, 7],
    ]);
    expect(events[0]?.explanation).toMatchObject({ rule: 'N-consecutive', consecutive: 3, violationsInWindow: 5 });
    expect(events[1]?.anomalyId).toBe('host-0002/threshold/cpu/readings/0/6');
  });

  it('latest-in-window: resolves only when the window has no violation and a good reading arrives', () => {
    const state = hostWith('cpu', { low: 0, high: 80, rule: 'latest-in-window', windowMs: 60_000 });
    const events = feed(state, 'cpu', [
      [0, 70],
      [10_000, 85], // raised
      [20_000, 90], // updated
      [30_000, 75], // good, but 10 s and 20 s are in the window
      [75_000, 70], // good, 20 s still in (15 s, 75 s]
      [81_000, 60], // window (21 s, 81 s] is empty: resolved
      [90_000, 95], // a new anomaly
    ]);
    expect(steps(events)).toEqual([
      ['raised', 85, 1],
      ['updated', 90, 2],
      ['resolved', 60, 5],
      ['raised', 95, 6],
    ]);
    expect(events[2]?.explanation).toMatchObject({ violationsInWindow: 0 });
    expect(events[2]?.eventId).toBe('host-0002/threshold/cpu/readings/0/1/resolved/readings/0/5');
  });

  it('latest-in-window on the one-second script never resolves: the window always holds a violation', () => {
    const state = hostWith('cpu', { low: 0, high: 80, rule: 'latest-in-window' });
    expect(steps(feed(state, 'cpu', everySecond(SCRIPT)))).toEqual([
      ['raised', 85, 1],
      ['updated', 90, 2],
      ['updated', 95, 4],
      ['updated', 96, 5],
      ['updated', 97, 6],
    ]);
  });
});

describe('hysteresis through applyItem', () => {
  it('high 90, clearBelow 80: 95 raises, 85 keeps it open silently, 79 resolves', () => {
    const state = hostWith('cpu', { low: null, high: 90, clearBelow: 80 });
    expect(steps(feed(state, 'cpu', everySecond([95, 85, 79])))).toEqual([
      ['raised', 95, 0],
      ['resolved', 79, 2],
    ]);
  });

  it('clearBelow is inclusive and a violation in between is an update', () => {
    const state = hostWith('cpu', { low: null, high: 90, clearBelow: 80 });
    expect(steps(feed(state, 'cpu', everySecond([95, 85, 92, 85, 80])))).toEqual([
      ['raised', 95, 0],
      ['updated', 92, 2],
      ['resolved', 80, 4],
    ]);
  });

  it('without clearBelow the same 85 resolves at once', () => {
    const state = hostWith('cpu', { low: null, high: 90 });
    expect(steps(feed(state, 'cpu', everySecond([95, 85, 79])))).toEqual([
      ['raised', 95, 0],
      ['resolved', 85, 1],
    ]);
  });

  it('clearAbove for a low-side anomaly, with the peak at the minimum', () => {
    const state = hostWith('temp', { low: 10, high: null, clearAbove: 20 }, 'sensor-1');
    expect(steps(feed(state, 'temp', everySecond([5, 15, 3])))).toEqual([
      ['raised', 5, 0],
      ['updated', 3, 2],
    ]);
    expect(state.incidents['threshold:temp']).toEqual({
      anomalyId: 'sensor-1/threshold/temp/readings/0/0',
      raisedTs: T0,
      side: 'low',
      updates: 1,
      peak: 3,
    });
    expect(steps(feed(state, 'temp', [[3000, 19], [4000, 20]], 3))).toEqual([['resolved', 20, 4]]);
    expect(state.incidents).toEqual({});
  });

  it('clearAfter 3 without a clear level needs three good readings in a row', () => {
    const state = hostWith('cpu', { low: null, high: 90, clearAfter: 3 });
    expect(steps(feed(state, 'cpu', everySecond([95, 85, 85, 96, 85, 85, 85, 85])))).toEqual([
      ['raised', 95, 0],
      ['updated', 96, 3],
      ['resolved', 85, 6],
    ]);
  });
});

describe('csv3 lines: name,temp,status, with the format\'s rule temp > 100', () => {
  const lines = ['sensor-1,99,OK', 'sensor-1,100,WARN', 'sensor-1,101,FAIL', 'sensor-1,550,FAIL', 'sensor-1,100,OK', 'sensor-1,10,OK'];
  const feedLines = (state: DeviceState) =>
    lines.flatMap((line, offset) =>
      anomaliesOf(state, {
        source: { topic: 'sensor-csv', partition: 0, offset },
        reading: decodeMessage(formats.csv3, Buffer.from(line), { key: 'sensor-1', timestamp: T0 + offset * 1000 }, 1024),
      }),
    );
  /** A csv3 device as the ingest starts one: the configuration's settings with its format's defaults. */
  const csv3Device = () => {
    const state = testDevice('sensor-1', { zscore: silentZ, connection });
    state.settings = withFormatDefaults(state.settings, formats.csv3);
    return state;
  };

  it('flags exactly the temps above 100, each step carrying the line\'s status', () => {
    const state = csv3Device();
    const events = feedLines(state);
    expect(steps(events)).toEqual([
      ['raised', 101, 2],
      ['updated', 550, 3],
      ['resolved', 100, 4],
    ]);
    expect(events.map((e) => e.ts)).toEqual([T0 + 2000, T0 + 3000, T0 + 4000]);
    expect(events.map((e) => e.attrs)).toEqual([{ status: 'FAIL' }, { status: 'FAIL' }, { status: 'OK' }]);
    expect(events[0]?.explanation).toMatchObject({ low: null, high: 100 });
    // Judged by its rule alone: the stuck-sensor check and z-score stay off the field.
    expect(detectorsJudging(state.settings.judging, state.settings.detectors, 'temp')).toEqual(['threshold']);
    // Taken once: the format's defaults arrive with every batch and change nothing again.
    expect(state.settings.formats).toEqual(['csv3']);
    expect(withFormatDefaults(state.settings, formats.csv3)).toBe(state.settings);
  });

  it('gives way to the fleet\'s `*` rule and the device\'s own, and comes back when they are removed', () => {
    const state = csv3Device();
    const threshold = state.settings.detectors.threshold;
    threshold.defaults.temp = rule({ low: null, high: 500 });
    expect(thresholdLayerOf(threshold, 'temp')).toBe('*');
    threshold.own.temp = rule({ low: null, high: 99 });
    expect(thresholdLayerOf(threshold, 'temp')).toBe('own');
    expect(thresholdFor(threshold, 'temp')?.high).toBe(99);
    delete threshold.own.temp;
    expect(steps(feedLines(state))).toEqual([['raised', 550, 3], ['resolved', 100, 4]]);
    delete threshold.defaults.temp;
    expect([thresholdLayerOf(threshold, 'temp'), thresholdFor(threshold, 'temp')?.high]).toEqual(['format', 100]);
  });

  it('has no rule when the configuration says none, and then the default detectors judge temp', () => {
    const state = testDevice('sensor-1', { zscore: silentZ, connection });
    state.settings = withFormatDefaults(state.settings, csv3Format({ tempAbove: null }));
    expect(state.settings.detectors.threshold.format).toEqual({});
    expect(detectorsJudging(state.settings.judging, state.settings.detectors, 'temp')).toEqual(['zscore', 'flatline']);
  });
});
