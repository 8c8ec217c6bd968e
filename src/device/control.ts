import { z } from 'zod';
import { detectorNameSchema } from '../detectors/registry';
import { thresholdChangeSchema } from '../detectors/threshold';
import { m2Schema } from '../detectors/welford';
import { deviceIdSchema, fieldNameSchema } from '../reading';

/** Who made a change, and why: kept in the workflow history, which is the audit trail. */
export const changeAuthorSchema = z.object({ by: z.string().min(1).max(200), reason: z.string().max(500).optional() });

/** Which detectors judge one field of a device; null goes back to the defaults. */
export const judgingChangeSchema = z.object({ field: fieldNameSchema, detectors: z.array(detectorNameSchema).nullable() }).strict();
export type JudgingChange = z.infer<typeof judgingChangeSchema>;

/**
 * Control messages: changes applied to a device in order with its readings (from the control
 * topic, decoded by `formats/control.ts`).
 */
export const controlSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('thresholds'),
      deviceId: deviceIdSchema,
      changes: z.array(thresholdChangeSchema).min(1),
    })
    .extend(changeAuthorSchema.shape),
  z
    .object({
      /** The detectors of one field, or (`detectors: null`) the defaults again. */
      type: z.literal('detectors'),
      deviceId: deviceIdSchema,
    })
    .extend(judgingChangeSchema.shape)
    .extend(changeAuthorSchema.shape),
  z
    .object({
      /** A z-score model `{n, mean, m2}` for one field, replacing the one the device has. */
      type: z.literal('model'),
      deviceId: deviceIdSchema,
      field: fieldNameSchema,
      model: m2Schema,
      /**
       * From the model topic: the field is judged by this model as it is, as the notebook that
       * pushes them judges (above only, learning nothing), until configured otherwise.
       */
      fixed: z.literal(true).optional(),
    })
    .extend(changeAuthorSchema.shape),
]);
export type Control = z.infer<typeof controlSchema>;
