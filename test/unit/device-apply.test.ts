import { describe, expect, it } from 'vitest';
import type { Control } from '../../src/device/control';
import { thresholdRuleSchema, type ThresholdRuleInput, thresholdFor } from '../../src/detectors/threshold';
import { addValue, type M2, stdev } from '../../src/detectors/welford';
import { type ZScoreRule, zscoreSettingsSchema, zscoreRuleFor } from '../../src/detectors/zscore';
import { type DeviceState, deviceStateSchema } from '../../src/device/state';
import { isApplied } from '../../src/device/ledger';
import { anomaliesOf, testDevice, testSettings } from '../support/reference';
import type { SourcedItem } from '../../src/device/item';
import type { AnomalyEvent } from '../../src/contracts/anomalies';

const defaults: ZScoreRule = { k: 3, minSamples: 4, direction: 'both', clearAfter: 1, learnAnomalies: false, relearnAfter: null, window: null };
/** A z-score rule that never judges, for threshold-only tests. */
const silentZ: ZScoreRule = { k: 3, minSamples: 1_000_000, direction: 'both', clearAfter: 1, learnAnomalies: false, relearnAfter: null, window: null };
const connection = { disconnectAfterMs: 60_000, retireAfterMs: 86_400_000 };
const rule = (input: ThresholdRuleInput) => thresholdRuleSchema.parse(input);

function reading(offset: number, values: Record<string, number>, ts = 1000 + offset, topic = 'readings', partition = 0): SourcedItem {
  return { source: { topic, partition, offset }, reading: { deviceId: 'dev-1', ts, values } };
}

function control(offset: number, body: Control, topic = 'control'): SourcedItem {
  return { source: { topic, partition: 0, offset }, control: body };
}

const steps = (events: AnomalyEvent[]) => events.map((e) => [e.detector, e.field, e.status, e.value]);

/** A device that has learnt temp 9/11 (mean 10) and hum 40/50 (mean 45) from offsets 0..9. */
function warmedUp(learnAnomalies = false, zscore: ZScoreRule = defaults): DeviceState {
  const state = testDevice('dev-1', { zscore, connection });
  state.settings.detectors.zscore.defaults.learnAnomalies = learnAnomalies;
  for (let i = 0; i < 10; i += 1) {
    expect(anomaliesOf(state, reading(i, { temp: i % 2 === 0 ? 9 : 11, hum: i % 2 === 0 ? 40 : 50 }))).toEqual([]);
  }
  return state;
}

function model(state: DeviceState, field: string): M2 {
  const m = state.memories.zscore[field]?.model;
  if (!m) throw new Error(`no ${field} model`);
  return structuredClone(m);
}

describe('initialDeviceState', () => {
  it('starts NEW and empty, with its settings and no memories', () => {
    const settings = testSettings({ zscore: defaults, connection });
    const state = testDevice('d', { zscore: defaults, connection });
    expect(state).toStrictEqual({
      deviceId: 'd',
      settings,
      ledger: { applied: {}, recentTimes: [] },
      reorder: { held: [], sources: {} },
      memories: { zscore: {}, threshold: {}, 'seasonal-iforest': {}, flatline: {}, htm: {}, artime: {} },
      incidents: {},
      clock: { watermark: null, pausedMs: 0 },
      windows: { hourly: {}, recent: {}, changedHours: [], changedFields: [] },
      report: { seconds: [], closedThrough: null, topic: null },
      connection: { status: 'NEW', lastSeenAt: null },
      lastValues: {},
      counters: { readingsApplied: 0, controlsApplied: 0, duplicatesSkipped: 0, lateDropped: 0, anomalyCount: 0 },
      attention: { snoozes: [], maintenance: [], acknowledged: {}, recent: [], falseAlarms: [] },
    });
    expect(deviceStateSchema.parse(state)).toEqual(state);
    expect(state.settings, 'a copy: a device changes its own').not.toBe(settings);
  });

  it('takes the fleet defaults as its defaults layer', () => {
    const temp = rule({ low: null, high: 100 });
    expect(testDevice('d', { zscore: defaults, connection, thresholdDefaults: { temp } }).settings.detectors.threshold).toEqual({ format: {}, defaults: { temp }, own: {} });
  });
});

