import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { InputFormat } from './format';
import { Rejection } from './rejection';
import { parseIsoWithOffset } from '../time/timestamps';

/**
 * The 24 columns of EPA AQS hourly data (the rows of AQS files such as `one_device_2015-2017.csv`),
 * in file order, each with its property in the `MonitoringRecord` class that HTM pipelines use.
 */
export const epaColumns = [
  ['State Code', 'stateCode'],
  ['County Code', 'countyCode'],
  ['Site Num', 'siteNum'],
  ['Parameter Code', 'parameterCode'],
  ['POC', 'poc'],
  ['Latitude', 'latitude'],
  ['Longitude', 'longitude'],
  ['Datum', 'datum'],
  ['Parameter Name', 'parameterName'],
  ['Date Local', 'dateLocal'],
  ['Time Local', 'timeLocal'],
  ['Date GMT', 'dateGMT'],
  ['Time GMT', 'timeGMT'],
  ['Sample Measurement', 'sampleMeasurement'],
  ['Units of Measure', 'unitsOfMeasure'],
  ['MDL', 'mdl'],
  ['Uncertainty', 'uncertainty'],
  ['Qualifier', 'qualifier'],
  ['Method Type', 'methodType'],
  ['Method Code', 'methodCode'],
  ['Method Name', 'methodName'],
  ['State Name', 'stateName'],
  ['County Name', 'countyName'],
  ['Date of Last Change', 'dateOfLastChange'],
] as const;

export type EpaColumn = (typeof epaColumns)[number][0];
export type EpaProperty = (typeof epaColumns)[number][1];

const propertyOfColumn = new Map<string, EpaProperty>(epaColumns.map(([column, property]) => [column, property]));

/** The reading's one field: `MonitoringRecord`'s name for the value an HTM network models. */
export const EPA_FIELD = 'sampleMeasurement';

/** Attributes are display text: long ones are cut rather than the reading refused. */
const MAX_ATTR_LENGTH = 100;

/**
 * One part of the device id. AQS codes have fixed widths with leading zeros ("06", "037"); JSON
 * producers may send them as numbers, so digits are padded back to the width CSV rows carry and
 * both spell the same device. Letters are kept (AQS uses "CC" for Canadian sites).
 */
const idPart = (column: EpaColumn, width: number) =>
  z
    .union([z.string(), z.number().int().nonnegative()])
    .transform((value) => String(value).trim())
    .pipe(z.string().regex(/^[A-Za-z0-9]{1,10}$/, `${column} must be 1-10 letters or digits`))
    .transform((code) => (/^\d+$/.test(code) ? code.padStart(width, '0') : code));

const optionalText = z
  .union([z.string(), z.number()])
  .transform((value) => String(value).trim().slice(0, MAX_ATTR_LENGTH))
  .optional();

/** Plain decimals only: Number() would also take '', hex and binary. */
const decimalText = z
  .string()
  .trim()
  .regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, 'Sample Measurement is not a number')
  .transform(Number);

/** The columns kept as the reading's attributes, as text: every column but the ids, times and value the reading carries. */
const descriptiveProperties = [
  'latitude', 'longitude', 'datum', 'parameterName', 'dateLocal', 'timeLocal', 'unitsOfMeasure', 'mdl', 'uncertainty',
  'qualifier', 'methodType', 'methodCode', 'methodName', 'stateName', 'countyName', 'dateOfLastChange',
] as const satisfies readonly EpaProperty[];

/**
 * An EPA record by `MonitoringRecord` property: the ids, time and value make the reading, the
 * other columns its attributes (so outputs can give the whole record back).
 */
export const epaSchema = z.preprocess(
  // The measurement's text as the record wrote it ("0.030"), kept beside its number for outputs that give the record back.
  (record) => (record !== null && typeof record === 'object' && !Array.isArray(record) ? { ...record, sampleMeasurementText: (record as Record<string, unknown>).sampleMeasurement } : record),
    z
    .object({
      stateCode: idPart('State Code', 2),
      countyCode: idPart('County Code', 3),
      siteNum: idPart('Site Num', 4),
      parameterCode: idPart('Parameter Code', 5),
      poc: idPart('POC', 1),
      dateGMT: z.string().trim(),
      timeGMT: z.string().trim(),
      sampleMeasurement: z.union([z.number(), decimalText]).refine(Number.isFinite, 'Sample Measurement is not a finite number'),
      sampleMeasurementText: optionalText,
      ...Object.fromEntries(descriptiveProperties.map((property) => [property, optionalText])),
    })
    .transform((record, context) => {
      // AQS writes GMT as a date and an HH:MM time; together they are one UTC instant.
      const ts = /^\d{4}-\d{2}-\d{2}$/.test(record.dateGMT) && /^\d{2}:\d{2}$/.test(record.timeGMT) ? parseIsoWithOffset(`${record.dateGMT}T${record.timeGMT}:00Z`) : undefined;
      if (ts === undefined) {
        context.addIssue({ code: 'custom', path: ['dateGMT'], message: `Date GMT + Time GMT must be YYYY-MM-DD + HH:MM, not ${JSON.stringify(`${record.dateGMT} ${record.timeGMT}`)}` });
        return z.NEVER;
      }
      return { ...record, ts };
    }),
);

