/**
 * `vigil score`: backtesting. Runs one detector offline over a file of historical readings and
 * gives one output row per reading, so a detector can be judged on history before it is enabled.
 *
 * z-score, threshold and the seasonal Isolation Forest run through `applyItem` (the function the
 * device workflow runs), on a device state configured as the worker configures it, with an
 * observer that reads each detector's per-reading output. So the scores are those a replay of
 * the same file through the pipeline produces: same models, same learn gates, same lateness and
 * duplicate rules. HTM runs `HtmModel` directly, one model per device, on the readings the live
 * path applies (it too goes through applyItem first, so a late or re-sent reading is not scored),
 * with the reading's own epoch ms, as the worker's HTM activity scores them.
 *
 * Parsing (`readColumnsCsv`, `decodeFormatRows`), scoring (`scoreReadings`) and writing
 * (`scoreCsv`) are separate and free of file I/O; `scoreFile` joins them for the command.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { Config } from './config';
import { type ThresholdRule, thresholdRuleKinds, thresholdRuleSchema } from './detectors/threshold';
import { flushWindows } from './detectors/windows';
import type { SeasonalIForestConfig } from './detectors/seasonal-iforest';
import { directionSchema, type ZScoreRule, zscoreRuleSchema } from './detectors/zscore';
import { applyItem, defaultEventTimeSettings, type DetectorOutput, initialDeviceState } from './device-state';
import { configuredFormats, type FormatName, parseText, Rejection, toCanonical } from './formats';
import type { InputFormat } from './formats/format';
import { parseIsoWithOffset } from './formats/timestamps';
import { formatWallTime, isKnownTimeZone, parseWallTime, wallTimeToEpochMs } from './formats/wall-time';
import { HtmModel, type HtmParamsInput, type HtmResult } from './htm';
import { fieldNameSchema, type Reading, readingSchema } from './reading';
import { readRows } from './replay';

export const scoreDetectorSchema = z.enum(['htm', 'zscore', 'seasonal-iforest', 'threshold']);
export type ScoreDetector = z.infer<typeof scoreDetectorSchema>;

/**
 * The columns after `timestamp,value,anomaly_score`, per detector. `event` is the anomaly step
 * (raised / updated / resolved) the live path would publish for the row; `skipped` says why the
 * live path refused the reading (late / duplicate), in which case nothing else is filled in.
 */
export const extraColumns = {
  htm: ['raw_score', 'likelihood', 'log_likelihood', 'spatial_anomaly', 'prediction', 'prediction_next', 'error', 'skipped'],
  zscore: ['n', 'mean', 'stdev', 'z', 'anomalous', 'event', 'skipped'],
  'seasonal-iforest': ['comparables', 'slot', 'score', 'outlier', 'event', 'skipped'],
  threshold: ['violated', 'side', 'firing', 'violations_in_window', 'consecutive', 'event', 'skipped'],
} as const satisfies Record<ScoreDetector, readonly string[]>;

export type Cell = number | string | boolean | null;

/** A reading decoded from the file, with its line, so every message can point at the row. */
export interface LineReading {
  line: number;
  reading: Reading;
}

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ScoreInput {
  readings: LineReading[];
  rejected: RejectedRow[];
}

export interface ScoredRow {
  line: number;
  ts: number;
  value: number;
  /** null only for a reading the live path refused (see `skipped`). */
  anomalyScore: number | null;
  extras: Record<string, Cell>;
}

export interface ScoreResult {
  detector: ScoreDetector;
  rows: ScoredRow[];
  /** Lines of readings without the scored field: they still went through the live path, unscored. */
  withoutField: number[];
}

/* ---------------------------------------------------------------------------------------------
 * Input: generic timestamp/value columns, or a configured format decoded as replay/ingest do.
 * ------------------------------------------------------------------------------------------- */

/** The device of readings whose input names none: only anomaly ids carry it. */
export const BACKTEST_DEVICE = 'backtest';

export const timestampUnitSchema = z.enum(['ms', 's']);
export type TimestampUnit = z.infer<typeof timestampUnitSchema>;

export interface ColumnsInput {
  timestampColumn: string;
  valueColumn: string;
  /** Zone of naive `YYYY-MM-DD HH:MM:SS` timestamps. */
  timeZone: string;
  /** What a plain number in the timestamp column counts: epoch milliseconds or seconds. */
  timestampUnit: TimestampUnit;
  /** The field the value becomes, as a format would name it. */
  field: string;
  deviceId: string;
}