describe('applyItem: readings', () => {
  it('updates counters, models, last values, offsets and the connection', () => {
    const state = warmedUp();
    expect(state.counters.readingsApplied).toBe(10);
    expect(state.counters.controlsApplied).toBe(0);
    expect(state.ledger.applied).toEqual({ 'readings:0': 9 });
    expect(state.clock.watermark).toBe(1009);
    expect(state.lastValues).toEqual({ temp: 11, hum: 50 });
    expect(state.memories.zscore.temp?.model.n).toBe(10);
    expect(state.memories.zscore.temp?.model.mean).toBeCloseTo(10, 12);
    expect(state.memories.zscore.hum?.model.mean).toBeCloseTo(45, 12);
    expect(state.connection.status).toBe('CONNECTED');
    expect(state.clock.pausedMs).toBe(0);
    expect(state.counters.anomalyCount).toBe(0);
  });

  it('skips a reading whose offset was already applied, changing only duplicatesSkipped', () => {
    const state = warmedUp();
    const before = structuredClone(state);
    expect(anomaliesOf(state, reading(9, { temp: 1000 }))).toEqual([]);
    expect(anomaliesOf(state, reading(3, { temp: 1000, hum: 1000 }))).toEqual([]);
    expect(state).toEqual({ ...before, counters: { ...before.counters, duplicatesSkipped: 2 } });
    expect(isApplied(state.ledger, { topic: 'readings', partition: 0, offset: 9 })).toBe(true);
    expect(isApplied(state.ledger, { topic: 'readings', partition: 0, offset: 0 })).toBe(true);
    expect(isApplied(state.ledger, { topic: 'readings', partition: 0, offset: 10 })).toBe(false);
  });

  it('tracks offsets per topic:partition independently', () => {
    const state = testDevice('dev-1', { zscore: defaults, connection });
    anomaliesOf(state, reading(100, { temp: 1 }, 1, 'readings', 0));
    expect(isApplied(state.ledger, { topic: 'readings', partition: 1, offset: 0 })).toBe(false);
    expect(isApplied(state.ledger, { topic: 'other', partition: 0, offset: 0 })).toBe(false);
    anomaliesOf(state, reading(0, { temp: 2 }, 2, 'readings', 1));
    anomaliesOf(state, reading(5, { temp: 3 }, 3, 'other', 0));
    expect(state.ledger.applied).toEqual({ 'readings:0': 100, 'readings:1': 0, 'other:0': 5 });
    expect(state.counters.readingsApplied).toBe(3);
    expect(state.memories.zscore.temp?.model.n).toBe(3);
    anomaliesOf(state, reading(50, { temp: 4 }, 4, 'readings', 1));
    anomaliesOf(state, reading(49, { temp: 5 }, 5, 'readings', 1));
    expect(state.ledger.applied['readings:1']).toBe(50);
    expect(state.counters.readingsApplied).toBe(4);
    expect(state.counters.duplicatesSkipped).toBe(1);
  });

  it('keeps lastReadingTs at the maximum event time seen', () => {
    const state = testDevice('dev-1', { zscore: defaults, connection });
    anomaliesOf(state, reading(0, { temp: 1 }, 5000));
    anomaliesOf(state, reading(1, { temp: 2 }, 3000));
    expect(state.clock.watermark).toBe(5000);
    expect(state.lastValues.temp).toBe(2);
  });

  it('does not judge while a field is warming up', () => {
    const state = testDevice('dev-1', { zscore: defaults, connection });
    for (const [i, v] of [9, 11, 9].entries()) anomaliesOf(state, reading(i, { temp: v }));
    expect(anomaliesOf(state, reading(3, { temp: 1e6 }))).toEqual([]);
    expect(state.memories.zscore.temp?.model.n).toBe(4);
    expect(state.counters.anomalyCount).toBe(0);
    expect(state.incidents).toEqual({});
  });
});

