/** Deterministic sample data with anomalies at known places, for the demo and the tests. */

import { z } from 'zod';
import type { FormatName } from './formats';
import { EPA_FIELD, type EpaColumn, epaColumns, epaDeviceId } from './formats/epa';
import { usageCsvColumns } from './formats/usage';
import { formatWallTime, parseWallTime, wallTimeToEpochMs } from './formats/wall-time';

/** mulberry32: a tiny seeded PRNG, so the same seed always gives the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SensorRecord {
  id: string;
  ts: number;
  temp: number;
  hum: number;
}

export interface SensorSample {
  records: SensorRecord[];
  /** The (device, ts) of every injected temperature spike: exactly the anomalies to expect. */
  spikes: Array<{ id: string; ts: number; temp: number }>;
}

export interface SensorSampleOptions {
  devices: number;
  readingsPerDevice: number;
  spikesPerDevice: number;
  seed: number;
  /** Device ids are `${prefix}${n}`. */
  prefix: string;
  startTs: number;
  intervalMs: number;
}

/**
 * Seed 000's sensor records, interleaved across devices in time order. Noise is bounded
 * (uniform ±1 °C, stdev ≈ 0.58), so no ordinary reading is 4 stdev from the mean; each spike is
 * +15 °C (≈ 26 stdev) and comes after the model's 30-reading warm-up.
 */
export function generateSensorSample(options: SensorSampleOptions): SensorSample {
  const random = seededRandom(options.seed);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const spikeAt = new Map<string, Set<number>>();
  const devices = Array.from({ length: options.devices }, (_, d) => `${options.prefix}${d + 1}`);
  for (const id of devices) {
    const positions = new Set<number>();
    while (positions.size < options.spikesPerDevice) {
      positions.add(40 + Math.floor(random() * (options.readingsPerDevice - 40)));
    }
    spikeAt.set(id, positions);
  }
  const records: SensorRecord[] = [];
  const spikes: SensorSample['spikes'] = [];
  for (let i = 0; i < options.readingsPerDevice; i += 1) {
    devices.forEach((id, d) => {
      const ts = options.startTs + i * options.intervalMs;
      const spike = spikeAt.get(id)?.has(i) ?? false;
      const temp = round(20 + d + (random() * 2 - 1) + (spike ? 15 : 0));
      const hum = round(45 + (random() * 4 - 2));
      records.push({ id, ts, temp, hum });
      if (spike) spikes.push({ id, ts, temp });
    });
  }
  return { records, spikes };
}

export function sensorSampleCsv(sample: SensorSample): string {
  return ['id,ts,temp,hum', ...sample.records.map((r) => `${r.id},${r.ts},${r.temp},${r.hum}`)].join('\n') + '\n';
}

/* ---------------------------------------------------------------------------------------------
 * Seed 003: a 5-minute electricity-usage CSV (a library's meter), with anomalies at known places.
 * ------------------------------------------------------------------------------------------- */

/** Seed 003's columns are Eastern time, as their names say; the sample is written in that zone. */
export const USAGE_SAMPLE_TIME_ZONE = 'America/New_York';

export interface UsageSampleOptions {
  seed: number;
  /** First day, `YYYY-MM-DD`; a Monday keeps weeks aligned with days of the week. */
  startDate: string;
  /** 5 to 7: four weeks of history before the first anomaly (see `USAGE_WEEK_LEVELS`). */
  weeks: number;
}

export const defaultUsageSampleOptions: UsageSampleOptions = { seed: 3, startDate: '2024-01-01', weeks: 6 };

/** One row in seed 003's three columns. */
export interface UsageRow {
  start: string;
  end: string;
  usageKw: number;
}

