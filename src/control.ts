import { z } from 'zod';
import { thresholdRuleSchema } from './detectors/threshold';
import { m2Schema } from './detectors/welford';
import { deviceIdSchema, fieldNameSchema } from './reading';

/** Sets (or, with `rule: null`, removes) the threshold of one field. */
export const thresholdChangeSchema = z.object({ field: fieldNameSchema, rule: thresholdRuleSchema.nullable() }).strict();
export type ThresholdChange = z.infer<typeof thresholdChangeSchema>;
export type ThresholdChangeInput = z.input<typeof thresholdChangeSchema>;

/** Who made a change, and why: kept in the workflow history, which is the audit trail. */
export const changeAuthorSchema = z.object({ by: z.string().min(1).max(200), reason: z.string().max(500).optional() });

/** Control messages: applied to a device in order with its readings. */
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
      type: z.literal('model'),
      deviceId: deviceIdSchema,
      field: fieldNameSchema,
      model: m2Schema,
    })
    .extend(changeAuthorSchema.shape),
]);
export type Control = z.infer<typeof controlSchema>;
