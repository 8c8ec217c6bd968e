import { applyReading, type DeviceState, initialDeviceState } from '../../src/device-state';
import type { ZScoreRule } from '../../src/detectors/zscore';
import type { AnomalyEvent } from '../../src/events';
import type { SourcedReading } from '../../src/reading';

export const defaultRule: ZScoreRule = { k: 4, minSamples: 30, direction: 'above' };

/** An uninterrupted, in-memory run of the same detector code: what the pipeline must match. */
export function referenceRun(deviceId: string, readings: SourcedReading[], rule = defaultRule) {
  const state: DeviceState = initialDeviceState(deviceId, rule);
  const anomalies: AnomalyEvent[] = readings.flatMap((reading) => applyReading(state, reading));
  return { state, anomalies };
}
