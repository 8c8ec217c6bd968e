/**
 * The device workflows as every process reaches them through a Temporal client: the worker, the
 * ingest, the board and the operator commands alike.
 */
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from '../config';
import { workflowIdFor } from '../workflows/definitions';

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
