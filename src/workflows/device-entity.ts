import { log, metricMeter, proxyActivities, proxyLocalActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { z } from 'zod';
import type { createActivities } from '../activities';
import type { AnomalyEvent } from '../contracts/anomalies';
import { deviceEvent, type DeviceEvent, type DeviceEventType } from '../contracts/device-events';
import { emptyHtmModelRef, type HtmEvidence, htmModelParams } from '../detectors/htm';
import { withThresholdChanges } from '../detectors/threshold';
import { changedZScoreSettings, withPushedModel } from '../detectors/zscore';
import { applyEvidence, applyHeld, applyItems, type DeferredReading, type Outcome } from '../device/apply';
import { markSuppressed, matchesDevices, noteAnomalies, prune, suppressionAt } from '../device/attention';
import { withJudgingChange } from '../device/judging';
import type { SourcedItem } from '../device/item';
import { unpackItems } from '../device/packed-items';
import { type DeviceState, initialDeviceState } from '../device/state';
import { withFormatDefaults } from '../device/settings';
import { closeAllReportWindows, hasReportToClose, takeClosedReportWindows } from '../device/anomaly-report';
import { flushWindows, hasHoursToClose } from '../device/windows';
import {
  type DeliveryBatch,
  type deviceWorkflowInputSchema,
  fleetWorkflowId,
  type judgingUpdateSchema,
  type modelPushSchema,
  type modelResetSchema,
  type thresholdsUpdateSchema,
  type zscoreChangeSchema,
} from './definitions';
import { chunkPublications, type Outputs } from './publication';
import { ScoringRoute } from './scoring-route';
import { SummaryPublisher } from './summary';

const activities = {
  /**
   * Publication runs as a local activity: in the worker that runs the workflow task that applied
   * the batch, recorded as one marker in that task. A regular activity costs the server an
   * activity task and the device a second workflow task, and its latency under load (see
   * docs/guarantees.md and BENCHMARKS.md). A local activity runs again when the task it ran in is
   * not recorded: the worker died before completing it, the task timed out, or the server refused
   * its completion. The server refuses a task's completion only when the task closes the run
   * (continue-as-new, retirement) while a signal came in meanwhile; `closeSafely` keeps local
   * activities out of such a task. What runs again publishes the same records (deterministic
   * ids), as a retried regular activity would. Retries: every 0.5 s to 30 s, without end; a
   * retry within a minute stays in the workflow task (the SDK heartbeats it), a later one waits
   * on a timer.
   */
  publishing: proxyLocalActivities<ReturnType<typeof createActivities>>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '500 ms', maximumInterval: '30 seconds' } }),
  // Reads of the fleet defaults, once per new device.
  quick: proxyActivities<ReturnType<typeof createActivities>>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '500 ms', maximumInterval: '30 seconds' } }),
};

/**
 * Readings applied by device workflows, through the SDK's meter (on the worker's SDK metrics
 * endpoint): the SDK skips it while replaying, so each reading counts once.
 */
const readingsApplied = metricMeter.createCounter('vigil_readings_applied', 'readings', 'Readings applied by device workflows (re-sent and late ones excluded)');

/** Items applied per workflow task: with the seasonal forest, about a quarter second of work. */
export const MAX_ITEMS_PER_TASK = 500;

type Input = z.output<typeof deviceWorkflowInputSchema>;
type ZScoreChangeValue = z.output<typeof zscoreChangeSchema>;
type ThresholdsUpdateValue = z.output<typeof thresholdsUpdateSchema>;
type JudgingUpdateValue = z.output<typeof judgingUpdateSchema>;
type ModelResetValue = z.output<typeof modelResetSchema>;
type ModelPushValue = z.output<typeof modelPushSchema>;

/**
 * One device as a Temporal entity: its state, the handlers of its messages, and the steps of
 * its loop (`device.ts`). Applying is `applyItems`, the core the tests and the backtest run too;
 * what this class adds is time (connection timers, the pace of window updates), publication
 * through activities, HTM scoring and the summary the UI shows.
 */
