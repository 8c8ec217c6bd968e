/**
 * The one deterministic core that the device workflow, the tests' reference runs and the
 * backtest (`bin/vigil score`) all run, so they cannot drift apart: how one delivered item (a
 * reading or a control message) changes a device's state, and which anomaly steps it causes.
 * Free of I/O, clocks and randomness; it changes the state it is given in place.
 *
 * Per reading: the lateness and duplicate rules, then each registered detector on each field
 * (registry order), each verdict stepped through the one open anomaly per (detector, field),
 * then the event-time windows. Deferred detectors (HTM) get the reading queued instead; their
 * verdicts come later through `applyEvidence`, in the order the readings were applied.
 */
import { type AnomalyEvent, anomalyEvent, anomalyIdFor } from '../contracts/anomalies';
import type { Verdict } from '../detectors/detector';
import { stepIncident } from '../detectors/incident';
import { type AnyDetector, type DetectorName, detectorNamed, detectors, type Explanation } from '../detectors/registry';
import { withThresholdChanges } from '../detectors/threshold';
import { pushedModelRule, withPushedModel } from '../detectors/zscore';
import type { Reading, Source, SourcedReading } from '../reading';
import type { Control } from './control';
import type { DeliveredReading, SourcedItem } from './item';
import { detectorsJudging, withJudgingChange } from './judging';
import { hasRecentTime, isApplied, isResent, markApplied } from './ledger';
import { addToReport } from './anomaly-report';
import { hold, release, releaseAll } from './reorder';
import type { DeviceState } from './state';
import { addToWindows, isTooLate } from './windows';

/** A reading of a deferred detector's field, waiting for its scorer's evidence. */
export interface DeferredReading {
  detector: DetectorName;
  field: string;
  ts: number;
  value: number;
  source: Source;
  /** The reading's attributes, for the outputs that carry them (the EPA record's columns). */
  attrs?: Record<string, string>;
}

/** What applying items caused, besides the state's change. */
export interface Outcome {
  anomalies: AnomalyEvent[];
  /** Readings refused as too late: the caller dead-letters them. */
  late: SourcedReading[];
  /** Readings whose deferred detectors await evidence (see applyEvidence). */
  deferred: DeferredReading[];
}

/** Each detector's per-reading observation (what the backtest prints); the workflow passes none. */
export type DetectorObserver = (output: { detector: DetectorName; field: string; observation: unknown }) => void;

export interface ApplyOptions {
  /** Only watches: it sees each detector's output per field. */
  observe?: DetectorObserver;
  /** Runs this detector alone (the backtest of one detector); by default all of them. */
  only?: DetectorName;
  /** The workflow's time: unkeyed readings wait `reorderWaitMs` of it (reorder.ts); none in reference runs and backtests. */
  now?: number;
}

const inline = detectors.filter((d) => !d.deferred) as readonly AnyDetector[];
const deferred = detectors.filter((d) => d.deferred) as readonly AnyDetector[];

/** Applies items in order; see `applyItem`. */
export function applyItems(state: DeviceState, items: readonly SourcedItem[], options: ApplyOptions = {}): Outcome {
  const outcome: Outcome = { anomalies: [], late: [], deferred: [] };
  for (const item of items) applyItem(state, item, options, outcome);
  // Held readings whose wait is over go even when this batch brought no unkeyed reading.
  if (state.reorder.held.length > 0) applyReleased(state, options, outcome);
  return outcome;
}

/**
 * Applies one delivered item to the state in place, unless its offset was applied before, and
 * adds what it caused to `outcome`. An unkeyed reading is taken into the device's event-time
 * merge (reorder.ts) and applied when the merge lets it go, perhaps with others, perhaps later.
 */
export function applyItem(state: DeviceState, item: SourcedItem, options: ApplyOptions = {}, outcome: Outcome = { anomalies: [], late: [], deferred: [] }): Outcome {
  if (isApplied(state.ledger, item.source)) {
    state.counters.duplicatesSkipped += 1;
    return outcome;
  }
  // Held readings count as taken: the state that holds them is as durable as the ledger.
  markApplied(state.ledger, item.source);
  if ('control' in item) applyControl(state, item.control);
  else if (item.unkeyed) {
    hold(state.reorder, secondPassOf(state, item), options.now);
    // A held reading is a sign of life too: the silence timer must run for what is held.
    markConnected(state, item.reading.ts);
    applyReleased(state, options, outcome);
  } else applyReading(state, item.reading, item.source, options, outcome);
  return outcome;
}

