import { ActivityFailure, log, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { HtmScoreReply, HtmScoreRequest } from '../activities/htm';

type Activities = ReturnType<typeof createActivities>;

/**
 * How long a scoring task may wait on a worker's own queue before that worker is taken for
 * gone: a live worker takes it within milliseconds (it polls with free slots), a dead one never.
 */
const WORKER_GONE_AFTER = '5 seconds';

/** Scoring may rebuild a model first: seconds. It heartbeats, so one lost with its worker fails after seconds. */
const scoringTimeouts = { startToCloseTimeout: '2 minutes', heartbeatTimeout: '10 seconds' } as const;

/** On the shared queue, any worker: retried until it succeeds. */
const anyWorker = proxyActivities<Activities>({ ...scoringTimeouts, retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });

/** On one worker's own queue: once, within WORKER_GONE_AFTER of being scheduled; a failure falls back to the shared queue. */
function theWorkerOf(taskQueue: string) {
  return proxyActivities<Activities>({ ...scoringTimeouts, taskQueue, scheduleToStartTimeout: WORKER_GONE_AFTER, retry: { maximumAttempts: 1 } });
}

/**
 * Where a device's HTM scoring goes: the one place that chooses a task queue for it (after
 * Temporal's worker-specific task queue sample).
 *
 * A worker holds the live models it scored (htm-runtime/), and names its own task queue in its
 * reply (`scoredOn`). The device's next scoring goes to that queue, so it finds its model in
 * memory instead of rebuilding it from the store. When that worker is gone (nobody takes the
 * task within WORKER_GONE_AFTER), or the attempt fails or times out, the same request goes to
 * the shared queue, where any worker takes it, rebuilds the model exactly, and becomes the
 * device's worker. The queue is carried across continue-as-new.
 *
 * Deterministic: it only reads activity results.
 */
export class ScoringRoute {
  constructor(private queue: string | undefined) {}

  /** The worker queue the next scoring goes to; undefined: the shared queue. */
  get workerQueue(): string | undefined {
    return this.queue;
  }

  async scoreHtm(request: HtmScoreRequest): Promise<HtmScoreReply> {
    if (this.queue !== undefined) {
      try {
        return this.followed(await theWorkerOf(this.queue).scoreHtm(request));
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        log.info('HTM scoring falls back to the shared task queue', { workerQueue: this.queue, reason: error.cause?.message ?? error.message });
        this.queue = undefined;
      }
    }
    return this.followed(await anyWorker.scoreHtm(request));
  }

  private followed(reply: HtmScoreReply): HtmScoreReply {
    this.queue = reply.scoredOn;
    return reply;
  }
}