export class DeviceEntity {
  readonly state: DeviceState;
  private readonly pending: SourcedItem[];
  private readonly summary = new SummaryPublisher();
  /** Where HTM scoring goes: the worker that holds this device's live models, while it lives. */
  private readonly scoring: ScoringRoute;
  /** Workflow time when open windows may next be re-published; local to this run. */
  private windowsDueAt = 0;
  /** A local activity ran since the run's last workflow-task boundary that `closeSafely` made. */
  private publishedLocally = false;

  constructor(private readonly input: Input) {
    this.state = input.state ?? initialDeviceState(input.deviceId, input.settings);
    this.pending = input.pending ?? [];
    this.scoring = new ScoringRoute(input.scoringQueue);
  }

  /* ----- message handlers ----- */

  deliver({ packed, format }: DeliveryBatch): void {
    // A device started before its first reading (an operator's Update) takes its format's defaults now.
    this.state.settings = withFormatDefaults(this.state.settings, format);
    this.pending.push(...unpackItems(this.state.deviceId, packed));
  }

  /* Updates: each takes its argument as its schema (definitions.ts) parsed it (validated-update.ts). */

  configureZScore({ field, rule }: ZScoreChangeValue) {
    this.state.settings.detectors.zscore = changedZScoreSettings(this.state.settings.detectors.zscore, field, rule);
    return this.state.settings.detectors.zscore;
  }

  /** Rejects a z-score change that the schema allows but the device's rule would not (changedZScoreSettings throws). */
  checkZScoreChange({ field, rule }: ZScoreChangeValue): void {
    changedZScoreSettings(this.state.settings.detectors.zscore, field, rule);
  }

  setThresholds({ layer, changes, replace, by }: ThresholdsUpdateValue) {
    const thresholds = this.state.settings.detectors.threshold;
    thresholds[layer] = withThresholdChanges(replace ? {} : thresholds[layer], changes);
    log.info('thresholds changed', { layer, changes, replace, by });
    this.summary.publish(this.state, { force: true });
    return thresholds;
  }

  /** Chooses the detectors of one field, or goes back to the defaults; returns what judges which fields. */
  setDetectors({ field, detectors, by }: JudgingUpdateValue) {
    this.state.settings.judging = withJudgingChange(this.state.settings.judging, field, detectors);
    log.info('detectors changed', { field, detectors, by });
    this.summary.publish(this.state, { force: true });
    return this.state.settings.judging;
  }

  /** Forgets the z-score model of one field, or of all; returns the fields reset. */
  resetModel({ field }: ModelResetValue): string[] {
    const models = this.state.memories.zscore;
    const fields = field === undefined ? Object.keys(models) : [field];
    for (const f of fields) delete models[f];
    this.summary.publish(this.state, { force: true });
    return fields;
  }

  pushModel({ field, model }: ModelPushValue): void {
    this.state.memories.zscore[field] = withPushedModel(this.state.memories.zscore[field], model);
    this.summary.publish(this.state, { force: true });
  }

  /** After an operator's change of attention (attention-updates.ts): what ended is forgotten, the memo says the rest. */
  attentionChanged<T>(result: T): T {
    prune(this.state.attention, Date.now(), this.openAnomalyIds());
    this.summary.publish(this.state, { force: true });
    return result;
  }

  /** The anomalies open now: those whose incident has not resolved. */
  openAnomalyIds(): Set<string> {
    return new Set(Object.values(this.state.incidents).map((incident) => incident.anomalyId));
  }

  /* ----- the loop's steps ----- */

