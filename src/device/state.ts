import { z } from 'zod';
import { openIncidentSchema } from '../detectors/incident';
import { type DetectorMemories, detectorMemoriesSchema, emptyMemories } from '../detectors/registry';
import { deviceIdSchema } from '../reading';
import { anomalyReportStateSchema, emptyAnomalyReport } from './anomaly-report';
import { attentionSchema, emptyAttention } from './attention';
import { emptyLedger, ledgerSchema } from './ledger';
import { emptyReorder, reorderSchema } from './reorder';
import { type DeviceSettings, deviceSettingsSchema } from './settings';
import { emptyWindows, windowsStateSchema } from './windows';

/** NEW: never reported (e.g. configured before its first reading). */
export const connectionStatusSchema = z.enum(['NEW', 'CONNECTED', 'DISCONNECTED']);
export type ConnectionStatus = z.infer<typeof connectionStatusSchema>;

/**
 * A device's whole durable state: small enough to travel in workflow arguments and queries
 * (what is large, HTM's models, lives in the model store; its memory here is a reference).
 */
export const deviceStateSchema = z.object({
  deviceId: deviceIdSchema,
  settings: deviceSettingsSchema,
  /** What has been applied: offsets and recent event times. */
  ledger: ledgerSchema,
  /** Unkeyed readings waiting for event-time order (reorder.ts); absent in states saved before it. */
  reorder: reorderSchema.default(emptyReorder),
  /** Each detector's memory of each field. */
  memories: detectorMemoriesSchema,
  /** The one open anomaly per `detector:field`. */
  incidents: z.record(z.string(), openIncidentSchema),
  /** Event time: the newest reading's (the watermark), and the silence taken out of the rules' clock. */
  clock: z.object({
    watermark: z.number().nullable(),
    /** Event time across which the device was DISCONNECTED: window rules stand still over it. */
    pausedMs: z.number().nonnegative(),
  }),
  windows: windowsStateSchema,
  /** The sensor notebook's anomaly report: its open 1-minute windows (anomaly-report.ts); absent in states saved before it. */
  report: anomalyReportStateSchema.default(emptyAnomalyReport),
  connection: z.object({
    status: connectionStatusSchema,
    /** Workflow time of the last batch of readings received. */
    lastSeenAt: z.number().nullable(),
  }),
  /** The latest value of each field. */
  lastValues: z.record(z.string(), z.number()),
  counters: z.object({
    readingsApplied: z.number().int().nonnegative(),
    controlsApplied: z.number().int().nonnegative(),
    /** Re-delivered items and re-sent readings, skipped. */
    duplicatesSkipped: z.number().int().nonnegative(),
    /** Readings refused as too late; each was dead-lettered. */
    lateDropped: z.number().int().nonnegative(),
    /** Anomalies raised so far (each is one raised → … → resolved life). */
    anomalyCount: z.number().int().nonnegative(),
  }),
  /** Snoozes, maintenance windows, acknowledgements and false alarms (attention.ts). */
  attention: attentionSchema.prefault({}),
});
export type DeviceState = z.infer<typeof deviceStateSchema> & { settings: DeviceSettings; memories: DetectorMemories };

export function initialDeviceState(deviceId: string, settings: DeviceSettings): DeviceState {
  return {
    deviceId,
    // A copy: a device changes its own settings (Updates), never the configuration it started from.
    settings: JSON.parse(JSON.stringify(settings)) as DeviceSettings,
    ledger: emptyLedger(),
    reorder: emptyReorder(),
    memories: emptyMemories(),
    incidents: {},
    clock: { watermark: null, pausedMs: 0 },
    windows: emptyWindows(),
    report: emptyAnomalyReport(),
    connection: { status: 'NEW', lastSeenAt: null },
    lastValues: {},
    counters: { readingsApplied: 0, controlsApplied: 0, duplicatesSkipped: 0, lateDropped: 0, anomalyCount: 0 },
    attention: emptyAttention(),
  };
}
