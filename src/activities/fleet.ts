import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { type ThresholdLayer, thresholdRuleSchema } from '../detectors/threshold';

const fleetMemoSchema = z.object({ defaults: z.record(z.string(), thresholdRuleSchema) });

export function createFleetActivities(client: Client) {
  return {
    /**
     * The `*` thresholds a new device starts with, from its fleet workflow's memo (no worker
     * needs to answer); none while no `*` row was ever applied. The workflow names its fleet.
     */
    async fleetThresholdDefaults(fleetWorkflowId: string): Promise<ThresholdLayer> {
      try {
        const { memo } = await client.workflow.getHandle(fleetWorkflowId).describe();
        const parsed = fleetMemoSchema.safeParse(memo);
        return parsed.success ? parsed.data.defaults : {};
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return {};
        throw error;
      }
    },
  };
}
