/**
 * The task queue of one worker, which only it polls: `<task queue>@<worker name>`. HTM scoring
 * sent there reaches the worker that holds the device's live model (workflows/scoring-route.ts).
 * The name is VIGIL_WORKER_NAME, by default `<hostname>-<pid>`: unique among the processes of
 * one host, and the same for a container started again (same hostname, node as its process 1).
 */
export function ownScoringQueue(taskQueue: string, workerName: string): string {
  return `${taskQueue}@${workerName}`;
}