describe('applyItem: z-score lifecycle', () => {
  it('raises a spike and resolves it on the next normal reading, with one stable anomalyId', () => {
    const state = warmedUp();
    const temp = model(state, 'temp');
    const sd = stdev(temp) as number;
    const raised = anomaliesOf(state, reading(10, { temp: 30, hum: 45 }, 777));
    expect(raised).toStrictEqual([
      {
        eventId: 'dev-1/zscore/temp/readings/0/10/raised',
        anomalyId: 'dev-1/zscore/temp/readings/0/10',
        status: 'raised',
        deviceId: 'dev-1',
        detector: 'zscore',
        field: 'temp',
        ts: 777,
        value: 30,
        explanation: {
          kind: 'zscore',
          n: 10,
          mean: temp.mean,
          stdev: sd,
          z: (30 - temp.mean) / sd,
          k: 3,
          direction: 'both',
          lower: temp.mean - 3 * sd,
          upper: temp.mean + 3 * sd,
        },
        source: { topic: 'readings', partition: 0, offset: 10 },
      },
    ]);
    expect(state.incidents).toEqual({
      'zscore:temp': { anomalyId: 'dev-1/zscore/temp/readings/0/10', raisedTs: 777, side: 'high', updates: 0, peak: 30 },
    });
    const resolved = anomaliesOf(state, reading(11, { temp: 10, hum: 45 }, 778));
    expect(resolved.map((e) => [e.status, e.anomalyId, e.eventId, e.value, e.ts])).toEqual([
      ['resolved', 'dev-1/zscore/temp/readings/0/10', 'dev-1/zscore/temp/readings/0/10/resolved/readings/0/11', 10, 778],
    ]);
    expect(resolved[0]?.source).toEqual({ topic: 'readings', partition: 0, offset: 11 });
    expect(state.incidents).toEqual({});
    expect(state.counters.anomalyCount).toBe(1);
    expect(state.counters.readingsApplied).toBe(12);
    // The next normal reading is silent.
    expect(anomaliesOf(state, reading(12, { temp: 9, hum: 45 }))).toEqual([]);
  });

  it('gives consecutive anomalies raised, updated, … then resolved', () => {
    const state = warmedUp();
    const events = [30, 31, -20, 10, 9].flatMap((temp, i) => anomaliesOf(state, reading(10 + i, { temp, hum: 45 })));
    expect(events.map((e) => [e.status, e.value, e.eventId])).toEqual([
      ['raised', 30, 'dev-1/zscore/temp/readings/0/10/raised'],
      ['updated', 31, 'dev-1/zscore/temp/readings/0/10/updated/readings/0/11'],
      ['updated', -20, 'dev-1/zscore/temp/readings/0/10/updated/readings/0/12'],
      ['resolved', 10, 'dev-1/zscore/temp/readings/0/10/resolved/readings/0/13'],
    ]);
    expect(new Set(events.map((e) => e.anomalyId))).toEqual(new Set(['dev-1/zscore/temp/readings/0/10']));
    expect(state.counters.anomalyCount).toBe(1);
  });

  it('counts raised anomalies only', () => {
    const state = warmedUp();
    const events = [30, 31, 10, 30, 10, -30].flatMap((temp, i) => anomaliesOf(state, reading(10 + i, { temp, hum: 45 })));
    expect(events.map((e) => e.status)).toEqual(['raised', 'updated', 'resolved', 'raised', 'resolved', 'raised']);
    expect(state.counters.anomalyCount).toBe(3);
    expect(state.incidents['zscore:temp']).toMatchObject({ anomalyId: 'dev-1/zscore/temp/readings/0/15', side: 'low', peak: -30 });
  });

  it('needs clearAfter normal readings in a row to resolve', () => {
    const state = warmedUp(false, { ...defaults, clearAfter: 2 });
    const events = [30, 10, 30, 10, 10, 10].flatMap((temp, i) => anomaliesOf(state, reading(10 + i, { temp, hum: 45 })));
    expect(events.map((e) => [e.status, e.source.offset])).toEqual([
      ['raised', 10],
      ['updated', 12],
      ['resolved', 14],
    ]);
  });

  it('does not learn an anomalous value with the learn gate closed, but learns the normal fields', () => {
    const state = warmedUp(false);
    const temp = model(state, 'temp');
    const hum = model(state, 'hum');
    const first = anomaliesOf(state, reading(10, { temp: 30, hum: 46 }));
    expect(steps(first)).toEqual([['zscore', 'temp', 'raised', 30]]);
    expect(state.memories.zscore.temp?.model).toEqual(temp);
    expect(state.memories.zscore.hum?.model).toEqual(addValue(hum, 46));
    expect(state.lastValues).toEqual({ temp: 30, hum: 46 });
    // The unlearnt spike does not widen the baseline: a second one is judged against the same model.
    const again = anomaliesOf(state, reading(11, { temp: 30, hum: 45 }));
    expect(steps(again)).toEqual([['zscore', 'temp', 'updated', 30]]);
    expect(again[0]?.explanation).toEqual(first[0]?.explanation);
    expect(state.memories.zscore.temp?.model).toEqual(temp);
  });

  it('learns an anomalous value with learnAnomalies: true', () => {
    const state = warmedUp(true);
    const temp = model(state, 'temp');
    expect(steps(anomaliesOf(state, reading(10, { temp: 30, hum: 45 })))).toEqual([['zscore', 'temp', 'raised', 30]]);
    expect(state.memories.zscore.temp?.model).toEqual(addValue(temp, 30));
    expect(state.memories.zscore.temp?.model.n).toBe(11);
    expect(state.memories.zscore.temp?.model.mean).toBeCloseTo(10 + 20 / 11, 12);
  });

  it('keeps a parsed per-field override to what it names, so it does not reset clearAfter', () => {
    const config = zscoreSettingsSchema.parse({ defaults: { ...defaults, clearAfter: 3 }, fields: { temp: { k: 2 } } });
    expect(config.fields).toStrictEqual({ temp: { k: 2 } });
    expect(zscoreRuleFor(config, 'temp')).toEqual({ k: 2, minSamples: 4, direction: 'both', clearAfter: 3, learnAnomalies: false, relearnAfter: null, window: null });
    expect(zscoreSettingsSchema.safeParse({ ...config, fields: { temp: { k: 2, colour: 'red' } } }).success).toBe(false);
  });

  it('gives per-field overrides precedence over the defaults', () => {
    const state = warmedUp();
    state.settings.detectors.zscore.fields = { hum: { k: 1 }, temp: { direction: 'below' } };
    expect(zscoreRuleFor(state.settings.detectors.zscore, 'hum')).toEqual({ k: 1, minSamples: 4, direction: 'both', clearAfter: 1, learnAnomalies: false, relearnAfter: null, window: null });
    expect(zscoreRuleFor(state.settings.detectors.zscore, 'temp')).toEqual({ k: 3, minSamples: 4, direction: 'below', clearAfter: 1, learnAnomalies: false, relearnAfter: null, window: null });
    expect(zscoreRuleFor(state.settings.detectors.zscore, 'pressure')).toEqual(defaults);
    // hum stdev = sqrt(250/9) ≈ 5.27: 53 is ≈ 1.5 stdev away, beyond k = 1 but within 3;
    // temp 30 is far above, but temp only watches below.
    const events = anomaliesOf(state, reading(10, { temp: 30, hum: 53 }));
    expect(events.map((e) => [e.field, e.status, e.explanation.kind === 'zscore' ? [e.explanation.k, e.explanation.direction] : null])).toEqual([
      ['hum', 'raised', [1, 'both']],
    ]);
    const low = anomaliesOf(state, reading(11, { temp: -10, hum: 45 }));
    expect(low.map((e) => [e.field, e.status, e.eventId])).toEqual([
      ['temp', 'raised', 'dev-1/zscore/temp/readings/0/11/raised'],
      ['hum', 'resolved', 'dev-1/zscore/hum/readings/0/10/resolved/readings/0/11'],
    ]);
  });
});

