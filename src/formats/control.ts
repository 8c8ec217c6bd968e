import { z } from 'zod';
import { m2Schema } from '../detectors/welford';
import { type Control, controlSchema } from '../device/control';
import { deviceIdSchema } from '../reading';
import type { MessageMeta } from './format';
import { messageText, parseJson, requireKeyMatches } from './message';
import { Rejection } from './rejection';
import { type ThresholdRow, thresholdRowFromLine } from './threshold-rows';

const CONTROL_AUTHOR = 'control-topic';
const MODEL_TOPIC_AUTHOR = 'model-topic';

/** A model topic's record: `{id, m2: {n, mean, m2}}`, the z-score model of the device's `temp`. */
const modelRecordSchema = z.object({ id: deviceIdSchema, m2: m2Schema });

export type DecodedControl = { kind: 'device'; control: Control } | { kind: 'fleet'; row: ThresholdRow };

/**
 * A message of the control topic: Vigil's JSON (`{type: "thresholds" | "model", …}`), a model
 * topic's record `{id, m2}`, or a thresholds file row `host,field,low,high[,…]`. A `*` row changes
 * the fleet defaults; anything else goes to its device in order with its readings.
 */
export function decodeControl(value: Buffer | null, meta: MessageMeta, maxBytes: number): DecodedControl {
  const text = messageText(value, maxBytes).trim();
  if (!text.startsWith('{')) {
    let row: ThresholdRow;
    try {
      row = thresholdRowFromLine(text);
    } catch (error) {
      throw new Rejection('invalid-schema', (error as Error).message);
    }
    if (row.device === '*') return { kind: 'fleet', row };
    requireKeyMatches(meta.key, row.device);
    return { kind: 'device', control: { type: 'thresholds', deviceId: row.device, changes: [row.change], by: CONTROL_AUTHOR } };
  }
  const json = parseJson(text);
  const model = modelRecordSchema.safeParse(json);
  const candidate = model.success ? { type: 'model', deviceId: model.data.id, field: 'temp', model: model.data.m2, by: CONTROL_AUTHOR } : { by: CONTROL_AUTHOR, ...(json as object) };
  const parsed = controlSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Rejection('invalid-schema', `${issue?.path.join('.') || 'control'}: ${issue?.message ?? 'invalid'}`);
  }
  requireKeyMatches(meta.key, parsed.data.deviceId);
  return { kind: 'device', control: parsed.data };
}

/**
 * A message of the model topic: `{id, m2: {n, mean, m2}}`, the z-score model of the device's
 * `temp`, as the sensor notebook's model stream writes it (with or without a key). The device
 * is judged by it as the notebook judges: as it is (`fixed`), above only.
 */
export function decodeModelRecord(value: Buffer | null, meta: MessageMeta, maxBytes: number): Control {
  const parsed = modelRecordSchema.safeParse(parseJson(messageText(value, maxBytes)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Rejection('invalid-schema', `${issue?.path.join('.') || 'model record'}: ${issue?.message ?? 'invalid'} (a model record is {id, m2: {n, mean, m2}})`);
  }
  requireKeyMatches(meta.key, parsed.data.id);
  return { type: 'model', deviceId: parsed.data.id, field: 'temp', model: parsed.data.m2, fixed: true, by: MODEL_TOPIC_AUTHOR };
}
