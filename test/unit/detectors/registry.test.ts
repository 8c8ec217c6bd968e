import { describe, expect, it } from 'vitest';
import { anomalyEventSchema } from '../../../src/contracts/anomalies';
import { detectorNames, detectors, detectorSettingsSchema, emptyMemories } from '../../../src/detectors/registry';
import { loadConfig } from '../../../src/config';
import { defaultDeviceSettings } from '../../../src/device/settings';

describe('the detector registry', () => {
  it('lists each detector once, in the order they judge a field', () => {
    expect(detectorNames).toEqual(['zscore', 'threshold', 'seasonal-iforest', 'flatline', 'htm', 'artime']);
  });

  it('gives every detector working defaults, and composes them into a device’s settings', () => {
    const settings = detectorSettingsSchema.parse({});
    expect(Object.keys(settings)).toEqual(detectorNames);
    for (const detector of detectors) expect(detector.settingsSchema.parse({}), detector.name).toEqual(settings[detector.name]);
    expect(settings.zscore.defaults).toEqual({ k: 4, minSamples: 30, direction: 'both', clearAfter: 1, learnAnomalies: true, relearnAfter: 10, window: 200 });
    expect(emptyMemories()).toEqual({ zscore: {}, threshold: {}, 'seasonal-iforest': {}, flatline: {}, htm: {}, artime: {} });
  });

  it('tells explanations apart by the detector’s name, so the anomalies contract knows every kind', () => {
    const base = { eventId: 'e', anomalyId: 'a', status: 'raised', deviceId: 'd', field: 'f', ts: 1, value: 2, source: { topic: 't', partition: 0, offset: 0 } };
    const threshold = { kind: 'threshold', low: null, high: 100, rule: 'each', n: 3, windowMs: 60_000, violationsInWindow: 1, consecutive: 1 };
    expect(anomalyEventSchema.safeParse({ ...base, detector: 'threshold', explanation: threshold }).success).toBe(true);
    expect(anomalyEventSchema.safeParse({ ...base, detector: 'threshold', explanation: { ...threshold, kind: 'made-up' } }).success).toBe(false);
  });

  it('gives every detector backtest columns that end with the step and the skip reason the backtest fills in', () => {
    for (const detector of detectors) expect(detector.backtest.columns.at(-1), detector.name).toBe('skipped');
  });
});

describe('the configuration of a new device', () => {
  it('maps the environment onto the detectors’ settings, leaving the rest at their defaults', () => {
    const config = loadConfig({
      VIGIL_ZSCORE_K: '3', VIGIL_ZSCORE_DIRECTION: 'both', VIGIL_ZSCORE_WINDOW: 'off', VIGIL_DETECTORS: '*=zscore,flatline; load=seasonal-iforest',
      VIGIL_USAGE_TIME_ZONE: 'Europe/Berlin', VIGIL_HTM_RANGES: 'pm25:0:60', VIGIL_HTM_TEMPORAL_MEMORY: 'plain', VIGIL_DISCONNECT_AFTER_MS: '5000',
    });
    const { detectors: settings, connection, eventTime, judging } = config.device;
    expect(settings.zscore.defaults).toEqual({ ...defaultDeviceSettings().detectors.zscore.defaults, k: 3, direction: 'both', window: null });
    expect(judging).toEqual({ defaults: { '*': ['zscore', 'flatline'], load: ['seasonal-iforest'] }, fields: {} });
    expect(settings['seasonal-iforest'].config.timeZone, 'the usage format’s zone by default').toBe('Europe/Berlin');
    expect(settings.htm).toEqual({ threshold: 0.5, checkpointEvery: 1000, temporalMemory: 'plain', ranges: { pm25: { min: 0, max: 60 } } });
    expect(settings.threshold).toEqual({ format: {}, defaults: {}, own: {} });
    expect(connection).toEqual({ disconnectAfterMs: 5000, retireAfterMs: 86_400_000 });
    expect(eventTime).toEqual({ allowedLatenessMs: 3_600_000, updateEveryMs: 60_000, reorderWaitMs: 3000 });
  });

  it('stops at a bad value with a message that names it', () => {
    expect(() => loadConfig({ VIGIL_ZSCORE_K: 'four' })).toThrow(/device\.detectors\.zscore\.defaults\.k/);
    expect(() => loadConfig({ VIGIL_ZSCORE_DIRECTION: 'sideways' })).toThrow(/direction/);
    expect(() => loadConfig({ VIGIL_SEASONAL_TIME_ZONE: 'Mars/Olympus' })).toThrow(/timeZone/);
    expect(() => loadConfig({ VIGIL_DETECTORS: '*=zscore,astrology' })).toThrow(/judging/);
    expect(() => loadConfig({ VIGIL_HTM_TEMPORAL_MEMORY: 'quantum' })).toThrow(/htm\.temporalMemory/);
  });
});
