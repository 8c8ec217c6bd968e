import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { type ThresholdLayer, thresholdRuleSchema } from '../detectors/threshold';
import { type MaintenanceWindow, maintenanceWindowSchema } from '../device/attention';

const fleetMemoSchema = z.object({ defaults: z.record(z.string(), thresholdRuleSchema), maintenance: z.array(maintenanceWindowSchema).default([]) });

/** What a new device takes from its fleet. */
export interface FleetDefaults {
  thresholds: ThresholdLayer;
  /** Every window of the fleet: the device keeps those that match it. */
  maintenance: MaintenanceWindow[];
}

/** What a fleet workflow's memo holds (nothing when it has none: no `*` row or window was ever applied). */
function fleetDefaultsOf(memo: unknown): FleetDefaults {
  const parsed = fleetMemoSchema.safeParse(memo);
  return parsed.success ? { thresholds: parsed.data.defaults, maintenance: parsed.data.maintenance } : { thresholds: {}, maintenance: [] };
}

/** A fleet workflow's defaults, from its memo (no worker needs to answer); none while it never ran. */
export async function readFleetDefaults(client: Client, fleetWorkflowId: string): Promise<FleetDefaults> {
  try {
    const { memo } = await client.workflow.getHandle(fleetWorkflowId).describe();
    return fleetDefaultsOf(memo);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return fleetDefaultsOf(undefined);
    throw error;
  }
}

export function createFleetActivities(client: Client) {
  return {
    /** The `*` thresholds and the maintenance windows a new device starts with. The workflow names its fleet. */
    fleetDefaults: (fleetWorkflowId: string): Promise<FleetDefaults> => readFleetDefaults(client, fleetWorkflowId),
  };
}
