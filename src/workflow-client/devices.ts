/**
 * The device workflows as every process reaches them through a Temporal client: the worker, the
 * ingest, the board and the operator commands alike.
 */
import { type Client, WithStartWorkflowOperation, type WorkflowExecutionInfo, type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from '../config';
import { deviceIdAttribute, fleetWorkflowId, workflowIdFor } from '../workflows/definitions';
import type { fleetWorkflow } from '../workflows/fleet';

/** Visibility query for the running device workflows of this deployment (its task queue). */
export function runningDevicesQuery(config: Config, ...conditions: string[]): string {
  return [`WorkflowType = 'deviceWorkflow'`, `ExecutionStatus = 'Running'`, `TaskQueue = '${config.temporal.taskQueue}'`, ...conditions].join(' AND ');
}

/** A listed device workflow's device id: its search attribute, else its workflow id without `device:`. */
export function deviceIdOfRun(run: WorkflowExecutionInfo): string {
  return run.typedSearchAttributes.get(deviceIdAttribute) ?? run.workflowId.replace(/^device:/, '');
}

/** What one running device made of an Update sent to the fleet: taken, or refused and why. */
export interface DeviceUpdateOutcome {
  deviceId: string;
  refused?: string;
}

/**
 * Sends an Update to each running device of the deployment that `wanted` accepts, one after the
 * other; a refusal (or an unreachable device) is said, and does not stop the others.
 */
export async function updateRunningDevices(client: Client, config: Config, wanted: (deviceId: string) => boolean, send: (handle: WorkflowHandle) => Promise<unknown>): Promise<DeviceUpdateOutcome[]> {
  const outcomes: DeviceUpdateOutcome[] = [];
  for await (const run of client.workflow.list({ query: runningDevicesQuery(config) })) {
    const deviceId = deviceIdOfRun(run);
    if (!wanted(deviceId)) continue;
    try {
      await send(client.workflow.getHandle(run.workflowId));
      outcomes.push({ deviceId });
    } catch (error) {
      outcomes.push({ deviceId, refused: updateFailure(error) });
    }
  }
  return outcomes;
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
