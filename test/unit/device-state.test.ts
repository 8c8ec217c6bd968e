import { describe, expect, it } from 'vitest';
import { addValue, stdev } from '../../src/detectors/welford';
import type { ZScoreRule } from '../../src/detectors/zscore';
import { applyReading, type DeviceState, initialDeviceState, isApplied, zscoreRuleFor } from '../../src/device-state';
import type { SourcedReading } from '../../src/reading';

const defaults: ZScoreRule = { k: 3, minSamples: 4, direction: 'both' };

function sourced(offset: number, values: Record<string, number>, ts = 1000 + offset, topic = 'readings', partition = 0): SourcedReading {
  return { source: { topic, partition, offset }, reading: { deviceId: 'dev-1', ts, values } };
}

/** A device that has learnt temp 9/11 (mean 10) and hum 40/50 (mean 45) from offsets 0..9. */
function warmedUp(learnAnomalies = false): DeviceState {
  const state = initialDeviceState('dev-1', defaults);
  state.zscore.learnAnomalies = learnAnomalies;
  for (let i = 0; i < 10; i += 1) {
    const events = applyReading(state, sourced(i, { temp: i % 2 === 0 ? 9 : 11, hum: i % 2 === 0 ? 40 : 50 }));
    expect(events).toEqual([]);
  }
  return state;
}

describe('initialDeviceState', () => {
  it('starts empty with the learn gate closed', () => {
    expect(initialDeviceState('d', defaults)).toEqual({
      deviceId: 'd',
      zscore: { defaults, fields: {}, learnAnomalies: false },
      models: {},
      applied: {},
      readingsApplied: 0,
      duplicatesSkipped: 0,
      anomalyCount: 0,
      lastReadingTs: null,
      lastValues: {},
    });
  });
});

