/**
 * The backtest's input: a file of historical readings, as a generic timestamp/value CSV or in
 * one of the input formats, decoded as replay and the ingest decode it. Free of file I/O.
 */
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { type InputFormat, parseText, Rejection, toCanonical } from '../formats';
import type { FileRow } from '../formats/file-rows';
import { type Reading, readingSchema } from '../reading';
import { parseIsoWithOffset } from '../time/timestamps';
import { formatWallTime, parseWallTime, wallTimeToEpochMs } from '../time/wall-time';

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

/** Rows of a file (`fileRows`), decoded with the format exactly as replay and ingest decode them. */
export function decodeFormatRows(rows: readonly FileRow[], format: InputFormat, key: string | undefined): ScoreInput {
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

