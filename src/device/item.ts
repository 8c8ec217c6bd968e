import { z } from 'zod';
import { readingSchema, sourceSchema } from '../reading';
import { controlSchema } from './control';

/**
 * A reading as a device receives it. `unkeyed`: its message had no Kafka key, so the device's
 * readings may come from several partitions and are put in event-time order (device/reorder.ts);
 * a keyed reading keeps its partition's order and is applied as it comes.
 */
export const deliveredReadingSchema = z.object({ source: sourceSchema, reading: readingSchema, unkeyed: z.literal(true).optional() });
export type DeliveredReading = z.infer<typeof deliveredReadingSchema>;

/** What a device applies, in order: a reading or a control message, with where it came from. */
export const sourcedItemSchema = z.union([deliveredReadingSchema, z.object({ source: sourceSchema, control: controlSchema })]);
export type SourcedItem = z.infer<typeof sourcedItemSchema>;