describe('applyItem: controls', () => {
  it('sets and removes own thresholds, which then judge readings', () => {
    const state = testDevice('dev-1', { zscore: silentZ, connection });
    const temp = rule({ low: null, high: 100 });
    expect(anomaliesOf(state, control(0, { type: 'thresholds', deviceId: 'dev-1', changes: [{ field: 'temp', rule: temp }], by: 'alice' }))).toEqual([]);
    expect(state.settings.detectors.threshold.own).toEqual({ temp });
    expect(state.counters.controlsApplied).toBe(1);
    expect(state.counters.readingsApplied).toBe(0);
    expect(state.ledger.applied).toEqual({ 'control:0': 0 });
    expect(state.connection.status).toBe('NEW');

    const events = anomaliesOf(state, reading(0, { temp: 101 }));
    expect(steps(events)).toEqual([['threshold', 'temp', 'raised', 101]]);
    expect(events[0]?.anomalyId).toBe('dev-1/threshold/temp/readings/0/0');
    expect(steps(anomaliesOf(state, reading(1, { temp: 100 })))).toEqual([['threshold', 'temp', 'resolved', 100]]);

    anomaliesOf(state, control(1, { type: 'thresholds', deviceId: 'dev-1', changes: [{ field: 'temp', rule: null }], by: 'alice' }));
    expect(state.settings.detectors.threshold.own).toEqual({});
    expect(anomaliesOf(state, reading(2, { temp: 500 }))).toEqual([]);
    expect(state.counters.controlsApplied).toBe(2);
  });

  it('applies several changes of one control in order', () => {
    const state = testDevice('dev-1', { zscore: silentZ, connection });
    const a = rule({ low: 0, high: 1 });
    const b = rule({ low: 0, high: 2 });
    const c = rule({ low: 5, high: null });
    anomaliesOf(state, control(0, { type: 'thresholds', deviceId: 'dev-1', changes: [{ field: 'x', rule: a }, { field: 'y', rule: c }, { field: 'x', rule: b }], by: 'ops' }));
    expect(state.settings.detectors.threshold.own).toEqual({ x: b, y: c });
  });

  it('skips a re-delivered control by its source offset', () => {
    const state = testDevice('dev-1', { zscore: silentZ, connection });
    const first = rule({ low: null, high: 100 });
    anomaliesOf(state, control(4, { type: 'thresholds', deviceId: 'dev-1', changes: [{ field: 'temp', rule: first }], by: 'alice' }));
    const before = structuredClone(state);
    const other = rule({ low: null, high: 5 });
    expect(anomaliesOf(state, control(4, { type: 'thresholds', deviceId: 'dev-1', changes: [{ field: 'temp', rule: other }], by: 'bob' }))).toEqual([]);
    expect(anomaliesOf(state, control(2, { type: 'model', deviceId: 'dev-1', field: 'temp', model: { n: 9, mean: 1, m2: 1 }, by: 'bob' }))).toEqual([]);
    expect(state).toEqual({ ...before, counters: { ...before.counters, duplicatesSkipped: 2 } });
    expect(state.settings.detectors.threshold.own.temp).toEqual(first);
    expect(state.counters.controlsApplied).toBe(1);
    // The same offset on the readings topic is another source.
    expect(anomaliesOf(state, reading(4, { temp: 1 }))).toEqual([]);
    expect(state.counters.readingsApplied).toBe(1);
  });

  it('replaces the z-score model, which judges the next reading at once', () => {
    const state = testDevice('dev-1', { zscore: defaults, connection });
    // n 100, m2 99: variance 1, stdev 1, bounds 50 ∓ 3.
    anomaliesOf(state, control(0, { type: 'model', deviceId: 'dev-1', field: 'temp', model: { n: 100, mean: 50, m2: 99 }, by: 'model-topic' }));
    expect(state.memories.zscore).toEqual({ temp: { model: { n: 100, mean: 50, m2: 99 }, goodStreak: 0, run: [] } });
    expect(state.counters.controlsApplied).toBe(1);
    const events = anomaliesOf(state, reading(0, { temp: 60 }, 5000));
    expect(events).toStrictEqual([
      {
        eventId: 'dev-1/zscore/temp/readings/0/0/raised',
        anomalyId: 'dev-1/zscore/temp/readings/0/0',
        status: 'raised',
        deviceId: 'dev-1',
        detector: 'zscore',
        field: 'temp',
        ts: 5000,
        value: 60,
        explanation: { kind: 'zscore', n: 100, mean: 50, stdev: 1, z: 10, k: 3, direction: 'both', lower: 47, upper: 53 },
        source: { topic: 'readings', partition: 0, offset: 0 },
      },
    ]);
    expect(state.memories.zscore.temp?.model).toEqual({ n: 100, mean: 50, m2: 99 });
    expect(anomaliesOf(state, reading(1, { temp: 53 }))).toHaveLength(1);
    expect(state.memories.zscore.temp?.model.n).toBe(101);
  });
});

