import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { changeAuthorSchema, thresholdChangeSchema } from '../control';
import { type ThresholdRule } from '../detectors/threshold';
import { m2Schema } from '../detectors/welford';
import { zscoreRuleOverrideSchema, zscoreRuleSchema } from '../detectors/zscore';
import {
  connectionSettingsSchema,
  type DeviceState,
  deviceStateSchema,
  eventTimeSettingsSchema,
  htmSettingsSchema,
  seasonalSettingsSchema,
  sourcedItemSchema,
  type ThresholdLayers,
  type ZScoreConfig,
} from '../device-state';
import { fieldNameSchema } from '../reading';

export const deliveryBatchSchema = z.object({ items: z.array(sourcedItemSchema) });
export type DeliveryBatch = z.infer<typeof deliveryBatchSchema>;

export const zscoreChangeSchema = z
  .object({
    /** The field whose rule changes; without it, the device's defaults change. */
    field: fieldNameSchema.optional(),
    rule: zscoreRuleOverrideSchema,
  })
  .extend(changeAuthorSchema.shape)
  .strict();
export type ZScoreChange = z.input<typeof zscoreChangeSchema>;

export const thresholdsUpdateSchema = z
  .object({
    /** `own`: this device's rows; `defaults`: the `*` rows as this device sees them. */
    layer: z.enum(['own', 'defaults']),
    changes: z.array(thresholdChangeSchema).min(1),
  })
  .extend(changeAuthorSchema.shape)
  .strict();
export type ThresholdsUpdate = z.input<typeof thresholdsUpdateSchema>;

export const modelResetSchema = z.object({ field: fieldNameSchema.optional() }).extend(changeAuthorSchema.shape).strict();
export type ModelReset = z.input<typeof modelResetSchema>;

export const modelPushSchema = z.object({ field: fieldNameSchema, model: m2Schema }).extend(changeAuthorSchema.shape).strict();
export type ModelPush = z.input<typeof modelPushSchema>;

export const defaultThresholdsUpdateSchema = z
  .object({ changes: z.array(thresholdChangeSchema).min(1) })
  .extend(changeAuthorSchema.shape)
  .strict();
export type DefaultThresholdsUpdate = z.input<typeof defaultThresholdsUpdateSchema>;

export const deviceWorkflowInputSchema = z.object({
  deviceId: z.string(),
  /** Rule for a device that starts fresh; ignored when `state` is carried over. */
  zscore: zscoreRuleSchema,
  connection: connectionSettingsSchema,
  /** Optional only for runs started before event-time windows; absent means the 1 h default. */
  eventTime: eventTimeSettingsSchema.optional(),
  seasonal: seasonalSettingsSchema.optional(),
  htm: htmSettingsSchema.optional(),
  state: deviceStateSchema.optional(),
  /** Items received but not yet applied when the previous run continued as new. */
  pending: z.array(sourcedItemSchema).optional(),
  /** Test hook: continue as new once the history has this many events. */
  continueAsNewAfterEvents: z.number().int().positive().optional(),
});
export type DeviceWorkflowInput = z.input<typeof deviceWorkflowInputSchema>;

/** Readings and control messages, in the order the ingest received them. */
export const deliverSignal = defineSignal<[DeliveryBatch]>('deliver');
export const stateQuery = defineQuery<DeviceState>('state');
export const configureZScoreUpdate = defineUpdate<ZScoreConfig, [ZScoreChange]>('configureZScore');
export const setThresholdsUpdate = defineUpdate<ThresholdLayers, [ThresholdsUpdate]>('setThresholds');
export const resetModelUpdate = defineUpdate<string[], [ModelReset]>('resetModel');
export const pushModelUpdate = defineUpdate<void, [ModelPush]>('pushModel');

/** One fleet per deployment: devices on a task queue share its `*` defaults. */
export const fleetWorkflowId = (taskQueue: string) => `vigil-fleet:${taskQueue}`;
export const fleetDefaultsQuery = defineQuery<Record<string, ThresholdRule>>('defaults');
export const setDefaultThresholdsUpdate = defineUpdate<Record<string, ThresholdRule>, [DefaultThresholdsUpdate]>('setDefaultThresholds');

export const deviceIdAttribute = defineSearchAttributeKey('DeviceId', SearchAttributeType.KEYWORD);
export const anomalyCountAttribute = defineSearchAttributeKey('AnomalyCount', SearchAttributeType.INT);
export const lastReadingAtAttribute = defineSearchAttributeKey('LastReadingAt', SearchAttributeType.DATETIME);
export const connectionStatusAttribute = defineSearchAttributeKey('ConnectionStatus', SearchAttributeType.KEYWORD);
/** Registered on the server at start (`services up`) and by the test environments. */
export const searchAttributeKeys = [deviceIdAttribute, anomalyCountAttribute, lastReadingAtAttribute, connectionStatusAttribute];

/** Parses a handler's argument; the thrown message is what a rejected Update tells its caller. */
export function parseOrReject<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`).join('; ');
    throw new Error(`invalid ${what}: ${issues}`);
  }
  return parsed.data;
}