/**
 * An unkeyed reading of the repeated autumn hour, at its later instant when a reading at its
 * first is held or applied already: it must take its place in event-time order as the second pass.
 */
function secondPassOf(state: DeviceState, item: DeliveredReading): DeliveredReading {
  const { reading } = item;
  if (reading.repeatedAs === undefined) return item;
  const taken = hasRecentTime(state.ledger, reading.ts) || state.reorder.held.some((h) => h.reading.ts === reading.ts);
  if (!taken) return item;
  const { repeatedAs, ...rest } = reading;
  return { ...item, reading: { ...rest, ts: repeatedAs } };
}

/** Applies the held unkeyed readings the event-time merge lets go now. */
function applyReleased(state: DeviceState, options: ApplyOptions, outcome: Outcome): void {
  const { allowedLatenessMs, reorderWaitMs } = state.settings.eventTime;
  for (const released of release(state.reorder, allowedLatenessMs, { now: options.now, waitMs: reorderWaitMs })) applyReading(state, released.reading, released.source, options, outcome);
}

/** A reading came: the device is CONNECTED; after a silence, the window rules' clock skips the gap. */
function markConnected(state: DeviceState, ts: number): void {
  const { clock } = state;
  if (state.connection.status === 'DISCONNECTED' && clock.watermark !== null) {
    // Silence is not recovery: the window clock stands still across the gap.
    clock.pausedMs += Math.max(0, ts - clock.watermark);
  }
  state.connection.status = 'CONNECTED';
}

/** Applies every held unkeyed reading, in event-time order: the device fell silent, so no earlier one is on its way. */
export function applyHeld(state: DeviceState, options: ApplyOptions = {}): Outcome {
  const outcome: Outcome = { anomalies: [], late: [], deferred: [] };
  for (const released of releaseAll(state.reorder)) applyReading(state, released.reading, released.source, options, outcome);
  return outcome;
}

export function applyControl(state: DeviceState, control: Control): void {
  if (control.type === 'thresholds') {
    const thresholds = state.settings.detectors.threshold;
    thresholds.own = withThresholdChanges(thresholds.own, control.changes);
  } else if (control.type === 'detectors') {
    state.settings.judging = withJudgingChange(state.settings.judging, control.field, control.detectors);
  } else {
    state.memories.zscore[control.field] = withPushedModel(state.memories.zscore[control.field], control.model, control.fixed === true);
    if (control.fixed) {
      const zscore = state.settings.detectors.zscore;
      zscore.fields[control.field] = { ...zscore.fields[control.field], ...pushedModelRule };
    }
  }
  state.counters.controlsApplied += 1;
}

function applyReading(state: DeviceState, given: Reading, source: Source, { observe, only }: ApplyOptions, outcome: Outcome): void {
  let reading = given;
  const { clock, counters } = state;
  const { allowedLatenessMs } = state.settings.eventTime;
  if (isTooLate(clock.watermark, reading.ts, allowedLatenessMs)) {
    // Its hour is final and the models have moved on: it is refused whole, and dead-lettered.
    counters.lateDropped += 1;
    outcome.late.push({ source, reading });
    return;
  }
  if (reading.clock !== 'broker' && isResent(state.ledger, reading.ts, clock.watermark, allowedLatenessMs)) {
    if (reading.repeatedAs !== undefined && !isResent(state.ledger, reading.repeatedAs, clock.watermark, allowedLatenessMs)) {
      // The repeated autumn hour's second pass: the same wall time, its later instant.
      const { repeatedAs, ...rest } = reading;
      reading = { ...rest, ts: repeatedAs };
    } else {
      // A device reports one reading per instant: the same event time again is the same reading
      // sent twice (a replayed file, a retrying producer), so it is applied once.
      counters.duplicatesSkipped += 1;
      return;
    }
  }
  markConnected(state, reading.ts);
  const activeTs = reading.ts - clock.pausedMs;

  for (const [field, value] of Object.entries(reading.values)) {
    const raisedBefore = outcome.anomalies.length;
    const judging = detectorsJudging(state.settings.judging, state.settings.detectors, field);
    for (const detector of inline) {
      if (only !== undefined && detector.name !== only) continue;
      judgeField(state, detector, judging.includes(detector.name), { field, ts: reading.ts, value, activeTs, evidence: undefined, attrs: reading.attrs }, source, observe, outcome.anomalies);
    }
    for (const detector of deferred) {
      if (only !== undefined && detector.name !== only) continue;
      if (judging.includes(detector.name)) outcome.deferred.push({ detector: detector.name, field, ts: reading.ts, value, source, ...(reading.attrs ? { attrs: reading.attrs } : {}) });
    }
    state.lastValues[field] = value;
    // Anomalous: some detector raised or updated an anomaly with it (the last-minute report counts readings, not anomalies).
    const steps = outcome.anomalies.slice(raisedBefore);
    const anomalous = steps.some((e) => e.status !== 'resolved');
    // The sensor notebook's report, judged against the watermark before this reading (Spark's: the batches before).
    for (const step of steps) addToReport(state.report, step, clock.watermark);
    addToWindows(state.windows, field, reading.ts, value, anomalous);
  }
  counters.readingsApplied += 1;
  clock.watermark = Math.max(clock.watermark ?? reading.ts, reading.ts);
}

