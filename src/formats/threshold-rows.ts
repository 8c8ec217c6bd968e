import { parse } from 'csv-parse/sync';
import { type ThresholdChange, thresholdChangeSchema } from '../detectors/threshold';
import { deviceIdSchema } from '../reading';
import { parseOrReject } from '../validate';

/**
 * The thresholds file format, `host,field,low,high` with no header (the host-rules format), and
 * Vigil's optional further columns, which a header row may name. `*` as the host is the fleet's
 * default device. The same row may come as a control-topic message.
 *
 * - A row without a `rule` gets the rule `each` (every violating reading is anomalous), `n` 3,
 *   a 60-second window and `clearAfter` 1.
 * - An empty bound is unbounded (`*,temp,,100`: above 100); a row with both bounds empty and
 *   nothing else (`host-0001,cpu,,`) removes the field's threshold (of the fleet, for `*`).
 */
export const thresholdColumns = ['host', 'field', 'low', 'high', 'rule', 'n', 'windowSeconds', 'clearBelow', 'clearAbove', 'clearAfter'] as const;

export interface ThresholdRow {
  line: number;
  /** A device id, or `*` for every device. */
  device: string;
  change: ThresholdChange;
}

const number = (text: string | undefined) => (text === undefined || text.trim() === '' ? undefined : Number(text));

/** One row (`host,field,low,high,…`) to a validated change; an empty bound is unbounded. */
export function thresholdRowFrom(cells: Partial<Record<(typeof thresholdColumns)[number], string>>, line: number): ThresholdRow {
  const device = (cells.host ?? '').trim();
  if (device !== '*') parseOrReject(deviceIdSchema, device, `host on line ${line}`);
  const given = thresholdColumns.filter((column) => column !== 'host' && column !== 'field' && (cells[column] ?? '').trim() !== '');
  if (given.length === 0) return { line, device, change: parseOrReject(thresholdChangeSchema, { field: (cells.field ?? '').trim(), rule: null }, `threshold on line ${line}`) };
  const windowSeconds = number(cells.windowSeconds);
  const change = parseOrReject(
    thresholdChangeSchema,
    {
      field: (cells.field ?? '').trim(),
      rule: Object.fromEntries(
        Object.entries({
          low: number(cells.low) ?? null,
          high: number(cells.high) ?? null,
          rule: cells.rule?.trim() || undefined,
          n: number(cells.n),
          windowMs: windowSeconds === undefined ? undefined : windowSeconds * 1000,
          clearBelow: number(cells.clearBelow),
          clearAbove: number(cells.clearAbove),
          clearAfter: number(cells.clearAfter),
        }).filter(([, v]) => v !== undefined),
      ),
    },
    `threshold on line ${line}`,
  );
  return { line, device, change };
}

/** One row as a line of text (a control-topic message): at least host,field,low,high. */
export function thresholdRowFromLine(text: string): ThresholdRow {
  const cells = text.split(',').map((c) => c.trim());
  if (cells.length < 4) throw new Error('a threshold row is host,field,low,high[,…]');
  return thresholdRowFrom(Object.fromEntries(thresholdColumns.map((c, i) => [c, cells[i]])), 1);
}

/** Parses a thresholds file (no header: `host,field,low,high`); every bad row is reported. */
export function parseThresholdsCsv(text: string): { rows: ThresholdRow[]; errors: Array<{ line: number; reason: string }> } {
  const records = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true, comment: '#', info: true }) as unknown as Array<{
    record: string[];
    info: { lines: number };
  }>;
  const header = records[0]?.record[0] === 'host' ? records.shift()?.record : undefined;
  const columns = (header ?? thresholdColumns) as readonly string[];
  const rows: ThresholdRow[] = [];
  const errors: Array<{ line: number; reason: string }> = [];
  for (const { record, info } of records) {
    try {
      if (record.length < 4) throw new Error(`line ${info.lines}: expected at least host,field,low,high`);
      const unknown = columns.filter((c) => !(thresholdColumns as readonly string[]).includes(c));
      if (unknown.length > 0) throw new Error(`unknown column(s) ${unknown.join(', ')}`);
      rows.push(thresholdRowFrom(Object.fromEntries(columns.map((c, i) => [c, record[i]])), info.lines));
    } catch (error) {
      errors.push({ line: info.lines, reason: (error as Error).message });
    }
  }
  return { rows, errors };
}
