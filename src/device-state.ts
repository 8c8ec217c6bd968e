import { z } from 'zod';
import { type Control, controlSchema, type ThresholdChange } from './control';
import { type IncidentStatus, openIncidentSchema, stepIncident } from './detectors/incident';
import { emptyThresholdMemory, judgeThreshold, thresholdMemorySchema, type ThresholdRule, thresholdRuleSchema } from './detectors/threshold';
import { addValue, emptyM2, m2Schema } from './detectors/welford';
import { applySeasonalIForest, emptySeasonalIForestState, seasonalIForestConfigSchema, seasonalIForestStateSchema } from './detectors/seasonal-iforest';
import { addToWindows, emptyWindows, isTooLate, windowsStateSchema } from './detectors/windows';
import { judgeZScore, type ZScoreRule, zscoreRuleOverrideSchema, zscoreRuleSchema } from './detectors/zscore';
import { type AnomalyEvent, anomalyId, connectionStatusSchema, type Detector } from './events';
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

export const eventTimeSettingsSchema = z.object({
  /** How far behind the device's newest reading a reading may be and still count. */
  allowedLatenessMs: z.number().int().positive(),
});
export type EventTimeSettings = z.infer<typeof eventTimeSettingsSchema>;
export const defaultEventTimeSettings: EventTimeSettings = { allowedLatenessMs: 3600_000 };

/** Seed 003's detector runs on the named fields only: it needs seasonal data to mean anything. */
export const seasonalSettingsSchema = z.object({
  fields: z.array(fieldNameSchema),
  config: seasonalIForestConfigSchema,
});
export type SeasonalSettings = z.infer<typeof seasonalSettingsSchema>;
export const seasonalOff: SeasonalSettings = { fields: [], config: seasonalIForestConfigSchema.parse({}) };


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
   * Event times of the device's latest readings (ascending; within the allowed lateness, at
   * most RECENT_TIMES_KEPT): a device-stamped reading at one of them is a re-sent duplicate.
   */
  recentTimes: z.array(z.number()).default([]),
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
 * Applies one delivered item to the state in place and returns the anomaly events it causes.
 * Deterministic and free of I/O, so the workflow and the tests' reference runs share it.
 */
export function applyItem(state: DeviceState, item: SourcedItem): AnomalyEvent[] {
  if (isApplied(state, item.source)) {
    state.duplicatesSkipped += 1;
    return [];
  }
  state.applied[sourceKey(item.source)] = item.source.offset;
  if ('control' in item) {
    applyControl(state, item.control);
    return [];
  }
  return applyReading(state, item.reading, item.source);
}

export function applyControl(state: DeviceState, control: Control): void {
  if (control.type === 'thresholds') {
    state.thresholds.own = withThresholdChanges(state.thresholds.own, control.changes);
  } else {
    state.models[control.field] = control.model;
  }
  state.controlsApplied += 1;
}


function applyReading(state: DeviceState, reading: Reading, source: Source): AnomalyEvent[] {
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
  const lifecycle = (detector: Detector, field: string, value: number, verdict: Parameters<typeof stepIncident>[1], explanation: AnomalyEvent['explanation']) => {
    const key = `${detector}:${field}`;
    const step = stepIncident(state.incidents[key], verdict, { anomalyId: anomalyId(detector, state.deviceId, field, source), ts: reading.ts, value });
    const open = step.open ?? state.incidents[key];
    if (step.open) state.incidents[key] = step.open;
    else delete state.incidents[key];
    if (step.status && open) events.push(anomalyEvent(state.deviceId, detector, field, step.status, open.anomalyId, reading.ts, value, source, explanation));
    if (step.status === 'raised') state.anomalyCount += 1;
  };

  for (const [field, value] of Object.entries(reading.values)) {
    const model = state.models[field] ?? emptyM2();
    const rule = zscoreRuleFor(state.zscore, field);
    const z = judgeZScore(model, value, rule);
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
      lifecycle('threshold', field, value, judged.verdict, {
        kind: 'threshold', low: threshold.low, high: threshold.high, rule: threshold.rule, n: threshold.n, windowMs: threshold.windowMs,
        violationsInWindow: judged.verdict.violationsInWindow, consecutive: judged.verdict.consecutive,
      });
    }
    if (state.seasonal.fields.includes(field)) {
      const history = (state.seasonalHistory[field] ??= emptySeasonalIForestState(state.seasonal.config));
      const judged = applySeasonalIForest(history, reading.ts, value, state.seasonal.config);
      if (judged.fitted || state.incidents[`seasonal-iforest:${field}`]) {
        lifecycle('seasonal-iforest', field, value, { firing: judged.outlier, violated: judged.outlier, clears: !judged.outlier, side: judged.outlier ? sideOf(value, judged.comparablesMean) : null }, {
          kind: 'seasonal-iforest', score: judged.score ?? 0, slot: judged.slot, comparables: judged.comparables,
          comparablesMin: judged.comparablesMin ?? value, comparablesMax: judged.comparablesMax ?? value, comparablesMean: judged.comparablesMean ?? value,
          historyDays: state.seasonal.config.historyDays,
        });
      }
    }
    state.lastValues[field] = value;
    addToWindows(state.windows, field, reading.ts, value, events.some((e) => e.field === field && e.status === 'raised'));
  }
  state.readingsApplied += 1;
  state.lastReadingTs = Math.max(state.lastReadingTs ?? reading.ts, reading.ts);
  return events;
}

const RECENT_TIMES_KEPT = 4096;

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
  const horizon = Math.max(ts, state.lastReadingTs ?? ts) - state.eventTime.allowedLatenessMs;
  let expired = 0;
  while (expired < times.length && (times[expired]! < horizon || times.length - expired > RECENT_TIMES_KEPT)) expired++;
  if (expired > 0) times.splice(0, expired);
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
