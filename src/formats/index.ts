import { z } from 'zod';
import { csv3Format, csv3SettingsSchema, defaultCsv3Settings } from './csv3';
import { epaFormat } from './epa';
import type { InputFormat } from './format';
import { hostFormat } from './host';
import { readingFormat } from './reading';
import { sensorFormat } from './sensor';
import { defaultUsageSettings, usageFormat, usageSettingsSchema } from './usage';

/**
 * The input formats: each a zod schema of one Kafka message and its mapping to the canonical
 * reading (see format.ts), configured per topic.
 */

export type { InputFormat, MessageMeta } from './format';
export { decodeMessage, isUnkeyed, messageText, parseJson, parseText, requireKeyMatches, toCanonical } from './message';
export { Rejection, type RejectionCode } from './rejection';

export const formatNameSchema = z.enum(['reading', 'sensor', 'host', 'csv3', 'usage', 'epa']);
export type FormatName = z.infer<typeof formatNameSchema>;

/** The formats with default settings; what runs uses `configuredFormats(config.formats)`. */
export const formats: Record<FormatName, InputFormat> = {
  reading: readingFormat,
  sensor: sensorFormat,
  host: hostFormat,
  csv3: csv3Format(defaultCsv3Settings),
  usage: usageFormat(defaultUsageSettings),
  epa: epaFormat,
};

/** Settings of the formats that have any (config `formats`). */
export const formatSettingsSchema = z.object({ usage: usageSettingsSchema, csv3: csv3SettingsSchema.prefault({}) });
export type FormatSettings = z.infer<typeof formatSettingsSchema>;

/** The formats with the configured settings applied: usage's time zone and default device, csv3's rule. */
export function configuredFormats(settings: FormatSettings): Record<FormatName, InputFormat> {
  return { ...formats, usage: usageFormat(settings.usage), csv3: csv3Format(settings.csv3) };
}

/** Each input topic's format, with the configured settings applied (see `inputFormatsOf` in config.ts, its one caller). */
export function formatsByTopic(inputs: ReadonlyArray<{ topic: string; format: FormatName }>, settings: FormatSettings): Map<string, InputFormat> {
  const configured = configuredFormats(settings);
  return new Map(inputs.map((input) => [input.topic, configured[input.format]]));
}
