import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { readFleetDefaults } from '../activities/fleet';
import type { Config } from '../config';
import { fleetWorkflowId } from '../workflows/definitions';
import { deviceIdOfRun, runningDevicesQuery } from './devices';

const boundsSchema = z.object({ low: z.number().nullable(), high: z.number().nullable() });
export type ThresholdBounds = z.infer<typeof boundsSchema>;

/** What a device's memo says of its thresholds: each field's rule in force (`deviceSummary` in device/summary.ts). */
const deviceMemoSchema = z.object({ summary: z.object({ fields: z.record(z.string(), z.object({ threshold: boundsSchema.optional() })) }) });

export interface ThresholdsInForce {
  /** Each running device's bounds per field, of whichever layer is in force (its own, the fleet's, its format's). */
  devices: Map<string, Record<string, ThresholdBounds>>;
  /** The fleet's `*` rows: what a device that has no workflow yet would start with. */
  fleet: Record<string, ThresholdBounds>;
}

/**
 * The thresholds in force, as `thresholds apply` left them: from the device workflows' memos and
 * the fleet workflow's (visibility and describe, so no worker needs to answer).
 */
export async function thresholdsInForce(client: Client, config: Config): Promise<ThresholdsInForce> {
  const devices = new Map<string, Record<string, ThresholdBounds>>();
  for await (const run of client.workflow.list({ query: runningDevicesQuery(config) })) {
    const deviceId = deviceIdOfRun(run);
    const memo = deviceMemoSchema.safeParse(run.memo);
    // A device that has not published its summary yet has no rule the listing could show.
    const fields = memo.success ? memo.data.summary.fields : {};
    devices.set(deviceId, Object.fromEntries(Object.entries(fields).flatMap(([field, { threshold }]) => (threshold ? [[field, threshold]] : []))));
  }
  const { thresholds } = await readFleetDefaults(client, fleetWorkflowId(config.temporal.taskQueue));
  const fleet = Object.fromEntries(Object.entries(thresholds).map(([field, { low, high }]) => [field, { low, high }]));
  return { devices, fleet };
}

/** A host's field's bounds in force: the device's, or the fleet's for a device that has no workflow. */
export function boundsInForce({ devices, fleet }: ThresholdsInForce, deviceId: string, field: string): ThresholdBounds | undefined {
  const own = devices.get(deviceId);
  return own ? own[field] : fleet[field];
}