describe('threshold layers', () => {
  it('lets own rules win over the defaults, field by field', () => {
    const fleetTemp = rule({ low: null, high: 100 });
    const fleetHum = rule({ low: 10, high: 90 });
    const ownTemp = rule({ low: null, high: 200 });
    const state = testDevice('dev-1', { zscore: silentZ, connection, thresholdDefaults: { temp: fleetTemp, hum: fleetHum } });
    expect(thresholdFor(state.settings.detectors.threshold, 'temp')).toEqual(fleetTemp);
    anomaliesOf(state, control(0, { type: 'thresholds', deviceId: 'dev-1', changes: [{ field: 'temp', rule: ownTemp }], by: 'alice' }));
    expect(thresholdFor(state.settings.detectors.threshold, 'temp')).toEqual(ownTemp);
    expect(thresholdFor(state.settings.detectors.threshold, 'hum')).toEqual(fleetHum);
    expect(thresholdFor(state.settings.detectors.threshold, 'mem')).toBeUndefined();

    // 150 is over the fleet's 100 but under the device's own 200; hum 95 is over the fleet's 90.
    expect(steps(anomaliesOf(state, reading(0, { temp: 150, hum: 95 })))).toEqual([['threshold', 'hum', 'raised', 95]]);
    expect(steps(anomaliesOf(state, reading(1, { temp: 201, hum: 50 })))).toEqual([
      ['threshold', 'temp', 'raised', 201],
      ['threshold', 'hum', 'resolved', 50],
    ]);
    // Removing the own rule brings the default back.
    anomaliesOf(state, control(1, { type: 'thresholds', deviceId: 'dev-1', changes: [{ field: 'temp', rule: null }], by: 'alice' }));
    expect(thresholdFor(state.settings.detectors.threshold, 'temp')).toEqual(fleetTemp);
    expect(steps(anomaliesOf(state, reading(2, { temp: 150, hum: 50 })))).toEqual([['threshold', 'temp', 'updated', 150]]);
    expect(steps(anomaliesOf(state, reading(3, { temp: 99, hum: 50 })))).toEqual([['threshold', 'temp', 'resolved', 99]]);
  });

  it('resolves an open anomaly of a detector that no longer judges the field, as released', () => {
    const state = warmedUp();
    expect(steps(anomaliesOf(state, reading(10, { temp: 30, hum: 45 })))).toEqual([['zscore', 'temp', 'raised', 30]]);
    anomaliesOf(state, control(0, { type: 'detectors', deviceId: 'dev-1', field: 'temp', detectors: ['flatline'], by: 'alice' }));
    const released = anomaliesOf(state, reading(11, { temp: 31, hum: 45 }));
    expect(steps(released)).toEqual([['zscore', 'temp', 'resolved', 31]]);
    expect(released[0]?.explanation).toMatchObject({ kind: 'zscore', z: null, reason: 'released' });
    expect(state.incidents).toEqual({});
    expect(state.memories.zscore.temp, 'its model of the field is forgotten').toBeUndefined();
  });

  it('judges a field with a threshold by the threshold alone', () => {
    const state = warmedUp();
    state.settings.detectors.threshold.own.temp = rule({ low: null, high: 25 });
    expect(steps(anomaliesOf(state, reading(10, { temp: 30, hum: 45 })))).toEqual([['threshold', 'temp', 'raised', 30]]);
  });

  it('runs both detectors on one field when z-score is asked for too, z-score first, with separate incidents', () => {
    const state = warmedUp();
    state.settings.detectors.threshold.own.temp = rule({ low: null, high: 25 });
    anomaliesOf(state, control(0, { type: 'detectors', deviceId: 'dev-1', field: 'temp', detectors: ['zscore'], by: 'alice' }));
    const events = anomaliesOf(state, reading(10, { temp: 30, hum: 45 }));
    expect(steps(events)).toEqual([
      ['zscore', 'temp', 'raised', 30],
      ['threshold', 'temp', 'raised', 30],
    ]);
    expect(Object.keys(state.incidents).sort()).toEqual(['threshold:temp', 'zscore:temp']);
    expect(state.counters.anomalyCount).toBe(2);
  });
});

