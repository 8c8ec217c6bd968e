/**
 * The `score` command: a file and flags in, CSV text and a summary out. The flags configure the
 * device as the worker would (the configuration, `VIGIL_*`), with the command's overrides.
 */
import fs from 'node:fs';
import { z } from 'zod';
import type { Config } from '../config';
import type { DetectorName } from '../detectors/registry';
import { type ThresholdRule, thresholdRuleKinds, thresholdRuleSchema } from '../detectors/threshold';
import { directionSchema, type ZScoreRule, zscoreRuleSchema } from '../detectors/zscore';
import type { DeviceSettings } from '../device/settings';
import { configuredFormats, type FormatName } from '../formats';
import { fileRows, isCsvFile } from '../formats/file-rows';
import { fieldNameSchema } from '../reading';
import { isKnownTimeZone } from '../time/wall-time';
import { BACKTEST_DEVICE, decodeFormatRows, type LineReading, readColumnsCsv, type RejectedRow, type ScoreInput, type TimestampUnit } from './input';
import { type ScoreResult, scoreCsv, scoreReadings } from './score';

export interface ScoreFileOptions {
  detector: DetectorName;
  format?: FormatName;
  timestampColumn?: string;
  valueColumn?: string;
  timestampUnit?: TimestampUnit;
  timeZone?: string;
  field?: string;
  device?: string;
  /** HTM: the metric's expected range (valueMin/valueMax); without them it is learnt. */
  min?: number;
  max?: number;
  /** z-score: overrides of the configured rule (VIGIL_ZSCORE_*). */
  k?: number;
  minSamples?: number;
  direction?: z.infer<typeof directionSchema>;
  /** threshold: the rule. */
  low?: number;
  high?: number;
  rule?: (typeof thresholdRuleKinds)[number];
  n?: number;
  windowMs?: number;
}

export interface ScoreFileResult {
  csv: string;
  rejected: RejectedRow[];
  /** One line for stderr: rows in, scored, rejected, and whatever else was not scored. */
  summary: string;
}

