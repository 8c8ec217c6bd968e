import { usageCsvColumns } from '../formats/usage';
import { formatWallTime, parseWallTime, wallTimeToEpochMs } from '../time/wall-time';
import { seededRandom } from './random';

/** The meter sample: a 5-minute electricity-usage CSV (a library's meter), with anomalies at known places. */

/** The meter CSV's columns are Eastern time, as their names say; the sample is written in that zone. */
export const USAGE_SAMPLE_TIME_ZONE = 'America/New_York';

export interface UsageSampleOptions {
  seed: number;
  /** First day, `YYYY-MM-DD`; a Monday keeps weeks aligned with days of the week. */
  startDate: string;
  /** 5 to 7: four weeks of history before the first anomaly (see `USAGE_WEEK_LEVELS`). */
  weeks: number;
}

export const defaultUsageSampleOptions: UsageSampleOptions = { seed: 3, startDate: '2024-01-01', weeks: 6 };

/** One row in the meter CSV's three columns. */
export interface UsageRow {
  start: string;
  end: string;
  usageKw: number;
}

export interface InjectedUsageAnomaly {
  /** Wall time in the sample's zone, as the row's start column and the meter's anomaly `ts`. */
  ts: string;
  /** The same instant, epoch ms: the ts of the reading Vigil makes of the row. */
  epochMs: number;
  value: number;
}

export interface UsageSample {
  rows: UsageRow[];
  anomalies: InjectedUsageAnomaly[];
}

const USAGE_INTERVAL_MINUTES = 5;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * The load of each week relative to the usual one, one busy week among the first four.
 *
 * The seasonal Isolation Forest judges a reading with a forest fitted on its 4-5 comparables (same
 * weekday, hour and minute in the last 30 days). An isolation forest is blind to scale: a value
 * above every comparable follows the highest comparable's path in every tree, so it scores
 * exactly what that comparable scores. Small noise alone therefore cannot keep ordinary readings
 * unflagged; what can is this shape: the comparables always include one clearly higher week
 * (week 2, isolated near the root, so a 3× reading that follows it scores > 0.5) and every
 * judged week (4 and on) lies inside the tight cluster of the others (scores < 0.5).
 * The unit tests check both with sklearn's expected scores.
 */
export const USAGE_WEEK_LEVELS = [0.985, 1.0, 1.105, 1.015, 1.0, 1.0, 1.0] as const;

/** Reading-to-reading noise, uniform ±0.225 %: well inside the gaps between week levels. */
const USAGE_NOISE = 0.00225;

/** An injected anomaly is this many times the slot's usual load. */
export const USAGE_ANOMALY_FACTOR = 3;

/** Where the anomalies go: day from the start (week 4 or later), wall time. */
const USAGE_ANOMALY_PLACES: ReadonlyArray<{ day: number; time: string }> = [
  { day: 29, time: '10:30' }, // week 4, Tuesday mid-morning
  { day: 31, time: '03:15' }, // week 4, Thursday night base load
  { day: 34, time: '14:00' }, // week 4, Sunday afternoon
  { day: 37, time: '19:45' }, // week 5, Wednesday evening
  { day: 40, time: '11:20' }, // week 5, Saturday late morning
];

/**
 * The usual load of a 5-minute slot, kW: a night base (heating, servers) peaking before dawn,
 * and opening hours with a half-hour ramp either side, 8:00-21:00 on weekdays and 9:00-17:00
 * at weekends, busiest in the afternoon.
 */
export function usualUsageKw(dayOfWeek: number, minuteOfDay: number): number {
  const night = 180 + 15 * Math.cos((2 * Math.PI * (minuteOfDay - 5 * 60)) / (24 * 60));
  const weekend = dayOfWeek === 0 || dayOfWeek === 6;
  const [open, close, openLoad] = weekend ? [9 * 60, 17 * 60, 300] : [8 * 60, 21 * 60, 430];
  const ramp = 30;
  let share: number;
  if (minuteOfDay < open - ramp || minuteOfDay >= close + ramp) share = 0;
  else if (minuteOfDay < open) share = (minuteOfDay - (open - ramp)) / ramp;
  else if (minuteOfDay < close) share = 1 + 0.12 * Math.sin((Math.PI * (minuteOfDay - open)) / (close - open));
  else share = 1 - (minuteOfDay - close) / ramp;
  return night + (openLoad - night) * share;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * A library meter's 5-minute usage, deterministic for a seed. Wall times that do not exist in the zone
 * (the hour skipped when clocks spring forward) are left out, as a meter's log has none; the
 * repeated autumn hour appears once.
 */
export function generateUsageSample(options: UsageSampleOptions = defaultUsageSampleOptions): UsageSample {
  if (!Number.isInteger(options.weeks) || options.weeks < 5 || options.weeks > USAGE_WEEK_LEVELS.length) {
    throw new RangeError(`a usage sample has 5 to ${USAGE_WEEK_LEVELS.length} weeks: four of history before its anomalies, not ${options.weeks}`);
  }
  const firstDay = parseWallTime(`${options.startDate} 00:00:00`);
  if (firstDay === undefined) throw new RangeError(`startDate must be YYYY-MM-DD, not ${JSON.stringify(options.startDate)}`);
  const anomalyAt = new Set(USAGE_ANOMALY_PLACES.map(({ day, time }) => firstDay + day * DAY_MS + (parseWallTime(`1970-01-01 ${time}:00`) ?? 0)));
  const random = seededRandom(options.seed);
  const rows: UsageRow[] = [];
  const anomalies: InjectedUsageAnomaly[] = [];
  for (let day = 0; day < options.weeks * 7; day += 1) {
    const dayStart = firstDay + day * DAY_MS;
    const dayOfWeek = new Date(dayStart).getUTCDay();
    const level = USAGE_WEEK_LEVELS[Math.floor(day / 7)] ?? 1;
    for (let minute = 0; minute < 24 * 60; minute += USAGE_INTERVAL_MINUTES) {
      const wall = dayStart + minute * MINUTE_MS;
      // Drawn for every slot, so the noise of a slot does not depend on the zone's rules.
      const noise = (random() * 2 - 1) * USAGE_NOISE;
      const epochMs = wallTimeToEpochMs(wall, USAGE_SAMPLE_TIME_ZONE);
      if (epochMs === undefined) continue;
      const usual = usualUsageKw(dayOfWeek, minute);
      const anomalous = anomalyAt.has(wall);
      const usageKw = round2(anomalous ? USAGE_ANOMALY_FACTOR * usual : usual * level * (1 + noise));
      const start = formatWallTime(wall);
      rows.push({ start, end: formatWallTime(wall + USAGE_INTERVAL_MINUTES * MINUTE_MS), usageKw });
      if (anomalous) anomalies.push({ ts: start, epochMs, value: usageKw });
    }
  }
  return { rows, anomalies };
}

export function usageSampleCsv(sample: UsageSample): string {
  return [usageCsvColumns.join(','), ...sample.rows.map((r) => `${r.start},${r.end},${r.usageKw}`)].join('\n') + '\n';
}

