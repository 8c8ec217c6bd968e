import { z } from 'zod';
import { deviceIdSchema } from '../reading';
import type { InputFormat } from './format';

/** A `name,temp,status` line (a sensor's CSV record); the time is the Kafka message's, the status an attribute. */
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
    // Plain decimals only: Number() would also take hex, binary and exponents of anything.
    return { name, temp: /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(temp ?? '') ? Number(temp) : Number.NaN, status };
  },
  wireSchema: csv3Schema,
  toReading: ({ name, temp, status }, meta) => ({ deviceId: name, ts: meta.timestamp, values: { temp }, attrs: { status }, clock: 'broker' }),
  fromCsvRow: (row) => row,
};