const TIMESTAMP_HINT = 'epoch milliseconds (or seconds with --timestamp-unit s), ISO-8601 with a zone, or YYYY-MM-DD HH:MM:SS';
/** Plain decimals only: Number() would also take '', hex and binary. */
const decimalPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Epoch ms of one timestamp cell, or the reason it is none. */
export function parseTimestamp(text: string, timeZone: string, unit: TimestampUnit): { ts: number } | { reason: string } {
  if (/^\d+(\.\d+)?$/.test(text)) {
    // Seconds may carry milliseconds; anything finer would be rounded away, so it is refused.
    if (unit === 'ms' ? !/^\d+$/.test(text) : !/^\d+(\.\d{1,3})?$/.test(text)) {
      return { reason: `timestamp ${JSON.stringify(text)}: epoch ${unit === 'ms' ? 'milliseconds must be whole' : 'seconds may have at most 3 decimals'}` };
    }
    return { ts: unit === 'ms' ? Number(text) : Math.round(Number(text) * 1000) };
  }
  const zoned = parseIsoWithOffset(text);
  if (zoned !== undefined) return { ts: zoned };
  const wall = parseWallTime(text);
  if (wall === undefined) return { reason: `timestamp ${JSON.stringify(text)} is not ${TIMESTAMP_HINT}` };
  const instant = wallTimeToEpochMs(wall, timeZone);
  // As the usage format: a skipped wall time is refused, not shifted onto one that exists.
  if (instant === undefined) return { reason: `timestamp ${formatWallTime(wall)} does not exist in ${timeZone}: the clocks skip it when daylight saving time begins` };
  return { ts: instant };
}

/** A CSV with a header row whose timestamp and value columns are named by `input`. */
export function readColumnsCsv(content: string, input: ColumnsInput): ScoreInput {
  const records = parse(content, { columns: true, skip_empty_lines: true, trim: true, info: true, relax_column_count: true }) as Array<{
    record: Record<string, string | undefined>;
    info: { lines: number };
  }>;
  const header = Object.keys(records[0]?.record ?? {});
  for (const column of [input.timestampColumn, input.valueColumn]) {
    if (records.length > 0 && !header.includes(column)) throw new Error(`the file has no column ${JSON.stringify(column)} (its columns: ${header.join(', ')})`);
  }
  const readings: LineReading[] = [];
  const rejected: RejectedRow[] = [];
  for (const { record, info } of records) {
    const line = info.lines;
    const timestamp = parseTimestamp(record[input.timestampColumn] ?? '', input.timeZone, input.timestampUnit);
    if ('reason' in timestamp) {
      rejected.push({ line, reason: timestamp.reason });
      continue;
    }
    const valueText = record[input.valueColumn] ?? '';
    const value = decimalPattern.test(valueText) ? Number(valueText) : Number.NaN;
    if (!Number.isFinite(value)) {
      rejected.push({ line, reason: `value ${JSON.stringify(valueText)} is not a finite number` });
      continue;
    }
    // The canonical reading's own checks (a ts before 1970, …), as every format's reading gets.
    const reading = readingSchema.safeParse({ deviceId: input.deviceId, ts: timestamp.ts, values: { [input.field]: value } });
    if (!reading.success) rejected.push({ line, reason: reading.error.issues[0]?.message ?? 'not a reading' });
    else readings.push({ line, reading: reading.data });
  }
  return { readings, rejected };
}

/** Rows read by replay's `readRows`, decoded with the format exactly as replay and ingest decode them. */
export function decodeFormatRows(rows: ReturnType<typeof readRows>['rows'], format: InputFormat, key: string | undefined): ScoreInput {
  const readings: LineReading[] = [];
  const rejected: RejectedRow[] = [];
  for (const row of rows) {
    try {
      // The message time is only read by csv3, whose rows have no other time; scoreFile refuses it.
      readings.push({ line: row.line, reading: toCanonical(format, row.wire ?? parseText(format, row.text), { key, timestamp: 0 }) });
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      rejected.push({ line: row.line, reason: error.message });
    }
  }
  return { readings, rejected };
}

/* ---------------------------------------------------------------------------------------------
 * Scoring.
 * ------------------------------------------------------------------------------------------- */

export interface ScoreSettings {
  /** The field whose values are scored; a reading's other fields still go through the live path. */
  field: string;
  zscore: ZScoreRule;
  seasonal: SeasonalIForestConfig;
  /** Required for the threshold detector. */
  threshold?: ThresholdRule;
  allowedLatenessMs: number;
  htm: HtmParamsInput;
}

