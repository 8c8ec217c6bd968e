/**
 * The device workflows as every process reaches them through a Temporal client: the worker, the
 * ingest, the board and the operator commands alike.
 */
import { type Client, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from '../config';
import { fleetWorkflowId, workflowIdFor } from '../workflows/definitions';
import type { fleetWorkflow } from '../workflows/fleet';

/** Visibility query for the running device workflows of this deployment (its task queue). */
export function runningDevicesQuery(config: Config, ...conditions: string[]): string {
  return [`WorkflowType = 'deviceWorkflow'`, `ExecutionStatus = 'Running'`, `TaskQueue = '${config.temporal.taskQueue}'`, ...conditions].join(' AND ');
}

export function deviceHandle(client: Client, deviceId: string) {
  return client.workflow.getHandle(workflowIdFor(deviceId));
}

/** The reason a rejected Update gives, rather than the SDK's wrapper message. */
export function updateFailure(error: unknown): string {
  if (error instanceof WorkflowUpdateFailedError) return error.cause?.message ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Runs an Update; a rejection becomes an Error that says why. */
export async function runUpdate<T>(run: Promise<T>): Promise<T> {
  try {
    return await run;
  } catch (error) {
    throw new Error(updateFailure(error));
  }
}

/** The deployment's fleet workflow (the `*` device), started with an Update if it does not run yet. */
export function fleetStart(config: Config) {
  return new WithStartWorkflowOperation<typeof fleetWorkflow>('fleetWorkflow', {
    workflowId: fleetWorkflowId(config.temporal.taskQueue),
    taskQueue: config.temporal.taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [{}],
    staticSummary: 'Fleet defaults (the * device)',
  });
}
