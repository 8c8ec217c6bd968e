import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { ThresholdRule } from '../detectors/threshold';
import { FLEET_WORKFLOW_ID, fleetDefaultsQuery } from '../workflows/definitions';

export function createFleetActivities(client: Client) {
  return {
    /** The `*` thresholds a new device starts with; none while no `*` row was ever applied. */
    async fleetThresholdDefaults(): Promise<Record<string, ThresholdRule>> {
      try {
        return await client.workflow.getHandle(FLEET_WORKFLOW_ID).query(fleetDefaultsQuery);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return {};
        throw error;
      }
    },
  };
}
