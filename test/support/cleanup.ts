import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';

/** Terminates the given workflows, 50 calls at a time; one already ended is no error. */
export async function terminateWorkflows(client: Client, workflowIds: string[], reason: string): Promise<void> {
  for (let i = 0; i < workflowIds.length; i += 50) {
    await Promise.all(workflowIds.slice(i, i + 50).map((id) => client.workflow.getHandle(id).terminate(reason).catch(() => undefined)));
  }
}

/** Terminates the workflows running on a task queue: a test's or a benchmark's devices. */
export async function terminateRunningOn(client: Client, taskQueue: string, reason: string): Promise<void> {
  const ids: string[] = [];
  for await (const run of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) ids.push(run.workflowId);
  await terminateWorkflows(client, ids, reason);
}

/** Deletes a run's topics (all start with its prefix), so a long-used local broker does not collect them. */
export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