/** Options that only one detector reads, so giving them to another is a mistake worth naming. */
const detectorOnlyOptions: ReadonlyArray<{ detector: DetectorName; keys: ReadonlyArray<keyof ScoreFileOptions> }> = [
  { detector: 'htm', keys: ['min', 'max'] },
  { detector: 'zscore', keys: ['k', 'minSamples', 'direction'] },
  { detector: 'threshold', keys: ['low', 'high', 'rule', 'n', 'windowMs'] },
];

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}` : 'invalid';
}

/** The command's own rules for the detectors that have flags; checked before the file is read. */
interface Overrides {
  zscore: ZScoreRule;
  threshold?: ThresholdRule;
}

function overridesOf(config: Config, options: ScoreFileOptions): Overrides {
  for (const { detector, keys } of detectorOnlyOptions) {
    const given = keys.filter((key) => options[key] !== undefined);
    if (given.length > 0 && options.detector !== detector) throw new Error(`${given.map(flagName).join(', ')} ${given.length > 1 ? 'are' : 'is'} for --detector ${detector}`);
  }
  const zscore = zscoreRuleSchema.safeParse({
    ...config.device.detectors.zscore.defaults,
    ...(options.k !== undefined ? { k: options.k } : {}),
    ...(options.minSamples !== undefined ? { minSamples: options.minSamples } : {}),
    ...(options.direction !== undefined ? { direction: options.direction } : {}),
  });
  if (!zscore.success) throw new Error(`z-score rule: ${firstIssue(zscore.error)}`);
  let threshold: ThresholdRule | undefined;
  if (options.detector === 'threshold') {
    const parsed = thresholdRuleSchema.safeParse({
      low: options.low ?? null,
      high: options.high ?? null,
      ...(options.rule !== undefined ? { rule: options.rule } : {}),
      ...(options.n !== undefined ? { n: options.n } : {}),
      ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
    });
    if (!parsed.success) throw new Error(`threshold rule: ${firstIssue(parsed.error)} (give --low and/or --high)`);
    threshold = parsed.data;
  }
  if ((options.min === undefined) !== (options.max === undefined)) throw new Error('give both --min and --max, or neither (HTM then learns the range)');
  if (options.min !== undefined && options.max !== undefined && !(options.min < options.max)) throw new Error('--min must be below --max');
  return { zscore: zscore.data, threshold };
}

/** The configured device, with the command's rules. */
function backtestDevice(config: Config, options: ScoreFileOptions, overrides: Overrides, field: string): DeviceSettings {
  const device = JSON.parse(JSON.stringify(config.device)) as DeviceSettings;
  const { detectors } = device;
  detectors.zscore = { defaults: overrides.zscore, fields: {} };
  detectors.threshold = { format: {}, defaults: {}, own: overrides.threshold ? { [field]: overrides.threshold } : {} };
  detectors.htm.ranges = options.min !== undefined && options.max !== undefined ? { [field]: { min: options.min, max: options.max } } : {};
  return device;
}

/** The one field to score: `--field`, or the only field the readings carry. */
function chooseField(readings: readonly LineReading[], field: string | undefined): string {
  if (field !== undefined) return field;
  const fields = [...new Set(readings.flatMap(({ reading }) => Object.keys(reading.values)))];
  if (fields.length > 1) throw new Error(`the readings carry fields ${fields.join(', ')}: pick one with --field`);
  return fields[0] ?? 'value';
}

/** The one device to score: `--device`, or the only device in the file. */
function chooseDevice(readings: readonly LineReading[], device: string | undefined): string | undefined {
  if (device !== undefined) return device;
  const devices = [...new Set(readings.map(({ reading }) => reading.deviceId))];
  if (devices.length > 1) {
    throw new Error(`the file holds ${devices.length} devices (${devices.slice(0, 5).join(', ')}${devices.length > 5 ? ', …' : ''}): pick one with --device`);
  }
  return devices[0];
}

export interface ScoredFileRows {
  result: ScoreResult;
  rejected: RejectedRow[];
  /** One line for stderr: rows in, scored, rejected, and whatever else was not scored. */
  summary: string;
}

/**
 * Reads, scores and writes one file. Throws on a mistake in the command (a flag for another
 * detector, several devices without --device, …); rows that cannot be read are returned.
 */
export function scoreFile(config: Config, file: string, options: ScoreFileOptions): ScoreFileResult {
  const { result, rejected, summary } = scoreFileRows(config, file, options);
  return { csv: scoreCsv(result), rejected, summary };
}

/** What `scoreFile` writes, as rows: the command's whole path but the CSV text (the NAB evaluation reads these). */
export function scoreFileRows(config: Config, file: string, options: ScoreFileOptions): ScoredFileRows {
  const overrides = overridesOf(config, options);
  if (options.timeZone !== undefined) {
    if (!isKnownTimeZone(options.timeZone)) throw new Error(`--time-zone ${JSON.stringify(options.timeZone)} is not a time zone this runtime knows (use an IANA name such as America/New_York)`);
    if (options.format !== undefined && options.format !== 'usage') throw new Error(`--time-zone reads naive wall times (generic CSV, --format usage); ${options.format} rows carry absolute times`);
  }
  let input: ScoreInput;
  if (options.format !== undefined) {
    const given = (['timestampColumn', 'valueColumn', 'timestampUnit'] as const).filter((key) => options[key] !== undefined);
    if (given.length > 0) throw new Error(`${given.map(flagName).join(', ')} ${given.length > 1 ? 'are' : 'is'} for files without --format`);
    if (options.format === 'csv3') throw new Error('csv3 rows carry no time of their own (the broker stamps them when sent): there is no history to score');
    // Usage rows are wall times: --time-zone reads them in another zone than VIGIL_USAGE_TIME_ZONE.
    const usage = { ...config.formats.usage, timeZone: options.timeZone ?? config.formats.usage.timeZone };
    const format = configuredFormats({ ...config.formats, usage })[options.format];
    // Rows that name no device (usage) belong to --device; the id changes no score.
    const key = format.deviceIdFromKey ? (options.device ?? config.formats.usage.deviceId ?? BACKTEST_DEVICE) : undefined;
    input = decodeFormatRows(fileRows(fs.readFileSync(file, 'utf8'), isCsvFile(file), options.format), format, key);
  } else {
    const field = options.field ?? 'value';
    const validField = fieldNameSchema.safeParse(field);
    if (!validField.success) throw new Error(`--field ${JSON.stringify(field)}: ${firstIssue(validField.error)}`);
    input = readColumnsCsv(fs.readFileSync(file, 'utf8'), {
      timestampColumn: options.timestampColumn ?? 'timestamp',
      valueColumn: options.valueColumn ?? 'value',
      timeZone: options.timeZone ?? 'UTC',
      timestampUnit: options.timestampUnit ?? 'ms',
      field,
      deviceId: options.device ?? BACKTEST_DEVICE,
    });
  }

  const device = chooseDevice(input.readings, options.device);
  const ofDevice = input.readings.filter(({ reading }) => reading.deviceId === device);
  const field = chooseField(ofDevice, options.field);
  const result = scoreReadings(options.detector, ofDevice, { field, device: backtestDevice(config, options, overrides, field) });

  const count = (skipped: string) => result.rows.filter((row) => row.extras.skipped === skipped).length;
  const parts = [
    `${input.readings.length + input.rejected.length} rows in`,
    `${result.rows.filter((row) => row.anomalyScore !== null).length} scored`,
    `${input.rejected.length} rejected`,
    ...(
      [
        [count('late'), 'late (refused by the lateness rule)'],
        [count('duplicate'), 'duplicate (same device time again)'],
        [result.withoutField.length, `without ${field}`],
        [input.readings.length - ofDevice.length, 'of other devices'],
      ] satisfies Array<[number, string]>
    )
      .filter(([n]) => n > 0)
      .map(([n, what]) => `${n} ${what}`),
  ];
  return { result, rejected: input.rejected, summary: `score ${options.detector} on ${field}: ${parts.join(', ')}` };
}
