import { readingSchema } from '../reading';
import type { InputFormat } from './format';

/** Vigil's canonical JSON: `{deviceId, ts, values: {field: number}, attrs?}`. */
export const readingFormat: InputFormat<typeof readingSchema> = {
  name: 'reading',
  wire: 'json',
  wireSchema: readingSchema,
  toReading: (wire) => wire,
  fromCsvRow: (row) => {
    const { deviceId, ts, ...fields } = row;
    const values: Record<string, number> = {};
    for (const [field, text] of Object.entries(fields)) values[field] = Number(text);
    return { deviceId, ts: Number(ts), values };
  },
};
