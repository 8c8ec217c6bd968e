import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  metricMeter,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { Publication } from '../activities/publish';
import { applyHtmResults, applyItem, type DeviceState, type HtmQueued, initialDeviceState, type SourcedItem, type SourcedReading, withThresholdChanges, type ZScoreConfig, zscoreConfigSchema } from '../device-state';
import { flushWindows } from '../detectors/windows';
import { zscoreRuleSchema } from '../detectors/zscore';
import type { Aggregate, AnomalyEvent, DeviceEvent } from '../events';
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

/**
 * A batch's outputs go out in one activity. Not a local one: that cut publication latency from
 * about 1.3 s to 12 ms under load (bench:e2e), but a workflow task whose completion the server
 * refuses because a signal arrived meanwhile runs its local activities again, and the batch was
 * published twice. A regular activity's result is recorded once.
 */
const { publishBatch } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 ms', maximumInterval: '30 seconds' },
});

// Scoring may rebuild a model from its checkpoint first: seconds, not milliseconds.
const { scoreHtm } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2 minutes',
  // It heartbeats while it works: one lost with a killed worker is retried after seconds, not the full 2 minutes.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * Readings applied by device workflows, through the SDK's meter (on the worker's SDK metrics
 * endpoint): the SDK skips it while replaying, so each reading counts once.
 */
const readingsApplied = metricMeter.createCounter('vigil_readings_applied', 'readings', 'Readings applied by device workflows (re-sent and late ones excluded)');

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
  const windowUpdates: WindowUpdates = { batched: false, nextAt: 0 };

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
    const timeout = minDefined(connectionTimeout(state), windowUpdateTimeout(state, windowUpdates));
    const woken = await (timeout === undefined
      ? condition(() => pending.length > 0 || shouldContinueAsNew())
      : condition(() => pending.length > 0 || shouldContinueAsNew(), Math.max(1, timeout)));
    if (pending.length > 0) {
      // Bounded work per workflow task: a backlog is applied in slices, far inside the task timeout.
      const items = pending.splice(0, patched('bounded-batches') ? MAX_ITEMS_PER_TASK : pending.length);
      if ((windowUpdates.batched = patched('batched-publication'))) {
        const updated = await applyAndPublish(state, items, windowUpdates);
        publishSummary(state, false, !updated);
      } else {
        await applyBatch(state, items);
        publishSummary(state, false);
      }
    } else if (!woken && windowUpdateTimeout(state, windowUpdates) === 0) {
      // Idle with unpublished window changes: they go out now rather than wait for a reading.
      await publishWindowUpdates(state, windowUpdates);
      publishSummary(state, false);
    } else if (!woken) {
      const retired = await checkConnection(state);
      publishSummary(state, true);
      if (retired) return state;
    }
    // A backlog is worked down first: carried whole, thousands of items outgrew the payload
    // limits. Runs recorded before this rule carried it whole, and replay so.
    const backlogged = pending.length > MAX_ITEMS_PER_TASK && patched('bounded-carry');
    if (shouldContinueAsNew() && !backlogged) {
      // Window changes not yet due go out now: the next run starts without this run's timer.
      if (windowUpdateTimeout(state, windowUpdates) !== undefined) await publishWindowUpdates(state, windowUpdates);
      await condition(allHandlersFinished);
      // Items that arrived while the last batch was published (one slice at most) travel with the state.
      await continueAsNew<typeof deviceWorkflow>({ ...input, state, pending: pending.splice(0) });
    }
  }
}

/** When open windows were last published: workflow-local, so it restarts with each run. */
interface WindowUpdates {
  /** Whether this run publishes batched (runs recorded before never wait for window updates). */
  batched: boolean;
  nextAt: number;
}

/**
 * Applies a batch and publishes what it produced in as few produce requests as it fits in: none
 * at all for a quiet batch whose window updates are not due. Returns true when the open windows
 * were published.
 */
