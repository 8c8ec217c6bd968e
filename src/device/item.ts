import { z } from 'zod';
import { sourcedReadingSchema, sourceSchema } from '../reading';
import { controlSchema } from './control';

/** What a device applies, in order: a reading or a control message, with where it came from. */
export const sourcedItemSchema = z.union([sourcedReadingSchema, z.object({ source: sourceSchema, control: controlSchema })]);
export type SourcedItem = z.infer<typeof sourcedItemSchema>;
