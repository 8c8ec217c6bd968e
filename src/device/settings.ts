import { z } from 'zod';
import { type DetectorSettings, detectorSettingsSchema } from '../detectors/registry';

/** Silence: DISCONNECTED after `disconnectAfterMs` without data, retired after `retireAfterMs`. */
export const connectionSettingsSchema = z.object({
  disconnectAfterMs: z.number().int().positive().default(60_000),
  retireAfterMs: z.number().int().positive().default(24 * 3600_000),
});
export type ConnectionSettings = z.infer<typeof connectionSettingsSchema>;

export const eventTimeSettingsSchema = z.object({
  /** How far behind the device's newest reading a reading may be and still count; hours stay open this long. */
  allowedLatenessMs: z.number().int().positive().default(3600_000),
  /**
   * Open windows (and the search attributes' progress) are re-published at most this often, in
   * workflow time, unless something is published anyway: one Kafka publication per device every
   * few seconds instead of one per batch.
   */
  updateEveryMs: z.number().int().positive().default(5_000),
});
export type EventTimeSettings = z.infer<typeof eventTimeSettingsSchema>;

/** Everything a device is configured with: a new device gets the configuration's (`config.device`). */
export const deviceSettingsSchema = z.object({
  connection: connectionSettingsSchema.prefault({}),
  eventTime: eventTimeSettingsSchema.prefault({}),
  detectors: detectorSettingsSchema.prefault({}),
});
export type DeviceSettings = { connection: ConnectionSettings; eventTime: EventTimeSettings; detectors: DetectorSettings };
export type DeviceSettingsInput = z.input<typeof deviceSettingsSchema>;

export const defaultDeviceSettings = (): DeviceSettings => deviceSettingsSchema.parse({});
