import { z } from 'zod';
import { type Control, controlSchema, type ThresholdChange } from './control';
import { type IncidentStatus, openIncidentSchema, stepIncident } from './detectors/incident';
import { emptyThresholdMemory, judgeThreshold, thresholdMemorySchema, type ThresholdRule, thresholdRuleSchema, type ThresholdVerdict } from './detectors/threshold';
import { addValue, emptyM2, m2Schema } from './detectors/welford';
import {
  applySeasonalIForest,
  emptySeasonalIForestState,
  seasonalIForestConfigSchema,
  type SeasonalIForestResult,
  seasonalIForestStateSchema,
} from './detectors/seasonal-iforest';
import { addToWindows, emptyWindows, isTooLate, windowsStateSchema } from './detectors/windows';
import { judgeZScore, type ZScoreRule, zscoreRuleOverrideSchema, zscoreRuleSchema, type ZScoreVerdict } from './detectors/zscore';
import { type AnomalyEvent, anomalyId, connectionStatusSchema, type Detector } from './events';
import type { HtmResult } from './htm';
import { deviceIdSchema, fieldNameSchema, type Reading, type Source, sourcedReadingSchema, sourceSchema } from './reading';

export type { SourcedReading } from './reading';

export const zscoreConfigSchema = z.object({
  defaults: zscoreRuleSchema,
  /** Per-field overrides of the defaults (k, learn gate, …): each field's model is its own. */
  fields: z.record(fieldNameSchema, zscoreRuleOverrideSchema),
});
export type ZScoreConfig = z.infer<typeof zscoreConfigSchema>;

export const thresholdLayersSchema = z.object({
  /** The `*` rows: thresholds of every device that has none of its own for the field. */
  defaults: z.record(fieldNameSchema, thresholdRuleSchema),
  /** This device's own rows, which win over the defaults. */
  own: z.record(fieldNameSchema, thresholdRuleSchema),
});
export type ThresholdLayers = z.infer<typeof thresholdLayersSchema>;

export const connectionSettingsSchema = z.object({
  disconnectAfterMs: z.number().int().positive(),
  retireAfterMs: z.number().int().positive(),
});
export type ConnectionSettings = z.infer<typeof connectionSettingsSchema>;

const DEFAULT_WINDOW_UPDATE_EVERY_MS = 5_000;

export const eventTimeSettingsSchema = z.object({
  /** How far behind the device's newest reading a reading may be and still count. */
  allowedLatenessMs: z.number().int().positive(),
  /**
   * Open windows (and the search attributes' progress) are re-published at most this often, in
   * workflow time, unless an anomaly is published anyway: one Kafka publication per device every
   * few seconds instead of one per batch. Default for states from before it existed.
   */
  updateEveryMs: z.number().int().positive().default(DEFAULT_WINDOW_UPDATE_EVERY_MS),
});
export type EventTimeSettings = z.infer<typeof eventTimeSettingsSchema>;
export const defaultEventTimeSettings: EventTimeSettings = { allowedLatenessMs: 3600_000, updateEveryMs: DEFAULT_WINDOW_UPDATE_EVERY_MS };

/** Seed 003's detector runs on the named fields only: it needs seasonal data to mean anything. */
export const seasonalSettingsSchema = z.object({
  fields: z.array(fieldNameSchema),
  config: seasonalIForestConfigSchema,
});
export type SeasonalSettings = z.infer<typeof seasonalSettingsSchema>;
export const seasonalOff: SeasonalSettings = { fields: [], config: seasonalIForestConfigSchema.parse({}) };

/** Seed 002's HTM, on the named fields: scored in an activity, its model kept in the model store. */
export const htmSettingsSchema = z.object({
  fields: z.array(fieldNameSchema),
  /** NAB's final score (max of spatial anomaly and log-likelihood) at or above this is an anomaly. */
  threshold: z.number().gt(0).max(1).default(0.5),
  /** Readings between model checkpoints: what a crash replays at most. */
  checkpointEvery: z.number().int().positive().default(1000),
  /** The encoder's value range per field; a field without one learns it from its first readings. */
  ranges: z.record(fieldNameSchema, z.object({ min: z.number(), max: z.number() }).refine((r) => r.min < r.max, 'min must be below max')).default({}),
});
export type HtmSettings = z.infer<typeof htmSettingsSchema>;
export const htmOff: HtmSettings = htmSettingsSchema.parse({ fields: [] });

