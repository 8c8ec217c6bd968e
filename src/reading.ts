import { z } from 'zod';

/** Device ids become workflow ids and Kafka keys: printable, bounded. */
export const deviceIdSchema = z
  .string()
  .min(1, 'device id is empty')
  .max(200, 'device id is longer than 200 characters')
  .refine((id) => !/[\u0000-\u001f\u007f]/.test(id), 'device id contains control characters');

export const fieldNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'field names are 1-64 of [A-Za-z0-9_.:-]')
  // Models are plain objects keyed by field: a name like `constructor` would find Object's own.
  .refine((name) => !(name in Object.prototype), 'field name is reserved');

const finiteNumber = z.number().refine(Number.isFinite, 'not a finite number');

/** The canonical reading every input format maps to. */
export const readingSchema = z.object({
  deviceId: deviceIdSchema,
  /** Event time, epoch milliseconds. */
  ts: z.number().int().nonnegative(),
  values: z
    .record(fieldNameSchema, finiteNumber)
    .refine((values) => Object.keys(values).length > 0, 'a reading needs at least one value'),
  attrs: z.record(z.string(), z.string()).optional(),
  /**
   * Whose clock `ts` is: the device's (the default), or the broker's for formats whose records
   * carry no time (csv3). Only a device's own timestamps identify a reading, so only
   * they are used to recognise one sent twice.
   */
  clock: z.enum(['device', 'broker']).optional(),
  /**
   * A wall time in the hour that autumn's clocks go through twice names two instants: `ts` is
   * the first, this the second. The device takes the second when it already has a reading at
   * the first (the meter's log has both passes), rather than drop it as sent twice.
   */
  repeatedAs: z.number().int().nonnegative().optional(),
});
export type Reading = z.infer<typeof readingSchema>;

/** Where a reading came from: the key of effectively-once application in the workflow. */
export const sourceSchema = z.object({
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
});
export type Source = z.infer<typeof sourceSchema>;

export const sourcedReadingSchema = z.object({ source: sourceSchema, reading: readingSchema });
export type SourcedReading = z.infer<typeof sourcedReadingSchema>;
