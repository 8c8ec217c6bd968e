import fs from 'node:fs';
import type { Client } from '@temporalio/client';

/**
 * What a run cost the Temporal server and the worker, from their own figures: workflow tasks and
 * activities per signal (the server's request counters, namespace-wide), bytes of history per
 * reading (every run of every workflow on the run's task queue), and the worker's resident
 * memory per workflow in its cache.
 */

const requests = (metrics: Map<string, number> | undefined, operation: string) =>
  [...(metrics ?? [])].filter(([series]) => series.startsWith('service_requests{') && series.includes(`operation="${operation}"`) && series.includes('service_name="frontend"')).reduce((sum, [, value]) => sum + value, 0);

/** Workflow tasks and activities the server completed per signal sent, between two scrapes of its metrics. */
export function serverTasksPerSignal(before: Map<string, number> | undefined, after: Map<string, number> | undefined, signals: number) {
  if (!before || !after || signals <= 0) return { workflowTasksPerSignal: null, activitiesPerSignal: null };
  const delta = (operation: string) => requests(after, operation) - requests(before, operation);
  return { workflowTasksPerSignal: delta('RespondWorkflowTaskCompleted') / signals, activitiesPerSignal: delta('RespondActivityTaskCompleted') / signals };
}

/**
 * Billable actions (as Temporal Cloud counts them, from the server's own `action` counter) per
 * device-hour, by type, between two scrapes. Queries are left out: the benchmark's own (it reads
 * every workflow's state), not the pipeline's.
 */
export function actionsPerDeviceHour(before: Map<string, number> | undefined, after: Map<string, number> | undefined, seconds: number, devices: number): { total: number; byType: Record<string, number> } | null {
  if (!before || !after || seconds <= 0 || devices <= 0) return null;
  const byType: Record<string, number> = {};
  for (const [series, value] of after) {
    const type = /^action\{.*action_type="([^"]+)"/.exec(series)?.[1];
    if (type === undefined || type.includes('Query')) continue;
    const delta = value - (before.get(series) ?? 0);
    if (delta > 0) byType[type] = (byType[type] ?? 0) + (delta * 3600) / seconds / devices;
  }
  return { total: Object.values(byType).reduce((sum, n) => sum + n, 0), byType };
}

/**
 * Bytes of history of every run (open, closed, continued as new) of the workflows on a task
 * queue. Listing finds the runs; each is described, as the dev server's listing leaves sizes out.
 */
export async function historyBytesOn(client: Client, taskQueue: string): Promise<{ bytes: number; runs: number }> {
  const runs: Array<{ workflowId: string; runId: string }> = [];
  for await (const run of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) runs.push({ workflowId: run.workflowId, runId: run.runId });
  let bytes = 0;
  for (let i = 0; i < runs.length; i += 50) {
    const sizes = await Promise.all(runs.slice(i, i + 50).map(({ workflowId, runId }) => client.workflow.getHandle(workflowId, runId).describe().then((d) => d.historySize ?? 0, () => 0)));
    bytes += sizes.reduce((sum, size) => sum + size, 0);
  }
  return { bytes, runs: runs.length };
}

/** A process's resident memory, in bytes (Linux), or null. */
export function residentBytes(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** The workflows in a worker's sticky cache, from its SDK metrics. */
export function cachedWorkflows(sdkMetrics: Map<string, number> | undefined): number {
  return [...(sdkMetrics ?? [])].filter(([series]) => /^(temporal_)?sticky_cache_size(\{|$)/.test(series)).reduce((sum, [, value]) => sum + value, 0);
}