const htmQueuedSchema = z.object({ field: fieldNameSchema, ts: z.number(), value: z.number(), source: sourceSchema });
export type HtmQueued = z.infer<typeof htmQueuedSchema>;
/** What the HTM verdict needs of a model's result: the rest goes to the enriched topic only. */
export type HtmVerdictInput = Pick<HtmResult, 'rawScore' | 'likelihood' | 'logLikelihood' | 'spatialAnomaly' | 'score' | 'prediction'>;

/** Per HTM field: the checkpoint the model store holds, and every reading applied since, to rebuild from. */
const htmModelRefSchema = z.object({
  checkpointVersion: z.number().int().nonnegative(),
  sinceCheckpoint: z.array(z.tuple([z.number(), z.number()])),
});
export type HtmModelRef = z.infer<typeof htmModelRefSchema>;


/** A device's whole durable state: small enough to travel in workflow arguments and queries. */
export const deviceStateSchema = z.object({
  deviceId: deviceIdSchema,
  zscore: zscoreConfigSchema,
  thresholds: thresholdLayersSchema,
  models: z.record(z.string(), m2Schema),
  zscoreGoodStreak: z.record(z.string(), z.number().int()),
  thresholdMemory: z.record(z.string(), thresholdMemorySchema),
  /** The one open anomaly per `detector:field`. */
  incidents: z.record(z.string(), openIncidentSchema),
  /** Last applied offset per `topic:partition`: what makes re-delivered readings harmless. */
  applied: z.record(z.string(), z.number().int()),
  readingsApplied: z.number().int().nonnegative(),
  controlsApplied: z.number().int().nonnegative(),
  duplicatesSkipped: z.number().int().nonnegative(),
  /** Anomalies raised so far (each is one raised → … → resolved life). */
  anomalyCount: z.number().int().nonnegative(),
  lastReadingTs: z.number().nullable(),
  lastValues: z.record(z.string(), z.number()),
  /** Event time taken out of the window clock: the gaps across which the device was silent. */
  pausedMs: z.number().nonnegative(),
  connection: z.object({
    status: connectionStatusSchema,
    /** Workflow time of the last batch received. */
    lastSeenAt: z.number().nullable(),
    settings: connectionSettingsSchema,
  }),
  // Defaults let a state carried over from before event-time windows existed parse as it is.
  eventTime: eventTimeSettingsSchema.default(defaultEventTimeSettings),
  windows: windowsStateSchema.default(emptyWindows),
  seasonal: seasonalSettingsSchema.default(seasonalOff),
  /** Per field: the bounded history of readings the seasonal forest compares with. */
  seasonalHistory: z.record(z.string(), seasonalIForestStateSchema).default({}),
  /**
   * Event times of the device's latest readings (ascending; those within the allowed lateness,
   * up to RECENT_TIMES_KEPT, pruned in bulk): a device-stamped reading at one of them is a
   * re-sent duplicate.
   */
  recentTimes: z.array(z.number()).default([]),
  htm: htmSettingsSchema.default(htmOff),
  htmModels: z.record(z.string(), htmModelRefSchema).default({}),
  /** HTM readings applied but not yet scored: the workflow takes them after each batch. */
  htmQueue: z.array(htmQueuedSchema).default([]),
  /** Readings refused as too late so far; each was dead-lettered. */
  lateDropped: z.number().int().nonnegative().default(0),
  /** Too-late readings not yet dead-lettered: the workflow takes them after each batch. */
  lateReadings: z.array(sourcedReadingSchema).default([]),
});
export type DeviceState = z.infer<typeof deviceStateSchema>;