describe('silence freezes the windows', () => {
  const atLeast3 = () => {
    const state = testDevice('dev-1', { zscore: silentZ, connection });
    state.settings.detectors.threshold.own.cpu = rule({ low: 0, high: 80, rule: 'at-least-N-in-window', n: 3, windowMs: 60_000 });
    expect(anomaliesOf(state, reading(0, { cpu: 95 }, 0))).toEqual([]);
    expect(anomaliesOf(state, reading(1, { cpu: 96 }, 1000))).toEqual([]);
    return state;
  };

  it('keeps the count across a disconnection: the third violation 10 minutes later raises', () => {
    const state = atLeast3();
    state.connection.status = 'DISCONNECTED';
    const events = anomaliesOf(state, reading(2, { cpu: 97 }, 601_000));
    expect(steps(events)).toEqual([['threshold', 'cpu', 'raised', 97]]);
    expect(events[0]?.explanation).toMatchObject({ violationsInWindow: 3 });
    expect(state.clock.pausedMs).toBe(600_000);
    expect(state.connection.status).toBe('CONNECTED');
    expect(state.memories.threshold.cpu?.violations).toEqual([0, 1000, 1000]);
    // Connected again, time runs from active time 1000: the violation at active 0 leaves the
    // window at active 60 000 (event time 660 000), and then fewer than 3 remain.
    expect(anomaliesOf(state, reading(3, { cpu: 50 }, 659_999))).toEqual([]);
    const resolved = anomaliesOf(state, reading(4, { cpu: 50 }, 660_000));
    expect(steps(resolved)).toEqual([['threshold', 'cpu', 'resolved', 50]]);
    expect(resolved[0]?.explanation).toMatchObject({ violationsInWindow: 2 });
  });

  it('without the disconnection the window empties over the same 10 minutes: not raised', () => {
    const state = atLeast3();
    expect(anomaliesOf(state, reading(2, { cpu: 97 }, 601_000))).toEqual([]);
    expect(state.clock.pausedMs).toBe(0);
    expect(state.memories.threshold.cpu?.violations).toEqual([601_000]);
  });

  it('does not pause for a reading older than the last one', () => {
    const state = atLeast3();
    state.connection.status = 'DISCONNECTED';
    anomaliesOf(state, reading(2, { cpu: 50 }, 500));
    expect(state.clock.pausedMs).toBe(0);
    expect(state.connection.status).toBe('CONNECTED');
  });

  it('does not pause before the first reading', () => {
    const state = testDevice('dev-1', { zscore: silentZ, connection });
    state.connection.status = 'DISCONNECTED';
    anomaliesOf(state, reading(0, { cpu: 50 }, 1_000_000));
    expect(state.clock.pausedMs).toBe(0);
  });

  it('adds up successive silences', () => {
    const state = atLeast3();
    state.connection.status = 'DISCONNECTED';
    anomaliesOf(state, reading(2, { cpu: 50 }, 101_000));
    anomaliesOf(state, reading(3, { cpu: 50 }, 102_000));
    state.connection.status = 'DISCONNECTED';
    anomaliesOf(state, reading(4, { cpu: 50 }, 302_000));
    expect(state.clock.pausedMs).toBe(300_000);
  });
});

