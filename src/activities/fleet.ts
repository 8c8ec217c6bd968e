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

/** The maintenance windows a fleet workflow's memo holds (none when it has none). */
export function fleetMaintenanceOf(memo: unknown): MaintenanceWindow[] {
  const parsed = fleetMemoSchema.safeParse(memo);
  return parsed.success ? parsed.data.maintenance : [];
}

/** The `*` threshold rules a fleet workflow's memo holds (none when it has none). */
export function fleetThresholdsOf(memo: unknown): ThresholdLayer {
  const parsed = fleetMemoSchema.safeParse(memo);
  return parsed.success ? parsed.data.defaults : {};
}

export function createFleetActivities(client: Client) {
  return {
    /**
     * The `*` thresholds and the maintenance windows a new device starts with, from its fleet
     * workflow's memo (no worker needs to answer); none while no `*` row or window was ever
     * applied. The workflow names its fleet.
     */
    async fleetDefaults(fleetWorkflowId: string): Promise<FleetDefaults> {
      try {
        const { memo } = await client.workflow.getHandle(fleetWorkflowId).describe();
        const parsed = fleetMemoSchema.safeParse(memo);
        return parsed.success ? { thresholds: parsed.data.defaults, maintenance: parsed.data.maintenance } : { thresholds: {}, maintenance: [] };
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return { thresholds: {}, maintenance: [] };
        throw error;
      }
    },
  };
}
