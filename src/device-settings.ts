import type { Config } from './config';
import type { DeviceWorkflowInput } from './workflows/definitions';

/** What a device workflow starts with, from the configuration: one place for every starter. */
export function deviceStartInput(config: Config, deviceId: string): DeviceWorkflowInput {
  return {
    deviceId,
    zscore: config.zscore,
    connection: config.connection,
    eventTime: { allowedLatenessMs: config.allowedLatenessMs, updateEveryMs: config.windowUpdateEveryMs },
    seasonal: config.seasonal,
    htm: config.htm,
  };
}