export function initialDeviceState(
  deviceId: string,
  zscore: ZScoreRule,
  connection: ConnectionSettings,
  thresholdDefaults: Record<string, ThresholdRule> = {},
  eventTime: EventTimeSettings = defaultEventTimeSettings,
  seasonal: SeasonalSettings = seasonalOff,
  htm: HtmSettings = htmOff,
): DeviceState {
  return {
    deviceId,
    zscore: { defaults: { ...zscore }, fields: {} },
    thresholds: { defaults: thresholdDefaults, own: {} },
    models: {},
    zscoreGoodStreak: {},
    thresholdMemory: {},
    incidents: {},
    applied: {},
    readingsApplied: 0,
    controlsApplied: 0,
    duplicatesSkipped: 0,
    anomalyCount: 0,
    lastReadingTs: null,
    lastValues: {},
    pausedMs: 0,
    connection: { status: 'NEW', lastSeenAt: null, settings: connection },
    eventTime: { ...eventTime },
    windows: emptyWindows(),
    seasonal: { fields: [...seasonal.fields], config: { ...seasonal.config } },
    seasonalHistory: {},
    recentTimes: [],
    htm: { ...htm, fields: [...htm.fields], ranges: { ...htm.ranges } },
    htmModels: {},
    htmQueue: [],
    lateDropped: 0,
    lateReadings: [],
  };
}

export function zscoreRuleFor(config: ZScoreConfig, field: string): ZScoreRule {
  return { ...config.defaults, ...config.fields[field] };
}

export function thresholdFor(layers: ThresholdLayers, field: string): ThresholdRule | undefined {
  return layers.own[field] ?? layers.defaults[field];
}

/** Applies threshold changes to one layer; `null` removes a field's rule. */
export function withThresholdChanges(layer: Record<string, ThresholdRule>, changes: ThresholdChange[]): Record<string, ThresholdRule> {
  const next = { ...layer };
  for (const { field, rule } of changes) {
    if (rule === null) delete next[field];
    else next[field] = rule;
  }
  return next;
}

/** What a signal delivers: a reading or a control message, with where it came from. */
export const sourcedItemSchema = z.union([
  sourcedReadingSchema,
  z.object({ source: sourceSchema, control: controlSchema }),
]);
export type SourcedItem = z.infer<typeof sourcedItemSchema>;

const sourceKey = (source: Source) => `${source.topic}:${source.partition}`;

/** True when this source offset has already changed the state (a re-delivery). */
export function isApplied(state: DeviceState, source: Source): boolean {
  const last = state.applied[sourceKey(source)];
  return last !== undefined && source.offset <= last;
}

/**
 * What one detector concluded about one field of an applied reading: the per-reading values
 * that anomaly events only summarise. The `score` backtest reads them through an observer, so
 * it runs this very code instead of a copy that could drift from it.
 */
export type DetectorOutput =
  /** `n` readings were in the model the value was judged against; no verdict while warming up. */
  | { detector: 'zscore'; field: string; n: number; verdict: ZScoreVerdict | undefined }
  | { detector: 'threshold'; field: string; verdict: ThresholdVerdict }
  | { detector: 'seasonal-iforest'; field: string; result: SeasonalIForestResult };
export type DetectorObserver = (output: DetectorOutput) => void;

/**
 * Applies one delivered item to the state in place and returns the anomaly events it causes.
 * Deterministic and free of I/O, so the workflow and the tests' reference runs share it.
 * `observe` only watches (the workflow passes none): it sees each detector's output per field.
 */
export function applyItem(state: DeviceState, item: SourcedItem, observe?: DetectorObserver): AnomalyEvent[] {
  if (isApplied(state, item.source)) {
    state.duplicatesSkipped += 1;
    return [];
  }
  state.applied[sourceKey(item.source)] = item.source.offset;
  if ('control' in item) {
    applyControl(state, item.control);
    return [];
  }
  return applyReading(state, item.reading, item.source, observe);
}

export function applyControl(state: DeviceState, control: Control): void {
  if (control.type === 'thresholds') {
    state.thresholds.own = withThresholdChanges(state.thresholds.own, control.changes);
  } else {
    state.models[control.field] = control.model;
  }
  state.controlsApplied += 1;
}


