import { z } from 'zod';
import { suppressionSchema } from './anomalies';
import { jsonContract } from './contract';

/** `device-events`: a change of a device's connection, keyed by device id. */
export const deviceEventSchema = z.object({
  eventId: z.string(),
  deviceId: z.string(),
  type: z.enum(['CONNECTED', 'DISCONNECTED', 'RETIRED']),
  /** Workflow time of the change, epoch ms. */
  at: z.number(),
  /** When the device's last batch of readings was received, epoch ms. */
  lastSeenAt: z.number().nullable(),
  lastReadingTs: z.number().nullable(),
  /** A DISCONNECTED while the device was snoozed or in maintenance: recorded, not routed to people. */
  suppressed: suppressionSchema.optional(),
});
export type DeviceEvent = z.infer<typeof deviceEventSchema>;
export type DeviceEventType = DeviceEvent['type'];

/** The event of a change at workflow time `at`: a device changes at most once per instant. */
export function deviceEvent(deviceId: string, type: DeviceEventType, at: number, lastSeenAt: number | null, lastReadingTs: number | null): DeviceEvent {
  return { eventId: `${deviceId}/${type}/${at}`, deviceId, type, at, lastSeenAt, lastReadingTs };
}

export const deviceEventsContract = jsonContract('device-events', deviceEventSchema, (event) => event.deviceId, (event) => event.eventId);
