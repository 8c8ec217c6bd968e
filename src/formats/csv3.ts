import { z } from 'zod';
import { deviceIdSchema } from '../reading';
import type { InputFormat } from './format';

/** Settings of the csv3 format. */
export const csv3SettingsSchema = z.object({
  /** The rule csv3 devices come with: temp above this is an anomaly (null: none). */
  tempAbove: z.number().refine(Number.isFinite, 'not a finite number').nullable().default(100),
});
export type Csv3Settings = z.infer<typeof csv3SettingsSchema>;
export const defaultCsv3Settings: Csv3Settings = { tempAbove: 100 };

/** A `name,temp,status` line (a sensor's CSV record); the time is the Kafka message's, the status an attribute. */
export const csv3Schema = z.object({
  name: deviceIdSchema,
  temp: z.number().refine(Number.isFinite, 'temp is not a finite number'),
  status: z.string().max(100),
});

/** csv3 lines, whose devices are judged by temp above `tempAbove` (each reading) unless configured otherwise. */
export const csv3Format = (settings: Csv3Settings): InputFormat<typeof csv3Schema> => ({
  name: 'csv3',
  wire: 'line',
  parseText: (text) => {
    const cells = text.trim().split(',');
    if (cells.length !== 3) return { cells: cells.length }; // fails the schema with a clear path
    const [name, temp, status] = cells.map((c) => c.trim());
    // Plain decimals only: Number() would also take hex, binary and exponents of anything.
    return { name, temp: /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(temp ?? '') ? Number(temp) : Number.NaN, status };
  },
  wireSchema: csv3Schema,
  toReading: ({ name, temp, status }, meta) => ({ deviceId: name, ts: meta.timestamp, values: { temp }, attrs: { status }, clock: 'broker' }),
  fromCsvRow: (row) => row,
  ...(settings.tempAbove === null ? {} : { thresholds: { temp: { low: null, high: settings.tempAbove, rule: 'each', n: 3, windowMs: 60_000, clearAfter: 1 } } }),
});
