import { CancellationScope, condition, isCancellation, sleep } from '@temporalio/workflow';

/**
 * The device loop's one timer. A busy device's deadline (its connection check) moves later with
 * every batch; a timer started per batch costs a billable action and two history events each
 * time. So the timer is kept while deadlines only move later: when it fires before the deadline
 * it now has, it is started again for the rest, about once per disconnect period instead of once
 * per batch. It is cancelled and started anew only when a deadline moves earlier.
 *
 * Workflow code: deterministic, in workflow time.
 */
export class DeadlineTimer {
  private timer: { dueAt: number; scope: CancellationScope; fired: boolean } | undefined;

  /** Waits until `wanted` holds (true) or workflow time reaches `dueAt` (false); without `dueAt`, for `wanted` alone. */
  async wait(wanted: () => boolean, dueAt: number | undefined): Promise<boolean> {
    for (;;) {
      if (dueAt === undefined) {
        this.cancel();
        await condition(wanted);
        return true;
      }
      if (this.timer !== undefined && this.timer.dueAt > dueAt) this.cancel();
      const timer = this.timer ?? this.start(dueAt);
      await condition(() => wanted() || timer.fired);
      if (wanted()) return true;
      this.timer = undefined;
      if (Date.now() >= dueAt) return false;
    }
  }

  private start(dueAt: number) {
    const timer = { dueAt, scope: new CancellationScope(), fired: false };
    timer.scope
      .run(() => sleep(Math.max(1, dueAt - Date.now())))
      .then(
        () => void (timer.fired = true),
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
    this.timer = timer;
    return timer;
  }

  private cancel(): void {
    this.timer?.scope.cancel();
    this.timer = undefined;
  }
}
