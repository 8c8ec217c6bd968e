import os from 'node:os';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from '../config';
import { connectTemporalClient } from '../connections/temporal';
import { workflowIdFor } from '../workflows/definitions';

/**
 * A client with the configured TLS and credentials, on a connection checked at once: a wrong
 * address, CA, certificate or API key is one line naming the setting, within seconds.
 */
export function connectClient(config: Config): Promise<Client> {
  return connectTemporalClient(config);
}

/** Who is making a change, for the audit trail: `user@host` unless `--by` says otherwise. */
export function defaultAuthor(): string {
  return `${os.userInfo().username}@${os.hostname()}`;
}

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