async function applyAndPublish(state: DeviceState, items: SourcedItem[], windowUpdates: WindowUpdates): Promise<boolean> {
  const appliedBefore = state.readingsApplied;
  const { anomalies, deviceEvents } = applyItems(state, items);
  readingsApplied.add(state.readingsApplied - appliedBefore);
  if (state.htmQueue.length > 0) anomalies.push(...(await scoreHtmFields(state, state.htmQueue.splice(0))));
  const late = state.lateReadings.splice(0);
  // Window updates ride along with anything published anyway, and are otherwise rate-limited.
  const updateWindows = anomalies.length > 0 || deviceEvents.length > 0 || late.length > 0 || Date.now() >= windowUpdates.nextAt;
  const aggregates = updateWindows ? takeWindowUpdates(state, windowUpdates) : [];
  await publish(state, { anomalies, aggregates, deviceEvents, late });
  return updateWindows;
}

/** Applies the items in order, and says what the connection did. */
function applyItems(state: DeviceState, items: SourcedItem[]): { anomalies: AnomalyEvent[]; deviceEvents: DeviceEvent[] } {
  const before = state.connection.status;
  const anomalies = items.flatMap((item) => applyItem(state, item));
  const deviceEvents: DeviceEvent[] = [];
  // Data, even re-delivered, is a sign of life; control messages are not.
  if (items.some((item) => 'reading' in item)) {
    state.connection.lastSeenAt = Date.now();
    if (before !== 'CONNECTED' && state.connection.status === 'CONNECTED') deviceEvents.push(deviceEvent(state, 'CONNECTED'));
  }
  return { anomalies, deviceEvents };
}

/** Publishes in as few activity calls as the chunk size allows, anomalies first. */
async function publish(
  state: DeviceState,
  { anomalies, aggregates, deviceEvents, late }: { anomalies: AnomalyEvent[]; aggregates: Aggregate[]; deviceEvents: DeviceEvent[]; late: SourcedReading[] },
): Promise<void> {
  const watermark = state.lastReadingTs ?? 0;
  const { allowedLatenessMs } = state.eventTime;
  const chunks: Publication[] = [];
  let [i, j, k] = [0, 0, 0];
  while (i < anomalies.length || j < aggregates.length || k < late.length || (chunks.length === 0 && deviceEvents.length > 0)) {
    const a = anomalies.slice(i, i + PUBLISH_CHUNK);
    const g = aggregates.slice(j, j + PUBLISH_CHUNK - a.length);
    const l = late.slice(k, k + PUBLISH_CHUNK - a.length - g.length);
    chunks.push({ anomalies: a, aggregates: g, deviceEvents: chunks.length === 0 ? deviceEvents : [], ...(l.length > 0 ? { late: { late: l, watermark, allowedLatenessMs } } : {}) });
    [i, j, k] = [i + a.length, j + g.length, k + l.length];
  }
  for (const chunk of chunks) await publishBatch(chunk);
}

/** The window results changed since the last update, and when the next one is due. */
function takeWindowUpdates(state: DeviceState, windowUpdates: WindowUpdates): Aggregate[] {
  windowUpdates.nextAt = Date.now() + state.eventTime.updateEveryMs;
  if (state.lastReadingTs === null) return [];
  return flushWindows(state.windows, state.deviceId, state.lastReadingTs, state.eventTime.allowedLatenessMs);
}

async function publishWindowUpdates(state: DeviceState, windowUpdates: WindowUpdates): Promise<void> {
  await publish(state, { anomalies: [], aggregates: takeWindowUpdates(state, windowUpdates), deviceEvents: [], late: [] });
}

/** Milliseconds until unpublished window changes are due (0: now); undefined when there are none. */
function windowUpdateTimeout(state: DeviceState, windowUpdates: WindowUpdates): number | undefined {
  const { changedHours, changedFields } = state.windows;
  if (!windowUpdates.batched) return undefined;
  if (changedHours.length === 0 && changedFields.length === 0) return undefined;
  return Math.max(0, windowUpdates.nextAt - Date.now());
}

const minDefined = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** Runs recorded before `batched-publication`: one activity per kind of output, every batch. */
async function applyBatch(state: DeviceState, items: SourcedItem[]): Promise<void> {
  const { anomalies, deviceEvents } = applyItems(state, items);
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
