import { applyItem, type ConnectionSettings, type DeviceState, initialDeviceState, type SourcedItem } from '../../src/device-state';
import type { ZScoreRule } from '../../src/detectors/zscore';
import type { AnomalyEvent } from '../../src/events';

export const defaultRule: ZScoreRule = { k: 4, minSamples: 30, direction: 'above', clearAfter: 1, learnAnomalies: false };
export const defaultConnection: ConnectionSettings = { disconnectAfterMs: 60_000, retireAfterMs: 24 * 3600_000 };

/** An uninterrupted, in-memory run of the same detector code: what the pipeline must match. */
export function referenceRun(deviceId: string, items: SourcedItem[], rule = defaultRule, state: DeviceState = initialDeviceState(deviceId, rule, defaultConnection)) {
  const anomalies: AnomalyEvent[] = items.flatMap((item) => applyItem(state, item));
  return { state, anomalies };
}
