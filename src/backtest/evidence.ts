import type { DetectorName } from '../detectors/registry';
import { htmModelParams } from '../detectors/htm';
import type { DeviceSettings } from '../device/settings';
import { HtmModel } from '../htm';

/** Computes a deferred detector's evidence for each reading of one field, in order. */
export type EvidenceSource = (ts: number, value: number) => unknown;

/**
 * Where the backtest gets a deferred detector's evidence: the same model the live path's scorer
 * runs, in this process. HTM: `HtmModel` with the device's parameters for the field, fed each
 * reading's own epoch ms, as the worker's HTM activity feeds it.
 */
export const evidenceSources: Partial<Record<DetectorName, (device: DeviceSettings, field: string) => EvidenceSource>> = {
  htm: (device, field) => {
    const model = HtmModel.create(htmModelParams(device.detectors.htm, field));
    return (ts, value) => model.compute(ts, value);
  },
};