export type EpaRecord = z.output<typeof epaSchema>;

/** The columns whose codes make the device id. */
const epaIdProperties = ['stateCode', 'countyCode', 'siteNum', 'parameterCode', 'poc'] as const;

/** `State-County-Site-Parameter-POC`, e.g. `06-037-1103-44201-1`: one series of one monitor. */
export function epaDeviceId(record: Pick<EpaRecord, 'stateCode' | 'countyCode' | 'siteNum' | 'parameterCode' | 'poc'>): string {
  return `${record.stateCode}-${record.countyCode}-${record.siteNum}-${record.parameterCode}-${record.poc}`;
}

/** An id with every all-digit part read as a number: `6-37-1103-44201-1` and `06-037-1103-44201-1` are one. */
const unpadded = (id: string) => id.split('-').map((part) => (/^\d{1,10}$/.test(part) ? String(Number(part)) : part)).join('-');

/**
 * True when a key names the device though it is spelled without (or with other) zero padding:
 * a producer that joins the record's codes as its JSON numbers wrote them (`6-37-1103-44201-1`)
 * means `06-037-1103-44201-1`.
 */
export function epaSameDevice(key: string, deviceId: string): boolean {
  return key.split('-').length === 5 && unpadded(key) === unpadded(deviceId);
}

/** Renames AQS column names to `MonitoringRecord` properties; other keys are kept as they are. */
function byProperty(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [propertyOfColumn.get(key.trim()) ?? key, value]));
}

/** One CSV row of the 24 columns, with CSV quoting ("Los Angeles, CA" is one cell). */
function parseCsvRow(text: string): Record<string, string> {
  let rows: string[][];
  try {
    rows = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (error) {
    throw new Rejection('invalid-schema', `CSV: ${(error as Error).message}`);
  }
  if (rows.length !== 1) throw new Rejection('invalid-schema', `a message is one CSV row of the EPA columns, not ${rows.length}`);
  const cells = rows[0] ?? [];
  if (cells.length !== epaColumns.length) {
    throw new Rejection('invalid-schema', `expected the ${epaColumns.length} EPA AQS hourly columns (State Code … Date of Last Change), got ${cells.length}`);
  }
  return Object.fromEntries(epaColumns.map(([, property], index) => [property, cells[index] ?? '']));
}

/**
 * An EPA AQS hourly record, as a CSV row of the 24 columns (as in AQS files such as
 * `one_device_2015-2017.csv`) or as a JSON object keyed by the column names or by
 * `MonitoringRecord`'s camelCase properties. A message that starts with `{` is JSON.
 */
export const epaFormat: InputFormat<typeof epaSchema> = {
  name: 'epa',
  wire: 'line',
  parseText: (text) => {
    const trimmed = text.trim();
    if (!trimmed.startsWith('{')) return parseCsvRow(trimmed);
    let json: unknown;
    try {
      // message.ts's `__proto__` guard is not needed: Object.fromEntries in byProperty defines
      // keys, and the schema drops unknown ones.
      json = JSON.parse(trimmed);
    } catch (error) {
      throw new Rejection('invalid-json', (error as Error).message);
    }
    return json !== null && typeof json === 'object' && !Array.isArray(json) ? byProperty(json as Record<string, unknown>) : json;
  },
  wireSchema: epaSchema,
  // One HTM model per monitor, as the air-quality pipeline this format comes from runs.
  judging: { [EPA_FIELD]: ['htm'] },
  sameDevice: epaSameDevice,
  toReading: (record) => {
    // The ids and GMT time are the device id and ts: kept too, as the record wrote them, for the MonitoringRecord output.
    const kept = [...epaIdProperties, 'dateGMT', 'timeGMT', ...descriptiveProperties] as const;
    const texts: Record<string, unknown> = { ...Object.fromEntries(kept.map((property) => [property, (record as Record<string, unknown>)[property]])), sampleMeasurement: record.sampleMeasurementText };
    const attrs = Object.fromEntries(Object.entries(texts).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
    return {
      deviceId: epaDeviceId(record),
      ts: record.ts,
      values: { [EPA_FIELD]: record.sampleMeasurement },
      ...(Object.keys(attrs).length > 0 ? { attrs } : {}),
    };
  },
  fromCsvRow: (row) => byProperty(row),
};
