import { type Control, controlSchema } from '../control';
import { m2Schema } from '../detectors/welford';
import { deviceIdSchema } from '../reading';
import { thresholdRowFrom, thresholdColumns, type ThresholdRow } from '../thresholds';
import type { MessageMeta } from './format';
import { messageText, parseJson, Rejection, requireKeyMatches } from './index';
import { z } from 'zod';

const CONTROL_AUTHOR = 'control-topic';

/** Seed 000's model topic record: `{id, m2: {n, mean, m2}}`, the model of its `temp`. */
const seedModelSchema = z.object({ id: deviceIdSchema, m2: m2Schema });

export type DecodedControl = { kind: 'device'; control: Control } | { kind: 'fleet'; row: ThresholdRow };

/**
 * A message of the control topic: Vigil's JSON (`{type: "thresholds" | "model", …}`), seed 000's
 * model record, or seed 001's threshold row `host,field,low,high[,…]`. A `*` row changes the
 * fleet defaults; anything else goes to its device in order with its readings.
 */
export function decodeControl(value: Buffer | null, meta: MessageMeta, maxBytes: number): DecodedControl {
  const text = messageText(value, meta, maxBytes).trim();
  if (!text.startsWith('{')) {
    let row: ThresholdRow;
    try {
      const cells = text.split(',').map((c) => c.trim());
      if (cells.length < 4) throw new Error('a threshold row is host,field,low,high[,…]');
      row = thresholdRowFrom(Object.fromEntries(thresholdColumns.map((c, i) => [c, cells[i]])), 1);
    } catch (error) {
      throw new Rejection('invalid-schema', (error as Error).message);
    }
    if (row.device === '*') return { kind: 'fleet', row };
    requireKeyMatches(meta.key, row.device);
    return { kind: 'device', control: { type: 'thresholds', deviceId: row.device, changes: [row.change], by: CONTROL_AUTHOR } };
  }
  const json = parseJson(text);
  const seed = seedModelSchema.safeParse(json);
  const candidate = seed.success ? { type: 'model', deviceId: seed.data.id, field: 'temp', model: seed.data.m2, by: CONTROL_AUTHOR } : { by: CONTROL_AUTHOR, ...(json as object) };
  const parsed = controlSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Rejection('invalid-schema', `${issue?.path.join('.') || 'control'}: ${issue?.message ?? 'invalid'}`);
  }
  requireKeyMatches(meta.key, parsed.data.deviceId);
  return { kind: 'device', control: parsed.data };
}