export interface InjectedUsageAnomaly {
  /** Wall time in the sample's zone, as the row's start column and seed 003's anomaly `ts`. */
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
 * Seed 003 judges a reading with an isolation forest fitted on its 4-5 comparables (same
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
 * Seed 003's 5-minute usage, deterministic for a seed. Wall times that do not exist in the zone
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

/* ---------------------------------------------------------------------------------------------
 * Seed 002: EPA AQS hourly rows (the 24 columns) for two monitors of one site, with spikes.
 * ------------------------------------------------------------------------------------------- */

export interface EpaSampleOptions {
  seed: number;
  /** First GMT day, `YYYY-MM-DD`. */
  startDate: string;
  days: number;
  /** Injected spikes per monitor, all after the first week. */
  spikesPerDevice: number;
}

export const defaultEpaSampleOptions: EpaSampleOptions = { seed: 2, startDate: '2017-01-01', days: 21, spikesPerDevice: 2 };

export type EpaRow = Record<EpaColumn, string>;

export interface EpaSample {
  rows: EpaRow[];
  /** Exactly the injected spikes: device id as Vigil names it, reading ts, value. */
  spikes: Array<{ deviceId: string; ts: number; value: number }>;
}

interface EpaMonitor {
  site: Pick<EpaRow, 'State Code' | 'County Code' | 'Site Num' | 'Latitude' | 'Longitude' | 'Datum' | 'State Name' | 'County Name'>;
  parameter: Pick<EpaRow, 'Parameter Code' | 'POC' | 'Parameter Name' | 'Units of Measure' | 'MDL' | 'Method Type' | 'Method Code' | 'Method Name'>;
  /** The usual value at an hour of local standard time. */
  usual(localHour: number): number;
  /** Half-width of the uniform noise. */
  noise: number;
  /** An injected spike is the usual value plus this: beyond 4 stdev of the whole series. */
  spikeJump: number;
  decimals: number;
}

/** Los Angeles-North Main Street: AQS reports its local time as PST all year (UTC-8). */
const epaSite: EpaMonitor['site'] = {
  'State Code': '06',
  'County Code': '037',
  'Site Num': '1103',
  Latitude: '34.06659',
  Longitude: '-118.22688',
  Datum: 'WGS84',
  'State Name': 'California',
  'County Name': 'Los Angeles',
};
const EPA_LOCAL_OFFSET_HOURS = -8;

const epaMonitors: EpaMonitor[] = [
  {
    site: epaSite,
    parameter: {
      'Parameter Code': '44201',
      POC: '1',
      'Parameter Name': 'Ozone',
      'Units of Measure': 'Parts per million',
      MDL: '0.005',
      'Method Type': 'FEM',
      'Method Code': '087',
      'Method Name': 'INSTRUMENTAL - ULTRA VIOLET ABSORPTION',
    },
    // Photochemical: low at night, peaking in the early afternoon.
    usual: (hour) => 0.028 + 0.018 * Math.sin((2 * Math.PI * (hour - 8)) / 24),
    noise: 0.004,
    spikeJump: 0.09,
    decimals: 3,
  },
  {
    site: epaSite,
    parameter: {
      'Parameter Code': '88101',
      POC: '3',
      'Parameter Name': 'PM2.5 - Local Conditions',
      'Units of Measure': 'Micrograms/cubic meter (LC)',
      MDL: '2',
      'Method Type': 'FEM',
      'Method Code': '170',
      'Method Name': 'Met One BAM-1020 Mass Monitor w/VSCC - Beta Attenuation',
    },
    // Traffic: a morning and an evening rush over a background.
    usual: (hour) => 9 + 5 * Math.exp(-((hour - 8) ** 2) / 4) + 6 * Math.exp(-((hour - 20) ** 2) / 6),
    noise: 2,
    spikeJump: 40,
    decimals: 1,
  },
];

/**
 * Hourly EPA AQS rows of the 24 columns for two monitors (ozone and PM2.5) of one Los Angeles
 * site, interleaved in time order, deterministic for a seed.
 */
export function generateEpaSample(options: EpaSampleOptions = defaultEpaSampleOptions): EpaSample {
  const firstHour = parseWallTime(`${options.startDate} 00:00:00`);
  if (firstHour === undefined) throw new RangeError(`startDate must be YYYY-MM-DD, not ${JSON.stringify(options.startDate)}`);
  const hours = options.days * 24;
  const warmUpHours = 7 * 24;
  if (hours - warmUpHours < options.spikesPerDevice) throw new RangeError('an EPA sample needs more than a week for its spikes');
  const random = seededRandom(options.seed);
  const spikeHours = epaMonitors.map(() => {
    const chosen = new Set<number>();
    while (chosen.size < options.spikesPerDevice) chosen.add(warmUpHours + Math.floor(random() * (hours - warmUpHours)));
    return chosen;
  });
  const rows: EpaRow[] = [];
  const spikes: EpaSample['spikes'] = [];
  for (let hour = 0; hour < hours; hour += 1) {
    const gmt = firstHour + hour * 3600_000;
    const local = gmt + EPA_LOCAL_OFFSET_HOURS * 3600_000;
    const localHour = new Date(local).getUTCHours();
    epaMonitors.forEach((monitor, index) => {
      const scale = 10 ** monitor.decimals;
      const usual = monitor.usual(localHour);
      const noisy = Math.max(0, usual + (random() * 2 - 1) * monitor.noise);
      const spike = spikeHours[index]?.has(hour) ?? false;
      const value = Math.round((spike ? usual + monitor.spikeJump : noisy) * scale) / scale;
      const [localDate, localTime] = formatWallTime(local).split(' ') as [string, string];
      const [gmtDate, gmtTime] = formatWallTime(gmt).split(' ') as [string, string];
      rows.push({
        ...monitor.site,
        ...monitor.parameter,
        'Date Local': localDate,
        'Time Local': localTime.slice(0, 5),
        'Date GMT': gmtDate,
        'Time GMT': gmtTime.slice(0, 5),
        'Sample Measurement': value.toFixed(monitor.decimals),
        Uncertainty: '',
        Qualifier: '',
        'Date of Last Change': '2017-04-28',
      });
      if (spike) spikes.push({ deviceId: epaDeviceId({ stateCode: monitor.site['State Code'], countyCode: monitor.site['County Code'], siteNum: monitor.site['Site Num'], parameterCode: monitor.parameter['Parameter Code'], poc: monitor.parameter.POC }), ts: gmt, value });
    });
  }
  return { rows, spikes };
}

/** AQS files quote text and leave numbers bare; the sample writes its rows the same way. */
const epaNumericColumns = new Set<EpaColumn>(['POC', 'Latitude', 'Longitude', 'Sample Measurement', 'MDL', 'Uncertainty']);

function epaCell(column: EpaColumn, value: string): string {
  return epaNumericColumns.has(column) ? value : `"${value.replaceAll('"', '""')}"`;
}

/** One row as an AQS file line: the wire form of the `epa` format. */
export function epaCsvLine(row: EpaRow): string {
  return epaColumns.map(([column]) => epaCell(column, row[column])).join(',');
}

export function epaSampleCsv(sample: EpaSample): string {
  const header = epaColumns.map(([column]) => `"${column}"`).join(',');
  return [header, ...sample.rows.map(epaCsvLine)].join('\n') + '\n';
}

/* ---------------------------------------------------------------------------------------------
 * `vigil sample`: one of the samples above as a CSV for `replay`, with its injected anomalies.
 * ------------------------------------------------------------------------------------------- */

export const sampleKindSchema = z.enum(['sensor', 'usage', 'epa']);
export type SampleKind = z.infer<typeof sampleKindSchema>;

export interface DescribedSample {
  csv: string;
  /** The format `replay` reads it with. */
  format: FormatName;
  summary: string;
  /** One line per injected anomaly. */
  anomalies: string[];
}

/** The demo's sensor sample, from a fixed start so the file is the same on every run. */
const sensorSampleDefaults: SensorSampleOptions = {
  devices: 5,
  readingsPerDevice: 300,
  spikesPerDevice: 3,
  seed: 42,
  prefix: 'demo-sensor-',
  startTs: Date.UTC(2024, 0, 1),
  intervalMs: 1000,
};

export function describeSample(kind: SampleKind, seed?: number): DescribedSample {
  switch (kind) {
    case 'sensor': {
      const options = { ...sensorSampleDefaults, seed: seed ?? sensorSampleDefaults.seed };
      const sample = generateSensorSample(options);
      return {
        csv: sensorSampleCsv(sample),
        format: 'sensor',
        summary: `${options.devices} devices × ${options.readingsPerDevice} readings of seed 000's {id, ts, temp, hum}, 1 s apart`,
        anomalies: sample.spikes.map((s) => `${s.id} ${new Date(s.ts).toISOString()} temp=${s.temp}`),
      };
    }
    case 'usage': {
      const options = { ...defaultUsageSampleOptions, seed: seed ?? defaultUsageSampleOptions.seed };
      const sample = generateUsageSample(options);
      return {
        csv: usageSampleCsv(sample),
        format: 'usage',
        summary: `${sample.rows.length} 5-minute rows of seed 003's usage, ${options.weeks} weeks from ${options.startDate} (${USAGE_SAMPLE_TIME_ZONE} wall time)`,
        anomalies: sample.anomalies.map((a) => `${a.ts} (${new Date(a.epochMs).toISOString()}) usage=${a.value} kW`),
      };
    }
    case 'epa': {
      const options = { ...defaultEpaSampleOptions, seed: seed ?? defaultEpaSampleOptions.seed };
      const sample = generateEpaSample(options);
      return {
        csv: epaSampleCsv(sample),
        format: 'epa',
        summary: `${sample.rows.length} hourly EPA AQS rows (ozone and PM2.5 of one site), ${options.days} days from ${options.startDate} GMT`,
        anomalies: sample.spikes.map((s) => `${s.deviceId} ${new Date(s.ts).toISOString()} ${EPA_FIELD}=${s.value}`),
      };
    }
  }
}
