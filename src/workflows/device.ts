import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { z } from 'zod';
import { applyReading, type DeviceState, initialDeviceState, type ZScoreConfig, zscoreConfigSchema } from '../device-state';
import type { AnomalyEvent } from '../events';
import type { SourcedReading } from '../reading';
import {
  anomalyCountAttribute,
  configureZScoreUpdate,
  type DeviceWorkflowInput,
  deviceIdAttribute,
  lastReadingAtAttribute,
  readingsSignal,
  stateQuery,
  type ZScoreChange,
  zscoreChangeSchema,
} from './definitions';
import { deviceDetails, deviceSummary } from './summary';

const { publishAnomalies } = proxyActivities<ReturnType<typeof createActivities>>({
  // Short, so a publish lost with a killed worker is retried soon; Kafka sends take milliseconds.
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 ms', maximumInterval: '30 seconds' },
});

/** Anomalies per activity call: keeps each payload far below the 512 KB warning size. */
const PUBLISH_CHUNK = 400;

/** One long-lived workflow per device: applies its readings in order, exactly once, and publishes anomalies. */
export async function deviceWorkflow(input: DeviceWorkflowInput): Promise<DeviceState> {
  const state = input.state ?? initialDeviceState(input.deviceId, input.zscore);
  const pending: SourcedReading[] = input.pending ?? [];

  setHandler(readingsSignal, ({ readings }) => {
    pending.push(...readings);
  });
  setHandler(stateQuery, () => state, { description: 'The device’s full state: models, rules, applied offsets' });
  setHandler(
    configureZScoreUpdate,
    (change) => {
      state.zscore = nextZScoreConfig(state.zscore, change);
      return state.zscore;
    },
    {
      // A rejected update leaves no trace in history and changes nothing.
      validator: (change) => void nextZScoreConfig(state.zscore, change),
      description: 'Change the z-score rule of the device or of one field; invalid values are rejected',
    },
  );

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.continueAsNewAfterEvents !== undefined && workflowInfo().historyLength >= input.continueAsNewAfterEvents);

  const publishSummary = summaryPublisher();
  publishSummary(state);
  for (;;) {
    await condition(() => pending.length > 0 || shouldContinueAsNew());
    if (pending.length > 0) {
      const anomalies = pending.splice(0).flatMap((reading) => applyReading(state, reading));
      await publishInChunks(anomalies);
      publishSummary(state);
    }
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      // Readings that arrived while the last batch was published travel with the state.
      await continueAsNew<typeof deviceWorkflow>({ ...input, state, pending: pending.splice(0) });
    }
  }
}

async function publishInChunks(anomalies: AnomalyEvent[]): Promise<void> {
  for (let i = 0; i < anomalies.length; i += PUBLISH_CHUNK) {
    await publishAnomalies(anomalies.slice(i, i + PUBLISH_CHUNK));
  }
}

/** The configuration after a change, validated whole; throws a readable error when invalid. */
function nextZScoreConfig(current: ZScoreConfig, change: ZScoreChange): ZScoreConfig {
  const parsed = zscoreChangeSchema.safeParse(change);
  if (!parsed.success) throw new Error(`invalid z-score change: ${describeIssues(parsed.error)}`);
  const { field, rule, learnAnomalies } = parsed.data;
  const next: ZScoreConfig = {
    defaults: field === undefined ? { ...current.defaults, ...rule } : current.defaults,
    fields: field === undefined ? current.fields : { ...current.fields, [field]: { ...current.fields[field], ...rule } },
    learnAnomalies: learnAnomalies ?? current.learnAnomalies,
  };
  const merged = zscoreConfigSchema.safeParse(next);
  if (!merged.success) throw new Error(`invalid z-score configuration: ${describeIssues(merged.error)}`);
  return merged.data;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'change'}: ${issue.message}`).join('; ');
}

/**
 * Returns a function that writes search attributes, memo and current details (what the UI shows
 * without a worker) whenever what they say has changed.
 */
function summaryPublisher() {
  let published: { anomalyCount: number; lastReadingTs: number | null } | undefined;
  return (state: DeviceState): void => {
    if (published?.anomalyCount === state.anomalyCount && published?.lastReadingTs === state.lastReadingTs) return;
    published = { anomalyCount: state.anomalyCount, lastReadingTs: state.lastReadingTs };
    upsertSearchAttributes([
      { key: deviceIdAttribute, value: state.deviceId },
      { key: anomalyCountAttribute, value: state.anomalyCount },
      ...(state.lastReadingTs === null ? [] : [{ key: lastReadingAtAttribute, value: new Date(state.lastReadingTs) }]),
    ]);
    upsertMemo({ summary: deviceSummary(state) });
    setCurrentDetails(deviceDetails(state));
  };
}
