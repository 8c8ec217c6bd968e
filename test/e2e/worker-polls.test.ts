import { expect, it } from 'vitest';
import { usePipeline } from '../support/pipeline';
import { fetchMetrics, freePort, sumSeries } from '../support/vigil-process';

const newPipeline = usePipeline();

/** Outstanding workflow-task long polls (sticky and shared queue), from the SDK's own metrics. */
async function workflowTaskPolls(port: number): Promise<number> {
  const metrics = await fetchMetrics(`http://127.0.0.1:${port}/metrics`);
  return sumSeries(metrics, (series) => series.startsWith('temporal_num_pollers{') && /poller_type="(sticky_)?workflow_task"/.test(series));
}

// SDK 1.24 accepts `maxConcurrentWorkflowTaskPolls` and ignores it: a worker configured for 60
// polls kept 10, and under load its workflow tasks waited seconds for a poll.
it('a worker keeps as many workflow-task long polls open as VIGIL_WORKER_WORKFLOW_TASK_POLLS says', async () => {
  const p = newPipeline('worker-polls');
  const port = await freePort();
  Object.assign(p.env, { VIGIL_WORKER_SDK_METRICS_PORT: String(port), VIGIL_WORKER_WORKFLOW_TASK_POLLS: '24' });
  await p.start('worker');
  await expect.poll(() => workflowTaskPolls(port), { timeout: 20_000, interval: 500 }).toBe(24);
});