function applyReading(state: DeviceState, reading: Reading, source: Source, observe: DetectorObserver | undefined): AnomalyEvent[] {
  if (isTooLate(state.lastReadingTs, reading.ts, state.eventTime.allowedLatenessMs)) {
    // Its hour is final and the models have moved on: it is refused whole, and dead-lettered.
    state.lateDropped += 1;
    state.lateReadings.push({ source, reading });
    return [];
  }
  if (reading.clock !== 'broker' && isResent(state, reading.ts)) {
    // A device reports one reading per instant: the same event time again is the same reading
    // sent twice (a replayed file, a retrying producer), so it is applied once.
    state.duplicatesSkipped += 1;
    return [];
  }
  const events: AnomalyEvent[] = [];
  if (state.connection.status === 'DISCONNECTED' && state.lastReadingTs !== null) {
    // Silence is not recovery: the window clock stands still across the gap.
    state.pausedMs += Math.max(0, reading.ts - state.lastReadingTs);
  }
  state.connection.status = 'CONNECTED';
  const activeTs = reading.ts - state.pausedMs;
  const lifecycle = (detector: Detector, field: string, value: number, verdict: Verdict, explanation: AnomalyEvent['explanation']) =>
    events.push(...stepLifecycle(state, { detector, field, ts: reading.ts, value, source }, verdict, explanation));

  for (const [field, value] of Object.entries(reading.values)) {
    const model = state.models[field] ?? emptyM2();
    const rule = zscoreRuleFor(state.zscore, field);
    const z = judgeZScore(model, value, rule);
    observe?.({ detector: 'zscore', field, n: model.n, verdict: z });
    const anomalous = z?.anomalous ?? false;
    const goodStreak = anomalous ? 0 : (state.zscoreGoodStreak[field] ?? 0) + 1;
    state.zscoreGoodStreak[field] = goodStreak;
    if (z) {
      lifecycle('zscore', field, value, { firing: anomalous, violated: anomalous, clears: !anomalous && goodStreak >= rule.clearAfter, side: anomalous ? (value > z.mean ? 'high' : 'low') : null }, {
        kind: 'zscore', n: model.n, mean: z.mean, stdev: z.stdev, z: z.z, k: rule.k, direction: rule.direction, lower: z.lower, upper: z.upper,
      });
    }
    const learn = !anomalous || rule.learnAnomalies;
    state.models[field] = learn ? addValue(model, value) : model;

    const threshold = thresholdFor(state.thresholds, field);
    if (!threshold && state.incidents[`threshold:${field}`]) {
      // Its rule was removed: the open anomaly resolves instead of staying open for ever.
      delete state.thresholdMemory[field];
      lifecycle('threshold', field, value, { firing: false, violated: false, clears: true, side: null }, {
        kind: 'threshold', low: null, high: null, rule: 'each', n: 0, windowMs: 0, violationsInWindow: 0, consecutive: 0,
      });
    }
    if (threshold) {
      const open = state.incidents[`threshold:${field}`];
      const judged = judgeThreshold(threshold, state.thresholdMemory[field] ?? emptyThresholdMemory(), value, activeTs, open?.side ?? null);
      state.thresholdMemory[field] = judged.memory;
      observe?.({ detector: 'threshold', field, verdict: judged.verdict });
      lifecycle('threshold', field, value, judged.verdict, {
        kind: 'threshold', low: threshold.low, high: threshold.high, rule: threshold.rule, n: threshold.n, windowMs: threshold.windowMs,
        violationsInWindow: judged.verdict.violationsInWindow, consecutive: judged.verdict.consecutive,
      });
    }
    if (state.seasonal.fields.includes(field)) {
      const history = (state.seasonalHistory[field] ??= emptySeasonalIForestState(state.seasonal.config));
      const judged = applySeasonalIForest(history, reading.ts, value, state.seasonal.config);
      observe?.({ detector: 'seasonal-iforest', field, result: judged });
      if (judged.fitted || state.incidents[`seasonal-iforest:${field}`]) {
        lifecycle('seasonal-iforest', field, value, { firing: judged.outlier, violated: judged.outlier, clears: !judged.outlier, side: judged.outlier ? sideOf(value, judged.comparablesMean) : null }, {
          kind: 'seasonal-iforest', score: judged.score ?? 0, slot: judged.slot, comparables: judged.comparables,
          comparablesMin: judged.comparablesMin ?? value, comparablesMax: judged.comparablesMax ?? value, comparablesMean: judged.comparablesMean ?? value,
          historyDays: state.seasonal.config.historyDays,
        });
      }
    }
    if (state.htm.fields.includes(field)) state.htmQueue.push({ field, ts: reading.ts, value, source });
    state.lastValues[field] = value;
    addToWindows(state.windows, field, reading.ts, value, events.some((e) => e.field === field && e.status === 'raised'));
  }
  state.readingsApplied += 1;
  state.lastReadingTs = Math.max(state.lastReadingTs ?? reading.ts, reading.ts);
  return events;
}

