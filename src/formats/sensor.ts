import { z } from 'zod';
import { deviceIdSchema } from '../reading';
import type { InputFormat } from './format';

const finite = z.number().refine(Number.isFinite, 'not a finite number');

/** A sensor's JSON record `{id, ts, temp, hum}`. */
export const sensorSchema = z.object({
  id: deviceIdSchema,
  ts: z.number().int().nonnegative(),
  temp: finite,
  hum: finite,
});

export const sensorFormat: InputFormat<typeof sensorSchema> = {
  name: 'sensor',
  wire: 'json',
  wireSchema: sensorSchema,
  toReading: (wire) => ({ deviceId: wire.id, ts: wire.ts, values: { temp: wire.temp, hum: wire.hum } }),
  fromCsvRow: (row) => ({ id: row.id, ts: Number(row.ts), temp: Number(row.temp), hum: Number(row.hum) }),
};
