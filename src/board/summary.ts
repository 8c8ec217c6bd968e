import { z } from 'zod';

/**
 * What the board says of one device, in the table and the chart. The server sends these to the
 * page; the schemas are the one definition of their shape.
 */
export const boardStatusSchema = z.enum(['NEW', 'CONNECTED', 'DISCONNECTED', 'RETIRED']);
export type BoardStatus = z.infer<typeof boardStatusSchema>;

/** The row's colour: an open anomaly, anomalies in the last minute, nothing, or not reporting. */
export const severitySchema = z.enum(['ok', 'recent', 'open', 'offline']);
export type Severity = z.infer<typeof severitySchema>;

export const deviceSummarySchema = z.object({
  deviceId: z.string(),
  status: boardStatusSchema,
  /** Event time of the device's newest reading the board knows of (from any source). */
  lastReadingTs: z.number().nullable(),
  /** Anomalous readings in the device's last minute of event time (the sensor system's count). */
  anomaliesLastMinute: z.number().int().nonnegative(),
  /** The highest anomalous value of `field` in that minute (the sensor system's max temp). */
  maxLastMinute: z.number().nullable(),
  /** The field of the minute's latest anomalous reading: the one `maxLastMinute` is of. */
  field: z.string().nullable(),
  openAnomalies: z.number().int().nonnegative(),
  /** Anomalies raised over the device's life. */
  anomaliesTotal: z.number().int().nonnegative(),
  severity: severitySchema,
  /** The end of the latest snooze or maintenance window its anomalies were recorded under (epoch ms); null: none seen. */
  silencedUntil: z.number().nullable(),
});
export type DeviceSummary = z.infer<typeof deviceSummarySchema>;
