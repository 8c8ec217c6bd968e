import { z } from 'zod';
import { addValue, emptyM2, m2Schema } from './detectors/welford';
import { judgeZScore, type ZScoreRule, zscoreRuleSchema } from './detectors/zscore';
import { type AnomalyEvent, anomalyEventId } from './events';
import { deviceIdSchema, fieldNameSchema, type Source, type SourcedReading } from './reading';

export const zscoreConfigSchema = z.object({
  defaults: zscoreRuleSchema,
  /** Per-field overrides of the defaults. */
  fields: z.record(fieldNameSchema, zscoreRuleSchema.partial()),
  /** The learn gate: whether an anomalous value still teaches the baseline. */
  learnAnomalies: z.boolean(),
});
export type ZScoreConfig = z.infer<typeof zscoreConfigSchema>;

/** A device's whole durable state: small enough to travel in workflow arguments and queries. */
export const deviceStateSchema = z.object({
  deviceId: deviceIdSchema,
  zscore: zscoreConfigSchema,
  models: z.record(z.string(), m2Schema),
  /** Last applied offset per `topic:partition`: what makes re-delivered readings harmless. */
  applied: z.record(z.string(), z.number().int()),
  readingsApplied: z.number().int().nonnegative(),
  duplicatesSkipped: z.number().int().nonnegative(),
  anomalyCount: z.number().int().nonnegative(),
  lastReadingTs: z.number().nullable(),
  lastValues: z.record(z.string(), z.number()),
});
export type DeviceState = z.infer<typeof deviceStateSchema>;

export function initialDeviceState(deviceId: string, defaults: ZScoreRule): DeviceState {
  return {
    deviceId,
    zscore: { defaults, fields: {}, learnAnomalies: false },
    models: {},
    applied: {},
    readingsApplied: 0,
    duplicatesSkipped: 0,
    anomalyCount: 0,
    lastReadingTs: null,
    lastValues: {},
  };
}

export function zscoreRuleFor(config: ZScoreConfig, field: string): ZScoreRule {
  return { ...config.defaults, ...config.fields[field] };
}

const sourceKey = (source: Source) => `${source.topic}:${source.partition}`;

/** True when this source offset has already changed the state (a re-delivery). */
export function isApplied(state: DeviceState, source: Source): boolean {
  const last = state.applied[sourceKey(source)];
  return last !== undefined && source.offset <= last;
}

/**
 * Applies one reading to the state in place and returns the anomalies it raised.
 * Deterministic and free of I/O, so the workflow and the tests' reference runs share it.
 */
export function applyReading(state: DeviceState, { source, reading }: SourcedReading): AnomalyEvent[] {
  if (isApplied(state, source)) {
    state.duplicatesSkipped += 1;
    return [];
  }
  const anomalies: AnomalyEvent[] = [];
  for (const [field, value] of Object.entries(reading.values)) {
    const model = state.models[field] ?? emptyM2();
    const rule = zscoreRuleFor(state.zscore, field);
    const verdict = judgeZScore(model, value, rule);
    if (verdict?.anomalous) {
      anomalies.push({
        eventId: anomalyEventId('zscore', state.deviceId, field, source),
        deviceId: state.deviceId,
        detector: 'zscore',
        field,
        ts: reading.ts,
        value,
        baseline: { n: model.n, mean: verdict.mean, stdev: verdict.stdev, z: verdict.z },
        rule: { k: rule.k, direction: rule.direction, lower: verdict.lower, upper: verdict.upper },
        source,
      });
    }
    const learn = !verdict?.anomalous || state.zscore.learnAnomalies;
    state.models[field] = learn ? addValue(model, value) : model;
    state.lastValues[field] = value;
  }
  state.applied[sourceKey(source)] = source.offset;
  state.readingsApplied += 1;
  state.anomalyCount += anomalies.length;
  state.lastReadingTs = Math.max(state.lastReadingTs ?? reading.ts, reading.ts);
  return anomalies;
}
