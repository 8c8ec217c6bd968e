import { z } from 'zod';
import { controlSchema } from './control';
import type { SourcedItem } from './item';

/**
 * A device's items as one signal carries them: compact, because every signal stays in the
 * workflow's history for good. What a `SourcedItem` repeats per reading is said once per batch:
 * the device (the workflow is the device's), each topic-partition, each field name. Offsets and
 * event times are deltas from the previous item of the batch, so in-order readings cost a few
 * digits. `packItems` and `unpackItems` are exact inverses (`unpackItems(id, packItems(items))`
 * deep-equals `items`), pure and deterministic, so the ingest packs and the workflow unpacks.
 */

/**
 * [topic, partition, offset of the first item from it], and `"unkeyed"` for the readings of the
 * partition whose messages had no key (a partition's keyed and unkeyed messages are two parts).
 */
const partSchema = z.union([
  z.tuple([z.string(), z.number().int().nonnegative(), z.number().int().nonnegative()]),
  z.tuple([z.string(), z.number().int().nonnegative(), z.number().int().nonnegative(), z.literal('unkeyed')]),
]);

/**
 * A reading: [part index, offset − the part's previous offset, ts − the previous reading's ts,
 * the values in `fields` order (null, or left off at the end: the reading has no such field), its attributes or null,
 * `"broker"` when the broker's clock stamped it (else null), the second instant of a repeated
 * autumn wall time − ts]. The last ones are left out when empty.
 */
const packedReadingSchema = z.union([
  z.tuple([z.number().int(), z.number().int(), z.number(), z.array(z.number().nullable())]),
  z.tuple([z.number().int(), z.number().int(), z.number(), z.array(z.number().nullable()), z.record(z.string(), z.string()).nullable()]),
  z.tuple([z.number().int(), z.number().int(), z.number(), z.array(z.number().nullable()), z.record(z.string(), z.string()).nullable(), z.literal('broker')]),
  z.tuple([z.number().int(), z.number().int(), z.number(), z.array(z.number().nullable()), z.record(z.string(), z.string()).nullable(), z.literal('broker').nullable(), z.number().int()]),
]);

/** A control message, with its part index and offset delta as a reading has them. */
const packedControlSchema = z.object({ part: z.number().int(), offset: z.number().int(), control: controlSchema });

export const packedItemsSchema = z.object({
  parts: z.array(partSchema),
  fields: z.array(z.string()),
  items: z.array(z.union([packedReadingSchema, packedControlSchema])),
});
export type PackedItems = z.infer<typeof packedItemsSchema>;
type PackedReading = z.infer<typeof packedReadingSchema>;

export function packItems(items: readonly SourcedItem[]): PackedItems {
  const parts: PackedItems['parts'] = [];
  const partIndex = new Map<string, number>();
  const lastOffset: number[] = [];
  const fields: string[] = [];
  const fieldIndex = new Map<string, number>();
  let lastTs = 0;
  const packed: PackedItems['items'] = items.map((item) => {
    const unkeyed = 'reading' in item && item.unkeyed === true;
    const key = `${item.source.partition}:${unkeyed ? 'u' : 'k'}:${item.source.topic}`;
    let part = partIndex.get(key);
    if (part === undefined) {
      part = parts.length;
      partIndex.set(key, part);
      parts.push(unkeyed ? [item.source.topic, item.source.partition, item.source.offset, 'unkeyed'] : [item.source.topic, item.source.partition, item.source.offset]);
      lastOffset.push(item.source.offset);
    }
    const offset = item.source.offset - lastOffset[part]!;
    lastOffset[part] = item.source.offset;
    if ('control' in item) return { part, offset, control: item.control };
    const { reading } = item;
    const values: Array<number | null> = new Array<number | null>(fields.length).fill(null);
    for (const [field, value] of Object.entries(reading.values)) {
      let index = fieldIndex.get(field);
      if (index === undefined) {
        index = fields.length;
        fieldIndex.set(field, index);
        fields.push(field);
      }
      values[index] = value;
    }
    while (values.length > 0 && values[values.length - 1] === null) values.pop(); // fields after the last it has
    const ts = reading.ts - lastTs;
    lastTs = reading.ts;
    const attrs = reading.attrs ?? null;
    if (reading.repeatedAs !== undefined) return [part, offset, ts, values, attrs, reading.clock === 'broker' ? 'broker' : null, reading.repeatedAs - reading.ts] satisfies PackedReading;
    if (reading.clock === 'broker') return [part, offset, ts, values, attrs, 'broker'] satisfies PackedReading;
    return attrs === null ? ([part, offset, ts, values] satisfies PackedReading) : ([part, offset, ts, values, attrs] satisfies PackedReading);
  });
  return { parts, fields, items: packed };
}

export function unpackItems(deviceId: string, packed: PackedItems): SourcedItem[] {
  const lastOffset = packed.parts.map(([, , first]) => first);
  let lastTs = 0;
  return packed.items.map((entry): SourcedItem => {
    const partIndex = Array.isArray(entry) ? entry[0] : entry.part;
    const [topic, partition, , unkeyed] = packed.parts[partIndex]!;
    const offset = lastOffset[partIndex]! + (Array.isArray(entry) ? entry[1] : entry.offset);
    lastOffset[partIndex] = offset;
    const source = { topic, partition, offset };
    if (!Array.isArray(entry)) return { source, control: entry.control };
    const [, , tsDelta, values, attrs, clock, repeatedAfter] = entry;
    const ts = lastTs + tsDelta;
    lastTs = ts;
    const reading: Extract<SourcedItem, { reading: unknown }>['reading'] = { deviceId, ts, values: {} };
    values.forEach((value, index) => {
      if (value !== null) reading.values[packed.fields[index]!] = value;
    });
    if (attrs) reading.attrs = attrs;
    if (clock) reading.clock = clock;
    if (repeatedAfter !== undefined) reading.repeatedAs = ts + repeatedAfter;
    return unkeyed ? { source, reading, unkeyed: true } : { source, reading };
  });
}
