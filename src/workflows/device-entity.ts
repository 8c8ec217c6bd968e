import { log, metricMeter, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { z } from 'zod';
import type { createActivities } from '../activities';
import type { AnomalyEvent } from '../contracts/anomalies';
import { deviceEvent, type DeviceEvent, type DeviceEventType } from '../contracts/device-events';
import { emptyHtmModelRef, type HtmEvidence, htmModelParams } from '../detectors/htm';
import { withThresholdChanges } from '../detectors/threshold';
import { changedZScoreSettings, withPushedModel } from '../detectors/zscore';
import { applyEvidence, applyHeld, applyItems, type DeferredReading, type Outcome } from '../device/apply';
import { withJudgingChange } from '../device/judging';
import type { SourcedItem } from '../device/item';
import { unpackItems } from '../device/packed-items';
import { type DeviceState, initialDeviceState } from '../device/state';
import { withFormatDefaults } from '../device/settings';
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
import { SummaryPublisher } from './summary';

const activities = {
  // Publication and reads of the fleet defaults. Short, so a publication lost with a killed worker is retried soon; Kafka sends take milliseconds.
  // A regular activity, not a local one: a workflow task refused because a signal arrived meanwhile
  // runs its local activities again, and a batch was published twice; an activity's result is recorded once.
  quick: proxyActivities<ReturnType<typeof createActivities>>({ startToCloseTimeout: '10 seconds', retry: { initialInterval: '500 ms', maximumInterval: '30 seconds' } }),
  // Scoring may rebuild a model from its checkpoint first: seconds, not milliseconds. It heartbeats
  // while it works, so one lost with a killed worker is retried after seconds, not the full 2 minutes.
  scoring: proxyActivities<ReturnType<typeof createActivities>>({
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  }),
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
  /** Workflow time when open windows may next be re-published; local to this run. */
  private windowsDueAt = 0;

  constructor(private readonly input: Input) {
    this.state = input.state ?? initialDeviceState(input.deviceId, input.settings);
    this.pending = input.pending ?? [];
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

  /* ----- the loop's steps ----- */

  /** A new device starts with the fleet's `*` thresholds; changes received meanwhile win. */
  async start(): Promise<void> {
    if (!this.input.state) {
      const thresholds = this.state.settings.detectors.threshold;
      thresholds.defaults = { ...(await activities.quick.fleetThresholdDefaults(fleetWorkflowId(workflowInfo().taskQueue))), ...thresholds.defaults };
    }
    this.summary.publish(this.state, { force: true });
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Milliseconds until a timer is due (the connection's, or unpublished window changes'); undefined: none. */
  nextTimeout(): number | undefined {
    const timers = [this.connectionTimeout(), this.windowUpdateTimeout()].filter((t): t is number => t !== undefined);
    return timers.length === 0 ? undefined : Math.max(1, Math.min(...timers));
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
    // What must go out now: anomaly steps, connection events, late readings, closed hours. Open
    // windows ride along with those, and otherwise go out at most every `updateEveryMs`: most
    // batches publish nothing, and cost the server one workflow task.
    const { watermark } = state.clock;
    const closing = watermark !== null && hasHoursToClose(state.windows, watermark, state.settings.eventTime.allowedLatenessMs);
    const mustPublish = anomalies.length > 0 || deviceEvents.length > 0 || outcome.late.length > 0 || closing;
    const windowsDue = mustPublish || Date.now() >= this.windowsDueAt;
    if (windowsDue) await this.publish({ anomalies, aggregates: this.takeWindowUpdates(), deviceEvents, late: outcome.late });
    this.summary.publish(state, { quiet: !windowsDue });
  }

  /** A timer fired with nothing pending: window changes are due, or the connection is checked. Returns true when the device retires. */
  async onQuiet(): Promise<boolean> {
    if (this.windowUpdateTimeout() === 0) {
      // Idle with unpublished window changes: they go out now rather than wait for a reading.
      await this.publish({ anomalies: [], aggregates: this.takeWindowUpdates(), deviceEvents: [], late: [] });
      this.summary.publish(this.state);
      return false;
    }
    const retired = await this.checkConnection();
    this.summary.publish(this.state, { force: true });
    return retired;
  }

  /** Window changes not yet due go out now: the next run starts without this run's timer. */
  async beforeContinueAsNew(): Promise<void> {
    if (this.windowUpdateTimeout() !== undefined) await this.publish({ anomalies: [], aggregates: this.takeWindowUpdates(), deviceEvents: [], late: [] });
  }

  /** The next run's input: the state, and items that arrived while the last slice was published. */
  continuation(): Input {
    return { ...this.input, state: this.state, pending: this.pending.splice(0) };
  }

  /* ----- inside the steps ----- */

  private async publish(outputs: Outputs): Promise<void> {
    const late = { watermark: this.state.clock.watermark ?? 0, allowedLatenessMs: this.state.settings.eventTime.allowedLatenessMs };
    for (const publication of chunkPublications(outputs, late)) await activities.quick.publishBatch(publication);
  }

  /**
   * Scores the readings of deferred detectors field by field in the model store's worker, then
   * judges them. The state keeps only each model's checkpoint version and the readings since:
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
      const reply = await activities.scoring.scoreHtm({
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

  /** Milliseconds until unpublished window changes are due (0: now); undefined when there are none. */
  private windowUpdateTimeout(): number | undefined {
    const { changedHours, changedFields } = this.state.windows;
    if (changedHours.length === 0 && changedFields.length === 0) return undefined;
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

  /** On silence: DISCONNECTED after the disconnect timeout, retired (true) after the retire timeout. */
  private async checkConnection(): Promise<boolean> {
    const { connection } = this.state;
    const { disconnectAfterMs, retireAfterMs } = this.state.settings.connection;
    const since = this.silenceSince();
    if (since === null) return false;
    const silentFor = Date.now() - since;
    if (connection.status === 'CONNECTED' && silentFor >= disconnectAfterMs) {
      // Unkeyed readings still held for event-time order go first: nothing earlier is on its way.
      if (this.state.reorder.held.length > 0) {
        const appliedBefore = this.state.counters.readingsApplied;
        await this.publishOutcome(applyHeld(this.state), [], appliedBefore);
      }
      connection.status = 'DISCONNECTED';
      await this.publish({ anomalies: [], aggregates: [], deviceEvents: [this.connectionEvent('DISCONNECTED')], late: [] });
    } else if (connection.status === 'DISCONNECTED' && silentFor >= retireAfterMs) {
      await this.publish({ anomalies: [], aggregates: [], deviceEvents: [this.connectionEvent('RETIRED')], late: [] });
      return true;
    }
    return false;
  }

  private connectionEvent(type: DeviceEventType): DeviceEvent {
    return deviceEvent(this.state.deviceId, type, Date.now(), this.state.connection.lastSeenAt, this.state.clock.watermark);
  }
}