type RowScorer = (item: LineReading) => ScoredRow | undefined;

/** Only the workflow's silence timers read these; applyItem never does. */
const UNUSED_CONNECTION_SETTINGS = { disconnectAfterMs: 60_000, retireAfterMs: 86_400_000 };

/**
 * The live path of one device, configured for one detector, reporting the scored field per
 * reading. For HTM the device state only decides which readings the live path applies (the
 * lateness and duplicate rules); those go to the model, as the workflow queues them for it.
 */
function deviceScorer(detector: ScoreDetector, settings: ScoreSettings, deviceId: string): RowScorer {
  const { field } = settings;
  if (detector === 'threshold' && !settings.threshold) throw new Error('the threshold detector needs a rule (--low and/or --high)');
  const htm = detector === 'htm' ? HtmModel.create(settings.htm) : undefined;
  const state = initialDeviceState(
    deviceId,
    settings.zscore,
    UNUSED_CONNECTION_SETTINGS,
    detector === 'threshold' && settings.threshold ? { [field]: settings.threshold } : {},
    { ...defaultEventTimeSettings, allowedLatenessMs: settings.allowedLatenessMs },
    { fields: detector === 'seasonal-iforest' ? [field] : [], config: settings.seasonal },
  );
  const empty = Object.fromEntries(extraColumns[detector].map((column) => [column, null])) as Record<string, Cell>;
  let offset = 0;
  return ({ line, reading }) => {
    const late = state.lateDropped;
    const duplicates = state.duplicatesSkipped;
    let observed: DetectorOutput | undefined;
    // Offsets in file order, as one partition delivers a device's readings.
    const events = applyItem(state, { source: { topic: 'score', partition: 0, offset: offset++ }, reading }, (output) => {
      if (output.detector === detector && output.field === field) observed = output;
    });
    // What the workflow does after each batch: dead-letter the late ones (here the row says so)
    // and flush the event-time windows, which would otherwise grow with the file.
    state.lateReadings.length = 0;
    if (state.lastReadingTs !== null) flushWindows(state.windows, deviceId, state.lastReadingTs, state.eventTime.allowedLatenessMs);

    const value = reading.values[field];
    if (value === undefined) return undefined;
    const skipped = state.lateDropped > late ? 'late' : state.duplicatesSkipped > duplicates ? 'duplicate' : null;
    if (skipped) return { line, ts: reading.ts, value, anomalyScore: null, extras: { ...empty, skipped } };
    if (htm) return { line, ts: reading.ts, value, ...htmScore(htm.compute(reading.ts, value)) };
    if (!observed) throw new Error(`line ${line}: the ${detector} detector reported nothing for ${field}`);
    const event = events.find((e) => e.detector === detector && e.field === field)?.status ?? null;
    const scored = scoreOf(observed);
    return { line, ts: reading.ts, value, anomalyScore: scored.anomalyScore, extras: { ...scored.extras, event, skipped: null } };
  };
}

/** The row's anomaly score and detector columns from what the detector concluded. */
function scoreOf(output: DetectorOutput): { anomalyScore: number; extras: Record<string, Cell> } {
  switch (output.detector) {
    case 'zscore': {
      const { n, verdict } = output;
      // |z|: distance from the mean in standard deviations. While warming up the model does not
      // judge, so 0; a zero stdev makes any other value infinitely far (z is then null).
      const anomalyScore = verdict === undefined ? 0 : verdict.z === null ? Infinity : Math.abs(verdict.z);
      return { anomalyScore, extras: { n, mean: verdict?.mean ?? null, stdev: verdict?.stdev ?? null, z: verdict?.z ?? null, anomalous: verdict?.anomalous ?? false } };
    }
    case 'seasonal-iforest': {
      const { result } = output;
      return {
        anomalyScore: result.score ?? 0,
        extras: { comparables: result.comparables, slot: result.slot, score: result.score ?? null, outlier: result.outlier },
      };
    }
    case 'threshold': {
      const { verdict } = output;
      // Firing is the rule's condition (e.g. N in the window), not one value outside the bounds.
      return {
        anomalyScore: verdict.firing ? 1 : 0,
        extras: { violated: verdict.violated, side: verdict.side, firing: verdict.firing, violations_in_window: verdict.violationsInWindow, consecutive: verdict.consecutive },
      };
    }
  }
}