describe('applyReading', () => {
  it('updates counters, models, last values and offsets', () => {
    const state = warmedUp();
    expect(state.readingsApplied).toBe(10);
    expect(state.applied).toEqual({ 'readings:0': 9 });
    expect(state.lastReadingTs).toBe(1009);
    expect(state.lastValues).toEqual({ temp: 11, hum: 50 });
    expect(state.models.temp?.n).toBe(10);
    expect(state.models.temp?.mean).toBeCloseTo(10, 12);
    expect(state.models.hum?.mean).toBeCloseTo(45, 12);
  });

  it('skips a reading whose offset was already applied, changing only duplicatesSkipped', () => {
    const state = warmedUp();
    const before = structuredClone(state);
    // Re-delivery of the last offset and of an earlier one, even with different content.
    expect(applyReading(state, sourced(9, { temp: 1000 }))).toEqual([]);
    expect(applyReading(state, sourced(3, { temp: 1000, hum: 1000 }))).toEqual([]);
    expect(state).toEqual({ ...before, duplicatesSkipped: 2 });
    expect(isApplied(state, { topic: 'readings', partition: 0, offset: 9 })).toBe(true);
    expect(isApplied(state, { topic: 'readings', partition: 0, offset: 0 })).toBe(true);
    expect(isApplied(state, { topic: 'readings', partition: 0, offset: 10 })).toBe(false);
  });

  it('tracks offsets per topic:partition independently', () => {
    const state = initialDeviceState('dev-1', defaults);
    applyReading(state, sourced(100, { temp: 1 }, 1, 'readings', 0));
    expect(isApplied(state, { topic: 'readings', partition: 1, offset: 0 })).toBe(false);
    expect(isApplied(state, { topic: 'other', partition: 0, offset: 0 })).toBe(false);
    applyReading(state, sourced(0, { temp: 2 }, 2, 'readings', 1));
    applyReading(state, sourced(5, { temp: 3 }, 3, 'other', 0));
    expect(state.applied).toEqual({ 'readings:0': 100, 'readings:1': 0, 'other:0': 5 });
    expect(state.readingsApplied).toBe(3);
    expect(state.duplicatesSkipped).toBe(0);
    expect(state.models.temp?.n).toBe(3);
    // A gap within a partition is fine; going back is a duplicate.
    applyReading(state, sourced(50, { temp: 4 }, 4, 'readings', 1));
    applyReading(state, sourced(49, { temp: 5 }, 5, 'readings', 1));
    expect(state.applied['readings:1']).toBe(50);
    expect(state.readingsApplied).toBe(4);
    expect(state.duplicatesSkipped).toBe(1);
  });

  it('keeps lastReadingTs at the maximum event time seen', () => {
    const state = initialDeviceState('dev-1', defaults);
    applyReading(state, sourced(0, { temp: 1 }, 5000));
    applyReading(state, sourced(1, { temp: 1 }, 3000));
    expect(state.lastReadingTs).toBe(5000);
    expect(state.lastValues.temp).toBe(1);
  });

  it('raises an anomaly with a deterministic id and the baseline before the reading', () => {
    const state = warmedUp();
    const tempBefore = structuredClone(state.models.temp);
    if (!tempBefore) throw new Error('no temp model');
    const sd = stdev(tempBefore) as number;
    const events = applyReading(state, sourced(10, { temp: 30, hum: 45 }, 777, 'readings', 0));
    expect(events).toEqual([
      {
        eventId: 'dev-1/zscore/temp/readings/0/10',
        deviceId: 'dev-1',
        detector: 'zscore',
        field: 'temp',
        ts: 777,
        value: 30,
        baseline: { n: 10, mean: tempBefore.mean, stdev: sd, z: (30 - tempBefore.mean) / sd },
        rule: { k: 3, direction: 'both', lower: tempBefore.mean - 3 * sd, upper: tempBefore.mean + 3 * sd },
        source: { topic: 'readings', partition: 0, offset: 10 },
      },
    ]);
    expect(state.anomalyCount).toBe(1);
    expect(state.readingsApplied).toBe(11);
    expect(state.lastValues).toEqual({ temp: 30, hum: 45 });
  });

  it('does not learn an anomalous value with the learn gate closed, but learns the normal fields', () => {
    const state = warmedUp(false);
    const temp = structuredClone(state.models.temp);
    const hum = structuredClone(state.models.hum);
    if (!temp || !hum) throw new Error('no models');
    const events = applyReading(state, sourced(10, { temp: 30, hum: 46 }));
    expect(events.map((e) => e.field)).toEqual(['temp']);
    expect(state.models.temp).toEqual(temp);
    expect(state.models.hum).toEqual(addValue(hum, 46));
    expect(state.models.hum?.n).toBe(11);
    expect(state.lastValues).toEqual({ temp: 30, hum: 46 });
    // The unlearnt spike does not widen the baseline, so a second one is flagged the same way.
    const again = applyReading(state, sourced(11, { temp: 30, hum: 45 }));
    expect(again.map((e) => e.baseline)).toEqual(events.map((e) => e.baseline));
    expect(state.anomalyCount).toBe(2);
  });

  it('learns an anomalous value with learnAnomalies: true', () => {
    const state = warmedUp(true);
    const temp = structuredClone(state.models.temp);
    if (!temp) throw new Error('no temp model');
    const events = applyReading(state, sourced(10, { temp: 30, hum: 45 }));
    expect(events.map((e) => e.field)).toEqual(['temp']);
    expect(state.models.temp).toEqual(addValue(temp, 30));
    expect(state.models.temp?.n).toBe(11);
    expect(state.models.temp?.mean).toBeCloseTo(10 + 20 / 11, 12);
  });

  it('gives per-field overrides precedence over the defaults', () => {
    const state = warmedUp();
    state.zscore.fields = { hum: { k: 1 }, temp: { direction: 'below' } };
    expect(zscoreRuleFor(state.zscore, 'hum')).toEqual({ k: 1, minSamples: 4, direction: 'both' });
    expect(zscoreRuleFor(state.zscore, 'temp')).toEqual({ k: 3, minSamples: 4, direction: 'below' });
    expect(zscoreRuleFor(state.zscore, 'pressure')).toEqual(defaults);
    // hum stdev = sqrt(250/9) ≈ 5.27: 53 is ≈ 1.5 stdev away, beyond k = 1 but within the default 3;
    // temp 30 is far above, but temp only watches below.
    const events = applyReading(state, sourced(10, { temp: 30, hum: 53 }));
    expect(events.map((e) => [e.field, e.rule.k, e.rule.direction])).toEqual([['hum', 1, 'both']]);
    const low = applyReading(state, sourced(11, { temp: -10, hum: 45 }));
    expect(low.map((e) => [e.field, e.eventId])).toEqual([['temp', 'dev-1/zscore/temp/readings/0/11']]);
  });

  it('does not judge while a field is warming up', () => {
    const state = initialDeviceState('dev-1', { k: 3, minSamples: 4, direction: 'both' });
    applyReading(state, sourced(0, { temp: 9 }));
    applyReading(state, sourced(1, { temp: 11 }));
    applyReading(state, sourced(2, { temp: 9 }));
    // n = 3 < minSamples: a huge value is learnt, not flagged.
    expect(applyReading(state, sourced(3, { temp: 1e6 }))).toEqual([]);
    expect(state.models.temp?.n).toBe(4);
    expect(state.anomalyCount).toBe(0);
  });
});
