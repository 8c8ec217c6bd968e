import { z } from 'zod';
import { deviceIdSchema } from '../reading';
import type { InputFormat } from './format';
import { Rejection } from './rejection';
import { parseJson } from './message';
import { isKnownTimeZone, parseWallTime, formatWallTime, wallTimeInstants } from '../time/wall-time';

/** Settings of the usage format, whose rows carry neither a zone nor a device id. */
export const usageSettingsSchema = z.object({
  /** IANA zone of the rows' naive wall times; the meter CSV's columns are Eastern time. */
  timeZone: z.string().min(1).refine(isKnownTimeZone, 'not a time zone this runtime knows, e.g. America/New_York'),
  /** The device of messages without a key (the meter replay's producer sends none); unset: they are rejected. */
  deviceId: deviceIdSchema.optional(),
});

/** The device a meter's unkeyed messages are, unless configured (VIGIL_USAGE_DEVICE_ID): one producer, one meter. */
export const DEFAULT_USAGE_DEVICE_ID = 'meter';
export type UsageSettings = z.infer<typeof usageSettingsSchema>;

export const defaultUsageSettings: UsageSettings = { timeZone: 'America/New_York', deviceId: DEFAULT_USAGE_DEVICE_ID };

/** The attribute that says a message wrote its value as an integer (Python's int). */
export const USAGE_INT_ATTR = 'valueIsInt';

/** The meter CSV's columns; the wall times are Eastern time, as their names say. */
export const usageCsvColumns = ['usage_datetime_start_eastern_time', 'usage_datetime_end_eastern_time', 'usage_kw'] as const;

const WALL_TIME_HINT = 'ts must be a wall time "YYYY-MM-DD HH:MM:SS", e.g. 2024-01-08 08:10:00';

/** A meter message `{ts: "YYYY-MM-DD HH:MM:SS", value}`, its ts read in the configured zone. */
export function usageWireSchema(timeZone: string) {
  return z.object({
    ts: z.string().transform((ts, context) => {
      const wallAsUtc = parseWallTime(ts.trim());
      if (wallAsUtc === undefined) {
        context.addIssue({ code: 'custom', message: WALL_TIME_HINT });
        return z.NEVER;
      }
      const [instant, repeatedAs] = wallTimeInstants(wallAsUtc, timeZone);
      if (instant === undefined) {
        context.addIssue({ code: 'custom', message: `${formatWallTime(wallAsUtc)} does not exist in ${timeZone}: the clocks skip it when daylight saving time begins` });
        return z.NEVER;
      }
      return { instant, repeatedAs };
    }),
    value: z.number().refine(Number.isFinite, 'value is not a finite number'),
    /** Set by the parser: `value` was written as an integer (`412`, which Python reads as an int), not `412.0`. */
    valueIsInt: z.literal(true).optional(),
  });
}
export type UsageWireSchema = ReturnType<typeof usageWireSchema>;

/** Plain decimals only: Number() would also take '', hex and binary. */
function decimal(text: string | undefined): number {
  const trimmed = (text ?? '').trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/**
 * Electricity usage from a meter's 5-minute rows: one `usage` field per row. The rows name no device, so
 * the message key does, or `settings.deviceId` when a producer sends no key.
 */
export function usageFormat(settings: UsageSettings): InputFormat<UsageWireSchema> {
  const deviceIdFromKey = (key: string | undefined): string => {
    const deviceId = key === undefined || key === '' ? settings.deviceId : key;
    if (deviceId === undefined) throw new Rejection('missing-key', 'the message has no key and the default usage device is switched off (VIGIL_USAGE_DEVICE_ID=none)');
    return deviceId;
  };
  return {
    name: 'usage',
    wire: 'json',
    wireSchema: usageWireSchema(settings.timeZone),
    deviceIdFromKey,
    parseText: (text) => {
      const json = parseJson(text);
      // Python reads `412` as an int and `412.0` as a float, and writes them back so: the meter's
      // anomaly output gives the value back as a Python consumer would (drop-in/meter-anomalies.ts).
      const integral = json !== null && typeof json === 'object' && Number.isInteger((json as { value?: unknown }).value) && /"value"\s*:\s*-?\d+\s*[,}]/.test(text);
      return integral ? { ...json, valueIsInt: true } : json;
    },
    // Usage is seasonal (a building's day and week): z-score on it flags every daily peak.
    judging: { usage: ['seasonal-iforest'] },
    toReading: ({ ts, value, valueIsInt }, meta) => ({
      deviceId: deviceIdFromKey(meta.key),
      ts: ts.instant,
      values: { usage: value },
      ...(valueIsInt ? { attrs: { [USAGE_INT_ATTR]: 'true' } } : {}),
      ...(ts.repeatedAs === undefined ? {} : { repeatedAs: ts.repeatedAs }),
    }),
    // The meter CSV, or one already in the message's own {ts, value} columns.
    fromCsvRow: (row) => ({
      ts: (row.usage_datetime_start_eastern_time ?? row.ts ?? '').trim(),
      value: decimal(row.usage_kw ?? row.value),
    }),
  };
}