/** NAB's final score is the anomaly score; the rest of the model's result are the extras. */
function htmScore(result: HtmResult): { anomalyScore: number; extras: Record<string, Cell> } {
  return {
    anomalyScore: result.score,
    extras: {
      raw_score: result.rawScore,
      likelihood: result.likelihood,
      log_likelihood: result.logLikelihood,
      spatial_anomaly: result.spatialAnomaly,
      prediction: result.prediction,
      prediction_next: result.predictionNext,
      error: result.error,
      skipped: null,
    },
  };
}

/**
 * Scores readings in order, one detector state per device (as one workflow per device does).
 * Deterministic: the same readings and settings give the same rows.
 */
export function scoreReadings(detector: ScoreDetector, readings: readonly LineReading[], settings: ScoreSettings): ScoreResult {
  const scorers = new Map<string, RowScorer>();
  const rows: ScoredRow[] = [];
  const withoutField: number[] = [];
  for (const item of readings) {
    const { deviceId } = item.reading;
    let scorer = scorers.get(deviceId);
    if (!scorer) scorers.set(deviceId, (scorer = deviceScorer(detector, settings, deviceId)));
    const row = scorer(item);
    if (row) rows.push(row);
    else withoutField.push(item.line);
  }
  return { detector, rows, withoutField };
}

/* ---------------------------------------------------------------------------------------------
 * Output.
 * ------------------------------------------------------------------------------------------- */

function csvCell(cell: Cell): string {
  if (cell === null) return '';
  const text = String(cell);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `timestamp,value,anomaly_score,<extras>`; timestamps ISO-8601 UTC, numbers in full precision. */
export function scoreCsv(result: ScoreResult): string {
  const extras: readonly string[] = extraColumns[result.detector];
  const lines = [['timestamp', 'value', 'anomaly_score', ...extras].join(',')];
  for (const row of result.rows) {
    lines.push([new Date(row.ts).toISOString(), row.value, row.anomalyScore, ...extras.map((column) => row.extras[column] ?? null)].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/* ---------------------------------------------------------------------------------------------
 * The command: a file and flags in, CSV text and a summary out.
 * ------------------------------------------------------------------------------------------- */

export interface ScoreFileOptions {
  detector: ScoreDetector;
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
const detectorOnlyOptions: ReadonlyArray<{ detector: ScoreDetector; keys: ReadonlyArray<keyof ScoreFileOptions> }> = [
  { detector: 'htm', keys: ['min', 'max'] },
  { detector: 'zscore', keys: ['k', 'minSamples', 'direction'] },
  { detector: 'threshold', keys: ['low', 'high', 'rule', 'n', 'windowMs'] },
];

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}` : 'invalid';
}

/** The detector settings from the configuration (what the worker runs) and the command's overrides. */
function detectorSettings(config: Config, options: ScoreFileOptions): Omit<ScoreSettings, 'field'> {
  for (const { detector, keys } of detectorOnlyOptions) {
    const given = keys.filter((key) => options[key] !== undefined);
    if (given.length > 0 && options.detector !== detector) throw new Error(`${given.map(flagName).join(', ')} ${given.length > 1 ? 'are' : 'is'} for --detector ${detector}`);
  }
  const zscore = zscoreRuleSchema.safeParse({
    ...config.zscore,
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
  return {
    zscore: zscore.data,
    seasonal: config.seasonal.config,
    threshold,
    allowedLatenessMs: config.allowedLatenessMs,
    htm: options.min !== undefined && options.max !== undefined ? { valueMin: options.min, valueMax: options.max } : {},
  };
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

/**
 * Reads, scores and writes one file. Throws on a mistake in the command (a flag for another
 * detector, several devices without --device, …); rows that cannot be read are returned.
 */
export function scoreFile(config: Config, file: string, options: ScoreFileOptions): ScoreFileResult {
  const settings = detectorSettings(config, options);
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
    const format = configuredFormats({ usage })[options.format];
    // Rows that name no device (usage) belong to --device; the id changes no score.
    const key = format.deviceIdFromKey ? (options.device ?? config.formats.usage.deviceId ?? BACKTEST_DEVICE) : undefined;
    input = decodeFormatRows(readRows(file, options.format).rows, format, key);
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
  const result = scoreReadings(options.detector, ofDevice, { ...settings, field });

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
  return { csv: scoreCsv(result), rejected: input.rejected, summary: `score ${options.detector} on ${field}: ${parts.join(', ')}` };
}