  /** A new device starts with the fleet's `*` thresholds and the maintenance windows that match it; changes received meanwhile win. */
  async start(): Promise<void> {
    if (!this.input.state) {
      const thresholds = this.state.settings.detectors.threshold;
      const fleet = await activities.quick.fleetDefaults(fleetWorkflowId(workflowInfo().taskQueue));
      thresholds.defaults = { ...fleet.thresholds, ...thresholds.defaults };
      const { attention } = this.state;
      const own = new Set(attention.maintenance.map((w) => w.id));
      attention.maintenance = [...fleet.maintenance.filter((w) => !own.has(w.id) && w.end > Date.now() && matchesDevices(w.devices, this.state.deviceId)), ...attention.maintenance];
    }
    this.summary.publish(this.state, { force: true });
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Milliseconds until the device must wake with nothing pending; undefined: never. One deadline
   * serves the connection check and unpublished window changes: changes wait for the connection
   * check when it comes within one update interval of them, so a device that goes quiet wakes
   * once (its window changes and its DISCONNECTED event together), and a busy device's timer
   * wakes it about once a disconnect period, when it also publishes what is due.
   */
  nextTimeout(): number | undefined {
    const connection = this.connectionTimeout();
    const windows = this.windowUpdateTimeout();
    if (windows === undefined && connection === undefined) return undefined;
    const due = windows === undefined ? connection! : connection === undefined || connection > windows + this.state.settings.eventTime.updateEveryMs ? windows : connection;
    return Math.max(1, due);
  }

  /** Continue as new when Temporal suggests it, once a backlog is worked down to one slice it carries. */
  shouldContinueAsNew(): boolean {
    const { continueAsNewAfterEvents } = this.input;
    const suggested = workflowInfo().continueAsNewSuggested || (continueAsNewAfterEvents !== undefined && workflowInfo().historyLength >= continueAsNewAfterEvents);
    return suggested && this.pending.length <= MAX_ITEMS_PER_TASK;
  }

  /** Applies the next slice of pending items and publishes what it caused. */
  async applyNextSlice(): Promise<void> {
    const items = this.pending.splice(0, MAX_ITEMS_PER_TASK);
    const { state } = this;
    const statusBefore = state.connection.status;
    const appliedBefore = state.counters.readingsApplied;
    // The workflow's clock: unkeyed readings wait a little for the partitions that precede them.
    const outcome = applyItems(state, items, { now: Date.now() });
    const deviceEvents: DeviceEvent[] = [];
    // Data, even re-delivered, is a sign of life; control messages are not.
    if (items.some((item) => 'reading' in item)) {
      state.connection.lastSeenAt = Date.now();
      if (statusBefore !== 'CONNECTED' && state.connection.status === 'CONNECTED') deviceEvents.push(this.connectionEvent('CONNECTED'));
    }
    await this.publishOutcome(outcome, deviceEvents, appliedBefore);
  }

  /** Publishes what applying caused, with the deferred detectors' verdicts. */
  private async publishOutcome(outcome: Outcome, deviceEvents: DeviceEvent[], appliedBefore: number): Promise<void> {
    const { state } = this;
    readingsApplied.add(state.counters.readingsApplied - appliedBefore);
    const anomalies = [...outcome.anomalies, ...(await this.scoreDeferred(outcome.deferred))];
    if (anomalies.length > 0) this.attend(anomalies);
    // What must go out now: anomaly steps, connection events, late readings, closed hours. Open
    // windows ride along with those, and otherwise go out at most every `updateEveryMs`: most
    // batches publish nothing, and cost the server one workflow task.
    const { watermark } = state.clock;
    const closing = watermark !== null && hasHoursToClose(state.windows, watermark, state.settings.eventTime.allowedLatenessMs);
    const mustPublish = anomalies.length > 0 || deviceEvents.length > 0 || outcome.late.length > 0 || closing;
    const windowsDue = mustPublish || Date.now() >= this.windowsDueAt;
    if (windowsDue) await this.publish({ anomalies, aggregates: this.takeWindowUpdates(), deviceEvents, late: outcome.late, report: this.takeReport() });
    this.summary.publish(state, { quiet: !windowsDue });
  }

  /**
   * The timer fired with nothing pending: what is due goes out in this one task. Window changes
   * whose interval is over (or all of them, at a connection check) and a connection change.
   * Returns true when the device retires.
   */
  async onTimer(): Promise<boolean> {
    const connectionDue = (this.connectionTimeout() ?? Number.POSITIVE_INFINITY) <= 0;
    if (connectionDue && this.state.connection.status === 'CONNECTED' && this.state.reorder.held.length > 0) {
      // Unkeyed readings still held for event-time order go first: nothing earlier is on its way.
      const appliedBefore = this.state.counters.readingsApplied;
      await this.publishOutcome(applyHeld(this.state), [], appliedBefore);
    }
    const windowsDue = this.windowUpdateTimeout() === 0 || (connectionDue && this.windowUpdateTimeout() !== undefined);
    const connectionEvent = connectionDue ? this.connectionChange() : undefined;
    if (!windowsDue && !connectionEvent) return false; // woke early: a busy device's deadline moved
    // A device that fell silent closes its report's windows: its watermark will not close them.
    const report = connectionEvent?.type === 'DISCONNECTED' ? closeAllReportWindows(this.state.report, this.state.deviceId) : windowsDue ? this.takeReport() : undefined;
    await this.publish({ anomalies: [], aggregates: windowsDue ? this.takeWindowUpdates() : [], deviceEvents: connectionEvent ? [connectionEvent] : [], late: [], report });
    this.summary.publish(this.state, { force: connectionEvent !== undefined, quiet: !windowsDue });
    return connectionEvent?.type === 'RETIRED';
  }

  /** Window changes not yet due go out now: the next run starts without this run's timer. */
  async beforeContinueAsNew(): Promise<void> {
    if (this.windowUpdateTimeout() !== undefined) await this.publish({ anomalies: [], aggregates: this.takeWindowUpdates(), deviceEvents: [], late: [], report: this.takeReport() });
  }

  /**
   * Before the run closes (continue-as-new, retirement): a task that closes the run while a
   * signal came in is refused by the server, and the local activities it ran would run again.
   * So a run that published locally ends that task first, with a 1 ms timer (once per run).
   */
  async closeSafely(): Promise<void> {
    if (!this.publishedLocally) return;
    await sleep(1);
    this.publishedLocally = false;
  }

  /** The next run's input: the state, and items that arrived while the last slice was published. */
  continuation(): Input {
    const { scoringQueue: _previous, ...input } = this.input;
    const { workerQueue } = this.scoring;
    return { ...input, state: this.state, pending: this.pending.splice(0), ...(workerQueue === undefined ? {} : { scoringQueue: workerQueue }) };
  }

  /* ----- inside the steps ----- */

  /** Marks steps made under a snooze or in maintenance, keeps recent anomalies for feedback, forgets what ended. */
  private attend(anomalies: AnomalyEvent[]): void {
    const { attention } = this.state;
    markSuppressed(attention, anomalies, Date.now());
    noteAnomalies(attention, anomalies);
    prune(attention, Date.now(), this.openAnomalyIds());
  }

  private async publish(outputs: Outputs): Promise<void> {
    const late = { watermark: this.state.clock.watermark ?? 0, allowedLatenessMs: this.state.settings.eventTime.allowedLatenessMs };
    for (const publication of chunkPublications(outputs, late)) {
      this.publishedLocally = true;
      await activities.publishing.publishBatch(publication);
    }
  }

  /**
   * Scores the readings of deferred detectors field by field on the worker that holds the
   * device's models (scoring-route.ts), then judges them. The state keeps only each model's checkpoint version and the readings since:
   * enough for any worker to rebuild it exactly.
   */
  private async scoreDeferred(deferred: DeferredReading[]): Promise<AnomalyEvent[]> {
    const { state } = this;
    const htm = state.settings.detectors.htm;
    const queued = deferred.filter((d) => d.detector === 'htm');
    const anomalies: AnomalyEvent[] = [];
    for (const field of [...new Set(queued.map((q) => q.field))]) {
      const fresh = queued.filter((q) => q.field === field);
      const ref = (state.memories.htm[field] ??= emptyHtmModelRef());
      const readings: Array<[number, number]> = [...ref.sinceCheckpoint, ...fresh.map((q): [number, number] => [q.ts, q.value])];
      const reply = await this.scoring.scoreHtm({
        deviceId: state.deviceId,
        field,
        params: htmModelParams(htm, field),
        checkpointVersion: ref.checkpointVersion,
        readings,
        sources: fresh.map((q) => q.source),
        ...(fresh.some((q) => q.attrs) ? { attrs: fresh.map((q) => q.attrs ?? null) } : {}),
        checkpointEvery: htm.checkpointEvery,
      });
      const checkpointed = reply.checkpointVersion !== ref.checkpointVersion;
      state.memories.htm[field] = { checkpointVersion: reply.checkpointVersion, sinceCheckpoint: checkpointed ? [] : readings };
      anomalies.push(...applyEvidence(state, 'htm', fresh.map((reading, i) => ({ reading, evidence: reply.verdicts[i] as HtmEvidence }))));
    }
    return anomalies;
  }

  /** The window results changed since the last update; the next update is due one interval later. */
  private takeWindowUpdates() {
    const { state } = this;
    this.windowsDueAt = Date.now() + state.settings.eventTime.updateEveryMs;
    if (state.clock.watermark === null) return [];
    return flushWindows(state.windows, state.deviceId, state.clock.watermark, state.settings.eventTime.allowedLatenessMs);
  }

  /** The anomaly report's windows the watermark closed since the last publication (anomaly-report.ts). */
  private takeReport() {
    return takeClosedReportWindows(this.state.report, this.state.deviceId, this.state.clock.watermark);
  }

  /** Milliseconds until unpublished window changes (or closed report windows) are due (0: now); undefined when there are none. */
  private windowUpdateTimeout(): number | undefined {
    const { changedHours, changedFields } = this.state.windows;
    if (changedHours.length === 0 && changedFields.length === 0 && !hasReportToClose(this.state.report, this.state.clock.watermark)) return undefined;
    return Math.max(0, this.windowsDueAt - Date.now());
  }

  /** Milliseconds until the connection must be looked at again; undefined for a device that never reported. */
  private connectionTimeout(): number | undefined {
    const { status } = this.state.connection;
    const lastSeenAt = this.silenceSince();
    if (status === 'NEW' || lastSeenAt === null) return undefined;
    const { disconnectAfterMs, retireAfterMs } = this.state.settings.connection;
    return lastSeenAt + (status === 'CONNECTED' ? disconnectAfterMs : retireAfterMs) - Date.now();
  }

  /**
   * When the device's silence began: when its last data arrived, or (`silenceFrom: 'event-time'`,
   * as the host rules measured it) the event time of its newest reading.
   */
  private silenceSince(): number | null {
    const { connection, clock, settings } = this.state;
    if (connection.lastSeenAt === null) return null;
    return settings.connection.silenceFrom === 'event-time' ? (clock.watermark ?? connection.lastSeenAt) : connection.lastSeenAt;
  }

  /** On silence: DISCONNECTED after the disconnect timeout, RETIRED after the retire timeout; the event to publish, if any. */
  private connectionChange(): DeviceEvent | undefined {
    const { connection } = this.state;
    const { disconnectAfterMs, retireAfterMs } = this.state.settings.connection;
    const since = this.silenceSince();
    if (since === null) return undefined;
    const silentFor = Date.now() - since;
    if (connection.status === 'CONNECTED' && silentFor >= disconnectAfterMs) {
      connection.status = 'DISCONNECTED';
      return this.connectionEvent('DISCONNECTED');
    }
    if (connection.status === 'DISCONNECTED' && silentFor >= retireAfterMs) return this.connectionEvent('RETIRED');
    return undefined;
  }

  private connectionEvent(type: DeviceEventType): DeviceEvent {
    const event = deviceEvent(this.state.deviceId, type, Date.now(), this.state.connection.lastSeenAt, this.state.clock.watermark);
    const suppressed = type === 'DISCONNECTED' ? suppressionAt(this.state.attention, this.state.deviceId, null, Date.now()) : undefined;
    return suppressed ? { ...event, suppressed } : event;
  }
}