describe('removing a threshold with an open anomaly', () => {
  it('resolves the anomaly on the next reading and forgets the window', () => {
    const state = testDevice('dev', { zscore: silentZ, connection });
    state.settings.detectors.threshold.own.t = rule({ low: null, high: 10, rule: 'at-least-N-in-window', n: 1 });
    const raised = anomaliesOf(state, reading(0, { t: 50 }));
    expect(steps(raised)).toEqual([['threshold', 't', 'raised', 50]]);
    anomaliesOf(state, control(1, { type: 'thresholds', deviceId: 'dev', changes: [{ field: 't', rule: null }], by: 'test' }));
    const after = anomaliesOf(state, reading(2, { t: 5 }));
    expect(steps(after)).toEqual([['threshold', 't', 'resolved', 5]]);
    expect(after[0]?.anomalyId).toBe(raised[0]?.anomalyId);
    expect(state.incidents).toEqual({});
    expect(state.memories.threshold.t).toBeUndefined();
  });
});

describe('the learn gate per model', () => {
  it('lets one field learn its anomalies while another gates them', () => {
    const state = warmedUp();
    state.settings.detectors.zscore.fields = { temp: { learnAnomalies: true } };
    const before = { temp: { ...model(state, 'temp') }, hum: { ...model(state, 'hum') } };
    const events = anomaliesOf(state, reading(10, { temp: 1000, hum: 1000 }));
    expect(events.map((e) => [e.field, e.status])).toEqual([['temp', 'raised'], ['hum', 'raised']]);
    expect(model(state, 'temp').n).toBe(before.temp.n + 1);
    expect(model(state, 'hum')).toEqual(before.hum);
  });
});
