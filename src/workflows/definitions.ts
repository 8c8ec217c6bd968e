import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { type DeviceState, deviceStateSchema, type ZScoreConfig } from '../device-state';
import { zscoreRuleSchema } from '../detectors/zscore';
import { fieldNameSchema, sourcedReadingSchema } from '../reading';

export const readingsBatchSchema = z.object({ readings: z.array(sourcedReadingSchema) });
export type ReadingsBatch = z.infer<typeof readingsBatchSchema>;

export const zscoreChangeSchema = z
  .object({
    /** The field whose rule changes; without it, the device's defaults change. */
    field: fieldNameSchema.optional(),
    rule: zscoreRuleSchema.partial().strict(),
    learnAnomalies: z.boolean().optional(),
  })
  .strict();
export type ZScoreChange = z.infer<typeof zscoreChangeSchema>;

export const deviceWorkflowInputSchema = z.object({
  deviceId: z.string(),
  /** Rule for a device that starts fresh; ignored when `state` is carried over. */
  zscore: zscoreRuleSchema,
  state: deviceStateSchema.optional(),
  /** Readings received but not yet applied when the previous run continued as new. */
  pending: z.array(sourcedReadingSchema).optional(),
  /** Test hook: continue as new once the history has this many events. */
  continueAsNewAfterEvents: z.number().int().positive().optional(),
});
export type DeviceWorkflowInput = z.infer<typeof deviceWorkflowInputSchema>;

export const readingsSignal = defineSignal<[ReadingsBatch]>('readings');
export const stateQuery = defineQuery<DeviceState>('state');
export const configureZScoreUpdate = defineUpdate<ZScoreConfig, [ZScoreChange]>('configureZScore');

export const deviceIdAttribute = defineSearchAttributeKey('DeviceId', SearchAttributeType.KEYWORD);
export const anomalyCountAttribute = defineSearchAttributeKey('AnomalyCount', SearchAttributeType.INT);
export const lastReadingAtAttribute = defineSearchAttributeKey('LastReadingAt', SearchAttributeType.DATETIME);
/** Registered on the server at start (`services up`) and by the test environments. */
export const searchAttributeKeys = [deviceIdAttribute, anomalyCountAttribute, lastReadingAtAttribute];