type Verdict = Parameters<typeof stepIncident>[1];

/** One detector's verdict on one reading, through the open anomaly of (detector, field). */
function stepLifecycle(
  state: DeviceState,
  at: { detector: Detector; field: string; ts: number; value: number; source: Source },
  verdict: Verdict,
  explanation: AnomalyEvent['explanation'],
): AnomalyEvent[] {
  const { detector, field, ts, value, source } = at;
  const key = `${detector}:${field}`;
  const step = stepIncident(state.incidents[key], verdict, { anomalyId: anomalyId(detector, state.deviceId, field, source), ts, value });
  const open = step.open ?? state.incidents[key];
  if (step.open) state.incidents[key] = step.open;
  else delete state.incidents[key];
  if (step.status === 'raised') state.anomalyCount += 1;
  return step.status && open ? [anomalyEvent(state.deviceId, detector, field, step.status, open.anomalyId, ts, value, source, explanation)] : [];
}

/**
 * The HTM verdicts of readings scored outside the workflow (in an activity, in the order they
 * were applied): anomalous when NAB's final score reaches the threshold.
 */
export function applyHtmResults(state: DeviceState, scored: Array<{ reading: HtmQueued; result: HtmVerdictInput }>): AnomalyEvent[] {
  const { threshold } = state.htm;
  return scored.flatMap(({ reading, result }) => {
    const anomalous = result.rawScore !== null && result.score >= threshold;
    return stepLifecycle(state, { detector: 'htm', ...reading }, { firing: anomalous, violated: anomalous, clears: !anomalous, side: anomalous ? 'high' : null }, {
      kind: 'htm', score: result.score, threshold, rawScore: result.rawScore, likelihood: result.likelihood, logLikelihood: result.logLikelihood,
      spatialAnomaly: result.spatialAnomaly, prediction: result.prediction,
    });
  });
}

const RECENT_TIMES_KEPT = 4096;
/** Pruning waits for this many surplus times, so an in-order stream appends instead of shifting. */
const RECENT_TIMES_SLACK = 512;

/** True when the event time was seen recently; otherwise remembers it. */
function isResent(state: DeviceState, ts: number): boolean {
  const times = state.recentTimes;
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! < ts) low = mid + 1;
    else high = mid;
  }
  if (times[low] === ts) return true;
  times.splice(low, 0, ts);
  // A time older than the lateness horizon can never match again (such a reading is refused as
  // too late before it gets here), so stale times are dropped in bulk, not one per reading.
  const horizon = Math.max(ts, state.lastReadingTs ?? ts) - state.eventTime.allowedLatenessMs;
  const stale = times[0]! < horizon - state.eventTime.allowedLatenessMs;
  if (stale || times.length > RECENT_TIMES_KEPT + RECENT_TIMES_SLACK) {
    let expired = 0;
    while (expired < times.length && (times[expired]! < horizon || times.length - expired > RECENT_TIMES_KEPT)) expired++;
    times.splice(0, expired);
  }
  return false;
}

const sideOf = (value: number, mean: number | undefined): 'high' | 'low' => (mean === undefined || value >= mean ? 'high' : 'low');

function anomalyEvent(
  deviceId: string,
  detector: Detector,
  field: string,
  status: IncidentStatus,
  id: string,
  ts: number,
  value: number,
  source: Source,
  explanation: AnomalyEvent['explanation'],
): AnomalyEvent {
  const eventId = status === 'raised' ? `${id}/raised` : `${id}/${status}/${source.topic}/${source.partition}/${source.offset}`;
  return { eventId, anomalyId: id, status, deviceId, detector, field, ts, value, explanation, source };
}
