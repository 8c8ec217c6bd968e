import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { applyHtmResults, applyItem, type DeviceState, type HtmQueued, initialDeviceState, type SourcedItem, withThresholdChanges, type ZScoreConfig, zscoreConfigSchema } from '../device-state';
import { flushWindows } from '../detectors/windows';
import { zscoreRuleSchema } from '../detectors/zscore';
import type { AnomalyEvent, DeviceEvent } from '../events';
import {
  configureZScoreUpdate,
  deliverSignal,
  type DeviceWorkflowInput,
  deviceWorkflowInputSchema,
  modelPushSchema,
  modelResetSchema,
  parseOrReject,
  pushModelUpdate,
  resetModelUpdate,
  setThresholdsUpdate,
  stateQuery,
  thresholdsUpdateSchema,
  zscoreChangeSchema,
} from './definitions';
import { summaryPublisher } from './summary';

const { publishAnomalies, publishDeviceEvents, publishAggregates, deadLetterLateReadings, fleetThresholdDefaults } = proxyActivities<ReturnType<typeof createActivities>>({
  // Short, so a publish lost with a killed worker is retried soon; Kafka sends take milliseconds.
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 ms', maximumInterval: '30 seconds' },
});

// Scoring may rebuild a model from its checkpoint first: seconds, not milliseconds.
const { scoreHtm } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Items applied per workflow task: with the seasonal forest, about a quarter second of work. */
const MAX_ITEMS_PER_TASK = 500;

/** Events per activity call: keeps each payload far below the 512 KB warning size, and each Kafka batch below 1 MB. */
const PUBLISH_CHUNK = 400;

/**
 * One long-lived workflow per device: applies its readings and control messages in order and
 * exactly once, publishes anomalies and connection changes, and retires after long silence.
 */
export async function deviceWorkflow(rawInput: DeviceWorkflowInput): Promise<DeviceState> {
  const input = deviceWorkflowInputSchema.parse(rawInput);
  const state = input.state ?? initialDeviceState(input.deviceId, input.zscore, input.connection, {}, input.eventTime, input.seasonal, input.htm);
  const pending: SourcedItem[] = input.pending ?? [];
  const publishSummary = summaryPublisher();

  setHandler(deliverSignal, ({ items }) => {
    pending.push(...items);
  });
  setHandler(stateQuery, () => state, { description: 'The device’s full state: models, thresholds, open anomalies, connection' });
  // Validators reject a bad change before it reaches history; the accepted Update, with its
  // `by` and `reason`, stays in history as the audit trail.
  setHandler(
    configureZScoreUpdate,
    (change) => (state.zscore = nextZScoreConfig(state.zscore, change)),
    { validator: (change) => void nextZScoreConfig(state.zscore, change), description: 'Change the z-score rule of the device or of one field' },
  );
  setHandler(
    setThresholdsUpdate,
    (update) => {
      const { layer, changes, by } = parseOrReject(thresholdsUpdateSchema, update, 'thresholds');
      state.thresholds[layer] = withThresholdChanges(state.thresholds[layer], changes);
      log.info('thresholds changed', { layer, changes, by });
      publishSummary(state, true);
      return state.thresholds;
    },
    { validator: (update) => void parseOrReject(thresholdsUpdateSchema, update, 'thresholds'), description: 'Set or remove thresholds (low/high, rule, hysteresis) per field' },
  );
  setHandler(
    resetModelUpdate,
    (reset) => {
      const { field } = parseOrReject(modelResetSchema, reset, 'model reset');
      const fields = field === undefined ? Object.keys(state.models) : [field];
      for (const f of fields) {
        delete state.models[f];
        delete state.zscoreGoodStreak[f];
      }
      publishSummary(state, true);
      return fields;
    },
    { validator: (reset) => void parseOrReject(modelResetSchema, reset, 'model reset'), description: 'Forget the z-score model of one field, or of all' },
  );
  setHandler(
    pushModelUpdate,
    (push) => {
      const { field, model } = parseOrReject(modelPushSchema, push, 'model push');
      state.models[field] = model;
      publishSummary(state, true);
    },
    { validator: (push) => void parseOrReject(modelPushSchema, push, 'model push'), description: 'Replace the z-score model {n, mean, m2} of a field' },
  );

  if (!input.state) {
    // Handlers come first (an Update left unhandled in this activation would be rejected);
    // items wait in `pending` until the `*` defaults are in. Changes received meanwhile win.
    state.thresholds.defaults = { ...(await fleetThresholdDefaults(workflowInfo().taskQueue)), ...state.thresholds.defaults };
  }

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    (input.continueAsNewAfterEvents !== undefined && workflowInfo().historyLength >= input.continueAsNewAfterEvents);

  publishSummary(state, true);
  for (;;) {
    const timeout = connectionTimeout(state);
    const woken = await (timeout === undefined
      ? condition(() => pending.length > 0 || shouldContinueAsNew())
      : condition(() => pending.length > 0 || shouldContinueAsNew(), Math.max(1, timeout)));
    if (pending.length > 0) {
      // Bounded work per workflow task: a backlog is applied in slices, far inside the task timeout.
      await applyBatch(state, pending.splice(0, patched('bounded-batches') ? MAX_ITEMS_PER_TASK : pending.length));
      publishSummary(state, false);
    } else if (!woken) {
      const retired = await checkConnection(state);
      publishSummary(state, true);
      if (retired) return state;
    }
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      // Items that arrived while the last batch was published travel with the state.
      await continueAsNew<typeof deviceWorkflow>({ ...input, state, pending: pending.splice(0) });
    }
  }
}

