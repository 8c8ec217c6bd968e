import { z } from 'zod';
import { connectionStatusSchema } from '../device/state';

/**
 * What Temporal visibility says of a running device when the board starts: its search attributes
 * (status, anomalies raised, newest reading) and the open anomalies its memo lists. A board
 * started late shows these instead of blanks; the topics then keep it current.
 */
export const deviceSnapshotSchema = z.object({
  deviceId: z.string(),
  status: connectionStatusSchema,
  /** The workflow's counter (search attribute `AnomalyCount`). */
  anomalyCount: z.number().int().nonnegative(),
  /**
   * `LastReadingAt`: the device's newest reading when the attributes were last written, which is
   * whenever `anomalyCount` changed, so the count covers the raises of readings up to it.
   */
  lastReadingTs: z.number().nullable(),
  /** The open anomalies, from the memo: one per detector and field, named `detector:field`; empty when it has none. */
  openIncidents: z.array(z.string()),
});
export type DeviceSnapshot = z.infer<typeof deviceSnapshotSchema>;

/** The memo's part the board reads (see src/device/summary.ts). */
const memoSchema = z.object({ summary: z.object({ openAnomalies: z.array(z.string()) }) });

/** A visibility row as the client lists it; anything missing or odd gets a neutral value. */
export interface VisibilityRow {
  workflowId: string;
  deviceId: string | undefined;
  status: string | undefined;
  anomalyCount: number | undefined;
  lastReadingAt: Date | undefined;
  memo: unknown;
}

export function snapshotOf(row: VisibilityRow): DeviceSnapshot {
  const status = connectionStatusSchema.safeParse(row.status);
  const count = z.number().int().nonnegative().safeParse(row.anomalyCount);
  const last = row.lastReadingAt?.getTime();
  const memo = memoSchema.safeParse(row.memo);
  return {
    deviceId: row.deviceId ?? row.workflowId.replace(/^device:/, ''),
    status: status.success ? status.data : 'NEW',
    anomalyCount: count.success ? count.data : 0,
    lastReadingTs: last !== undefined && Number.isFinite(last) ? last : null,
    openIncidents: memo.success ? memo.data.summary.openAnomalies : [],
  };
}
