/**
 * The device and fleet workflows as their callers see them: ids, input, signals, queries,
 * Updates and search attributes. Imported by the workflows and by every starter and operator
 * (ingest, CLI, board), so it holds definitions only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { type ThresholdLayer, thresholdChangeSchema } from '../detectors/threshold';
import { m2Schema } from '../detectors/welford';
import { zscoreRuleOverrideSchema, type ZScoreSettings } from '../detectors/zscore';
import { type anomalyFeedbackSchema, type FalseAlarm, type MaintenanceWindow, type maintenanceChangeSchema, type Snooze, type snoozeChangeSchema, type unsnoozeSchema } from '../device/attention';
import { changeAuthorSchema, judgingChangeSchema } from '../device/control';
import type { Judging } from '../device/judging';
import { type SourcedItem, sourcedItemSchema } from '../device/item';
import { packedItemsSchema, packItems } from '../device/packed-items';
import { type DeviceSettings, deviceSettingsSchema, formatDefaultsSchema } from '../device/settings';
import { type DeviceState, deviceStateSchema } from '../device/state';
import { fieldNameSchema } from '../reading';

/** One workflow per device, named after it. */
export function workflowIdFor(deviceId: string): string {
  return `device:${deviceId}`;
}

/** Readings (and control items) for a device, packed, with the defaults of their input format when it has any. */
export const deliveryBatchSchema = z.object({ packed: packedItemsSchema, format: formatDefaultsSchema.optional() });
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
    /** The changes are the whole layer: rules they do not name are removed. */
    replace: z.boolean().optional(),
  })
  .extend(changeAuthorSchema.shape)
  .strict();
export type ThresholdsUpdate = z.input<typeof thresholdsUpdateSchema>;

export const judgingUpdateSchema = judgingChangeSchema.extend(changeAuthorSchema.shape).strict();
export type JudgingUpdate = z.input<typeof judgingUpdateSchema>;

export const modelResetSchema = z.object({ field: fieldNameSchema.optional() }).extend(changeAuthorSchema.shape).strict();
export type ModelReset = z.input<typeof modelResetSchema>;

export const modelPushSchema = z.object({ field: fieldNameSchema, model: m2Schema }).extend(changeAuthorSchema.shape).strict();
export type ModelPush = z.input<typeof modelPushSchema>;

export const defaultThresholdsUpdateSchema = z
  .object({ changes: z.array(thresholdChangeSchema).min(1), /** The changes are all the defaults. */ replace: z.boolean().optional() })
  .extend(changeAuthorSchema.shape)
  .strict();
export type DefaultThresholdsUpdate = z.input<typeof defaultThresholdsUpdateSchema>;

export const deviceWorkflowInputSchema = z.object({
  deviceId: z.string(),
  /** How a device that starts fresh is configured; ignored when `state` is carried over. */
  settings: deviceSettingsSchema,
  state: deviceStateSchema.optional(),
  /** Items received but not yet applied when the previous run continued as new (one slice at most). */
  pending: z.array(sourcedItemSchema).optional(),
  /** The task queue of the worker that holds the device's live HTM models (workflows/scoring-route.ts). */
  scoringQueue: z.string().optional(),
  /** Test hook: continue as new once the history has this many events. */
  continueAsNewAfterEvents: z.number().int().positive().optional(),
});
export type DeviceWorkflowInput = z.input<typeof deviceWorkflowInputSchema>;

/** Readings and control messages, in the order the ingest received them. */
export const deliverSignal = defineSignal<[DeliveryBatch]>('deliver');

/** The signal's argument for a device's items (and the defaults of their format). */
export function deliveryOf(items: readonly SourcedItem[], format?: DeliveryBatch['format']): DeliveryBatch {
  return { packed: packItems(items), ...(format ? { format } : {}) };
}
export const stateQuery = defineQuery<DeviceState>('state');
export const configureZScoreUpdate = defineUpdate<ZScoreSettings, [ZScoreChange]>('configureZScore');
export const setThresholdsUpdate = defineUpdate<{ defaults: ThresholdLayer; own: ThresholdLayer }, [ThresholdsUpdate]>('setThresholds');
export const setDetectorsUpdate = defineUpdate<Judging, [JudgingUpdate]>('setDetectors');
export const resetModelUpdate = defineUpdate<string[], [ModelReset]>('resetModel');
export const pushModelUpdate = defineUpdate<void, [ModelPush]>('pushModel');

/* Operators' attention (device/attention.ts): snoozes, maintenance windows, acknowledgements, false alarms. */
export type SnoozeChange = z.input<typeof snoozeChangeSchema>;
export type Unsnooze = z.input<typeof unsnoozeSchema>;
export type MaintenanceChange = z.input<typeof maintenanceChangeSchema>;
export type AnomalyFeedback = z.input<typeof anomalyFeedbackSchema>;
export const snoozeUpdate = defineUpdate<Snooze, [SnoozeChange]>('snooze');
export const unsnoozeUpdate = defineUpdate<number, [Unsnooze]>('unsnooze');
/** A device's maintenance windows (the fleet hands each device the ones that match it). */
export const setMaintenanceUpdate = defineUpdate<MaintenanceWindow[], [MaintenanceChange]>('setMaintenance');
export const acknowledgeUpdate = defineUpdate<{ by: string; at: number; note?: string }, [AnomalyFeedback]>('acknowledge');
export const markFalseAlarmUpdate = defineUpdate<FalseAlarm, [AnomalyFeedback]>('markFalseAlarm');

/** One fleet per deployment: devices on a task queue share its `*` defaults. */
export const fleetWorkflowId = (taskQueue: string) => `vigil-fleet:${taskQueue}`;
export const fleetDefaultsQuery = defineQuery<ThresholdLayer>('defaults');
export const setDefaultThresholdsUpdate = defineUpdate<ThresholdLayer, [DefaultThresholdsUpdate]>('setDefaultThresholds');
/** Every maintenance window, by device id or pattern: devices that start later take the ones that match them. */
export const fleetMaintenanceQuery = defineQuery<MaintenanceWindow[]>('maintenance');
export const setFleetMaintenanceUpdate = defineUpdate<MaintenanceWindow[], [MaintenanceChange]>('setFleetMaintenance');

export const deviceIdAttribute = defineSearchAttributeKey('DeviceId', SearchAttributeType.KEYWORD);
export const anomalyCountAttribute = defineSearchAttributeKey('AnomalyCount', SearchAttributeType.INT);
export const lastReadingAtAttribute = defineSearchAttributeKey('LastReadingAt', SearchAttributeType.DATETIME);
export const connectionStatusAttribute = defineSearchAttributeKey('ConnectionStatus', SearchAttributeType.KEYWORD);
/** Registered on the server at start (`services up`) and by the test environments. */
export const searchAttributeKeys = [deviceIdAttribute, anomalyCountAttribute, lastReadingAtAttribute, connectionStatusAttribute];

/** How every starter (ingest, thresholds apply) starts a device's workflow: one id, input and summary. */
export function deviceStart(deviceId: string, settings: DeviceSettings, taskQueue: string) {
  const input: DeviceWorkflowInput = { deviceId, settings };
  return { workflowId: workflowIdFor(deviceId), taskQueue, args: [input] as [DeviceWorkflowInput], staticSummary: `Device ${deviceId}` };
}
