import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../logger';

/**
 * Retries an operation with capped exponential backoff until it succeeds or `stillWanted`
 * says its result no longer matters (its partition was revoked, the process is stopping).
 */
export async function retryUntilDone<T>(
  what: string,
  operation: () => Promise<T>,
  stillWanted: () => boolean,
): Promise<T | undefined> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (!stillWanted()) return undefined;
      const delay = Math.min(10_000, 100 * 2 ** attempt);
      logger.warn({ err: error, attempt, delay }, `${what} failed; retrying`);
      await sleep(delay);
      if (!stillWanted()) return undefined;
    }
  }
}
