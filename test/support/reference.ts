import type { AnomalyEvent } from '../../src/contracts/anomalies';
import type { ThresholdLayer } from '../../src/detectors/threshold';
import type { HtmSettings } from '../../src/detectors/htm';
import type { SeasonalSettings } from '../../src/detectors/seasonal-iforest';
import type { DetectorName } from '../../src/detectors/registry';
import { type ZScoreRule, zscoreRuleSchema } from '../../src/detectors/zscore';
import { applyItem } from '../../src/device/apply';
import type { SourcedItem } from '../../src/device/item';
import { type ConnectionSettings, type DeviceSettings, defaultDeviceSettings, type EventTimeSettings } from '../../src/device/settings';
import { type DeviceState, initialDeviceState } from '../../src/device/state';

/** The z-score rule a device gets by default: what the worker runs, so reference runs match the pipeline. */
export const defaultRule: ZScoreRule = zscoreRuleSchema.parse({});
export const defaultConnection: ConnectionSettings = { disconnectAfterMs: 60_000, retireAfterMs: 24 * 3600_000 };

export interface TestDeviceOptions {
  zscore?: ZScoreRule;
  connection?: ConnectionSettings;
  /** The fleet's `*` thresholds the device starts with. */
  thresholdDefaults?: ThresholdLayer;
  eventTime?: Partial<EventTimeSettings>;
  seasonal?: SeasonalSettings;
  htm?: Partial<HtmSettings>;
  /** Detectors by field over the defaults (z-score on every field): `{usage: ['seasonal-iforest']}`. */
  judging?: Record<string, DetectorName[]>;
}

/** A device's settings as the tests configure one: the defaults (z-score on every field), and what is given. */
export function testSettings(options: TestDeviceOptions = {}): DeviceSettings {
  const settings = defaultDeviceSettings();
  settings.detectors.zscore = { defaults: { ...(options.zscore ?? defaultRule) }, fields: {} };
  settings.detectors.threshold = { format: {}, defaults: { ...options.thresholdDefaults }, own: {} };
  if (options.seasonal) settings.detectors['seasonal-iforest'] = options.seasonal;
  settings.detectors.htm = { ...settings.detectors.htm, ...options.htm };
  settings.judging.defaults = { ...settings.judging.defaults, ...options.judging };
  settings.connection = options.connection ?? defaultConnection;
  settings.eventTime = { ...settings.eventTime, ...options.eventTime };
  return settings;
}

export function testDevice(deviceId: string, options: TestDeviceOptions = {}): DeviceState {
  return initialDeviceState(deviceId, testSettings(options));
}

/** Applies one item and returns the anomaly steps it caused. */
export function anomaliesOf(state: DeviceState, item: SourcedItem): AnomalyEvent[] {
  return applyItem(state, item).anomalies;
}

/** An uninterrupted, in-memory run of the same detector code: what the pipeline must match. */
export function referenceRun(deviceId: string, items: SourcedItem[], state: DeviceState = testDevice(deviceId)) {
  const anomalies: AnomalyEvent[] = items.flatMap((item) => anomaliesOf(state, item));
  return { state, anomalies };
}
