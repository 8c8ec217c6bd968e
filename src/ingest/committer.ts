/**
 * Commits offsets one after another, so a later watermark never lands before an earlier one,
 * and batches the commits of acknowledgements that arrive close together.
 */
export class Committer {
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();

  /** `commitNow` commits whatever is due; a failure is its to handle (it may `schedule` a retry). */
  constructor(private readonly commitNow: () => Promise<void>) {}

  /** A commit soon, once for however many calls arrive meanwhile. */
  schedule(delayMs = 50): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      void this.commit();
    }, delayMs);
  }

  /** A commit after any in progress. */
  commit(): Promise<void> {
    this.chain = this.chain.then(() => this.commitNow());
    return this.chain;
  }
}