async function applyBatch(state: DeviceState, items: SourcedItem[]): Promise<void> {
  const before = state.connection.status;
  const anomalies: AnomalyEvent[] = items.flatMap((item) => applyItem(state, item));
  const deviceEvents: DeviceEvent[] = [];
  // Data, even re-delivered, is a sign of life; control messages are not.
  if (items.some((item) => 'reading' in item)) {
    state.connection.lastSeenAt = Date.now();
    if (before !== 'CONNECTED' && state.connection.status === 'CONNECTED') deviceEvents.push(deviceEvent(state, 'CONNECTED'));
  }
  for (let i = 0; i < anomalies.length; i += PUBLISH_CHUNK) await publishAnomalies(anomalies.slice(i, i + PUBLISH_CHUNK));
  // Runs recorded before event-time windows existed replay without these steps.
  if (patched('event-time-windows') && state.lastReadingTs !== null) {
    const { allowedLatenessMs } = state.eventTime;
    const aggregates = flushWindows(state.windows, state.deviceId, state.lastReadingTs, allowedLatenessMs);
    for (let i = 0; i < aggregates.length; i += PUBLISH_CHUNK) await publishAggregates(aggregates.slice(i, i + PUBLISH_CHUNK));
    const late = state.lateReadings.splice(0);
    for (let i = 0; i < late.length; i += PUBLISH_CHUNK) {
      await deadLetterLateReadings({ late: late.slice(i, i + PUBLISH_CHUNK), watermark: state.lastReadingTs, allowedLatenessMs });
    }
  }
  if (patched('htm') && state.htmQueue.length > 0) {
    const htmAnomalies = await scoreHtmFields(state, state.htmQueue.splice(0));
    for (let i = 0; i < htmAnomalies.length; i += PUBLISH_CHUNK) await publishAnomalies(htmAnomalies.slice(i, i + PUBLISH_CHUNK));
  }
  if (deviceEvents.length > 0) await publishDeviceEvents(deviceEvents);
}

/**
 * Scores the batch's HTM readings field by field in the model store's worker, then judges them.
 * The workflow keeps only the checkpoint version and the readings since it: enough for any
 * worker to rebuild the model exactly.
 */
async function scoreHtmFields(state: DeviceState, queued: HtmQueued[]): Promise<AnomalyEvent[]> {
  const anomalies: AnomalyEvent[] = [];
  for (const field of [...new Set(queued.map((q) => q.field))]) {
    const fresh = queued.filter((q) => q.field === field);
    const ref = (state.htmModels[field] ??= { checkpointVersion: 0, sinceCheckpoint: [] });
    const readings: Array<[number, number]> = [...ref.sinceCheckpoint, ...fresh.map((q): [number, number] => [q.ts, q.value])];
    const range = state.htm.ranges[field];
    const reply = await scoreHtm({
      deviceId: state.deviceId,
      field,
      params: range ? { valueMin: range.min, valueMax: range.max } : {},
      checkpointVersion: ref.checkpointVersion,
      readings,
      sources: fresh.map((q) => q.source),
      checkpointEvery: state.htm.checkpointEvery,
    });
    const checkpointed = reply.checkpointVersion !== ref.checkpointVersion;
    state.htmModels[field] = { checkpointVersion: reply.checkpointVersion, sinceCheckpoint: checkpointed ? [] : readings };
    anomalies.push(...applyHtmResults(state, fresh.map((reading, i) => ({ reading, result: reply.verdicts[i]! }))));
  }
  return anomalies;
}

/** Milliseconds until the connection must be looked at again; undefined for a device that never reported. */
function connectionTimeout(state: DeviceState): number | undefined {
  const { status, lastSeenAt, settings } = state.connection;
  if (status === 'NEW' || lastSeenAt === null) return undefined;
  const after = status === 'CONNECTED' ? settings.disconnectAfterMs : settings.retireAfterMs;
  return lastSeenAt + after - Date.now();
}

/** On silence: DISCONNECTED after the disconnect timeout, retired (true) after the retire timeout. */
async function checkConnection(state: DeviceState): Promise<boolean> {
  const { status, lastSeenAt, settings } = state.connection;
  if (lastSeenAt === null) return false;
  const silentFor = Date.now() - lastSeenAt;
  if (status === 'CONNECTED' && silentFor >= settings.disconnectAfterMs) {
    state.connection.status = 'DISCONNECTED';
    await publishDeviceEvents([deviceEvent(state, 'DISCONNECTED')]);
  } else if (status === 'DISCONNECTED' && silentFor >= settings.retireAfterMs) {
    await publishDeviceEvents([deviceEvent(state, 'RETIRED')]);
    return true;
  }
  return false;
}

function deviceEvent(state: DeviceState, type: DeviceEvent['type']): DeviceEvent {
  const at = Date.now();
  return { eventId: `${state.deviceId}/${type}/${at}`, deviceId: state.deviceId, type, at, lastSeenAt: state.connection.lastSeenAt, lastReadingTs: state.lastReadingTs };
}

/** The configuration after a change, validated whole; throws a readable error when invalid. */
function nextZScoreConfig(current: ZScoreConfig, change: unknown): ZScoreConfig {
  const { field, rule } = parseOrReject(zscoreChangeSchema, change, 'z-score change');
  const next = {
    defaults: field === undefined ? { ...current.defaults, ...rule } : current.defaults,
    fields: field === undefined ? current.fields : { ...current.fields, [field]: { ...current.fields[field], ...rule } },
  };
  parseOrReject(zscoreRuleSchema, { ...next.defaults, ...(field === undefined ? {} : next.fields[field]) }, 'z-score rule');
  return parseOrReject(zscoreConfigSchema, next, 'z-score configuration');
}
