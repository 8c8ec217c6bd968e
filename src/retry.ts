import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from './logger';

export interface RetryOptions {
  /** The longest wait between attempts (the waits double from 100 ms up to it). */
  maxDelayMs?: number;
  /** Runs before each wait: a consumer heartbeats, so that a long outage does not cost it its partitions. */
  beforeWait?: () => Promise<void>;
}

/**
 * Retries an operation with capped exponential backoff until it succeeds or `stillWanted`
 * says its result no longer matters (its partition was revoked, the process is stopping). A
 * failure is logged as a warning at the first attempt and every tenth after it (an outage says
 * so, and says it goes on, without a line per attempt); the others at debug level.
 */
export async function retryUntilDone<T>(what: string, operation: () => Promise<T>, stillWanted: () => boolean, options: RetryOptions = {}): Promise<T | undefined> {
  const { maxDelayMs = 10_000, beforeWait } = options;
  for (let attempt = 0; ; attempt += 1) {
    if (!stillWanted()) return undefined;
    try {
      return await operation();
    } catch (error) {
      if (!stillWanted()) return undefined;
      const delay = Math.min(maxDelayMs, 100 * 2 ** attempt);
      logger[attempt % 10 === 0 ? 'warn' : 'debug']({ err: error, attempt, delay }, `${what} failed; retrying`);
      await beforeWait?.().catch(() => undefined);
      await sleep(delay);
    }
  }
}