/**
 * The verdicts of a deferred detector on readings applied earlier (in the order they were
 * applied), from the evidence its scorer computed for each.
 */
export function applyEvidence(state: DeviceState, name: DetectorName, scored: ReadonlyArray<{ reading: DeferredReading; evidence: unknown }>, observe?: DetectorObserver): AnomalyEvent[] {
  const detector = detectorNamed(name);
  const anomalies: AnomalyEvent[] = [];
  for (const { reading, evidence } of scored) {
    // activeTs serves window rules, which a deferred detector does not have.
    judgeField(state, detector, true, { field: reading.field, ts: reading.ts, value: reading.value, activeTs: reading.ts, evidence, attrs: reading.attrs }, reading.source, observe, anomalies);
  }
  return anomalies;
}

/** One detector on one field of a reading: its memory, its verdict through the anomaly lifecycle. */
function judgeField(
  state: DeviceState,
  detector: AnyDetector,
  judges: boolean,
  reading: { field: string; ts: number; value: number; activeTs: number; evidence: unknown; attrs: Record<string, string> | undefined },
  source: Source,
  observe: DetectorObserver | undefined,
  anomalies: AnomalyEvent[],
): void {
  const { field } = reading;
  const settings = state.settings.detectors[detector.name];
  const memories: Record<string, unknown> = state.memories[detector.name];
  const key = incidentKey(detector.name, field);
  if (!judges) {
    // It no longer judges the field (a threshold removed, other detectors chosen): an open anomaly resolves.
    if (state.incidents[key]) {
      const explanation = detector.release(settings, memories[field], field);
      delete memories[field];
      anomalies.push(...stepLifecycle(state, detector.name, reading, source, { firing: false, violated: false, clears: true, side: null }, explanation));
    }
    return;
  }
  const judged = detector.judge(memories[field], reading, { settings, openSide: state.incidents[key]?.side ?? null });
  if (judged.memory === undefined) delete memories[field];
  else memories[field] = judged.memory;
  observe?.({ detector: detector.name, field, observation: judged.observation });
  if (judged.finding) anomalies.push(...stepLifecycle(state, detector.name, reading, source, judged.finding.verdict, judged.finding.explanation));
}

export const incidentKey = (detector: DetectorName, field: string) => `${detector}:${field}`;

/** One detector's verdict on one reading, through the open anomaly of (detector, field). */
function stepLifecycle(
  state: DeviceState,
  detector: DetectorName,
  { field, ts, value, attrs }: { field: string; ts: number; value: number; attrs: Record<string, string> | undefined },
  source: Source,
  verdict: Verdict,
  explanation: Explanation,
): AnomalyEvent[] {
  const key = incidentKey(detector, field);
  const step = stepIncident(state.incidents[key], verdict, { anomalyId: anomalyIdFor(detector, state.deviceId, field, source), ts, value });
  const open = step.open ?? state.incidents[key];
  if (step.open) state.incidents[key] = step.open;
  else delete state.incidents[key];
  if (step.status === 'raised') state.counters.anomalyCount += 1;
  if (!step.status || !open) return [];
  return [anomalyEvent({ anomalyId: open.anomalyId, status: step.status, deviceId: state.deviceId, detector, field, ts, value, explanation, source, attrs })];
}
