import { parse } from 'csv-parse/sync';
import { type FormatName, formats } from './index';

/** One row of a file to replay or score, with its line, so every message can point at it. */
export interface FileRow {
  line: number;
  /** The message to send: a line of a message-per-line file as it is, a CSV row as the format's JSON. */
  text: string;
  /** A CSV row's wire object (what `text` holds), so it is not parsed back. */
  wire: unknown;
}

/** A file named `*.csv` is read as CSV with a header row; any other as one message per line. */
export const isCsvFile = (name: string) => name.toLowerCase().endsWith('.csv');

/**
 * The rows of a file's content: a CSV with a header row, each row turned into the format's
 * wire object (`fromCsvRow`), or (`csv` false) one message per non-empty line.
 */
export function fileRows(content: string, csv: boolean, format: FormatName): FileRow[] {
  if (!csv) {
    return content.split('\n').flatMap((text, index) => (text.trim() === '' ? [] : [{ line: index + 1, text, wire: undefined }]));
  }
  const records = parse(content, { columns: true, skip_empty_lines: true, trim: true, info: true }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
  return records.map(({ record, info }) => {
    const wire = formats[format].fromCsvRow(record);
    return { line: info.lines, text: JSON.stringify(wire), wire };
  });
}
