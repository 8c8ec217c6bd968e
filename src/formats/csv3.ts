import { z } from 'zod';
import { deviceIdSchema } from '../reading';
import type { InputFormat } from './format';

/** Seed 004's `name,temp,status` line; the time is the Kafka message's, the status an attribute. */
export const csv3Schema = z.object({
  name: deviceIdSchema,
  temp: z.number().refine(Number.isFinite, 'temp is not a finite number'),
  status: z.string().max(100),
});

export const csv3Format: InputFormat<typeof csv3Schema> = {
  name: 'csv3',
  wire: 'line',
  parseText: (text) => {
    const cells = text.trim().split(',');
    if (cells.length !== 3) return { cells: cells.length }; // fails the schema with a clear path
    const [name, temp, status] = cells.map((c) => c.trim());
    return { name, temp: temp === '' ? Number.NaN : Number(temp), status };
  },
  wireSchema: csv3Schema,
  toReading: ({ name, temp, status }, meta) => ({ deviceId: name, ts: meta.timestamp, values: { temp }, attrs: { status } }),
  fromCsvRow: (row) => row,
};
