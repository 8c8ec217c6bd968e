import { z } from 'zod';
import type { Source } from '../reading';

/**
 * What a device has applied: the last offset per topic-partition (a re-delivered item after an
 * ingest restart or a rebalance is skipped) and the event times of its latest readings (a
 * device reports one reading per instant, so the same time again is the same reading sent
 * twice). Together they make delivery effectively once.
 */
export const ledgerSchema = z.object({
  /** Last applied offset per `topic:partition`. */
  applied: z.record(z.string(), z.number().int()),
  /**
   * Event times of the device's latest readings (ascending; those within the allowed lateness,
   * up to RECENT_TIMES_KEPT, pruned in bulk).
   */
  recentTimes: z.array(z.number()),
});
export type Ledger = z.infer<typeof ledgerSchema>;

export const emptyLedger = (): Ledger => ({ applied: {}, recentTimes: [] });

const sourceKey = (source: Source) => `${source.topic}:${source.partition}`;

/** True when this source offset has already changed the state (a re-delivery). */
export function isApplied(ledger: Ledger, source: Source): boolean {
  const last = ledger.applied[sourceKey(source)];
  return last !== undefined && source.offset <= last;
}

export function markApplied(ledger: Ledger, source: Source): void {
  ledger.applied[sourceKey(source)] = source.offset;
}

/** Where `ts` is, or would go, in the ascending times. */
function positionOf(times: readonly number[], ts: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! < ts) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** True when a reading at this event time was applied recently (nothing is remembered). */
export function hasRecentTime(ledger: Ledger, ts: number): boolean {
  return ledger.recentTimes[positionOf(ledger.recentTimes, ts)] === ts;
}

const RECENT_TIMES_KEPT = 4096;
/** Pruning waits for this many surplus times, so an in-order stream appends instead of shifting. */
const RECENT_TIMES_SLACK = 512;

/**
 * True when the event time was seen recently; otherwise remembers it. `watermark` is the newest
 * event time applied before: times older than it by more than the allowed lateness can never
 * match again (such a reading is refused as too late first), so they are dropped in bulk.
 */
export function isResent(ledger: Ledger, ts: number, watermark: number | null, allowedLatenessMs: number): boolean {
  const times = ledger.recentTimes;
  const low = positionOf(times, ts);
  if (times[low] === ts) return true;
  times.splice(low, 0, ts);
  const horizon = Math.max(ts, watermark ?? ts) - allowedLatenessMs;
  const stale = times[0]! < horizon - allowedLatenessMs;
  if (stale || times.length > RECENT_TIMES_KEPT + RECENT_TIMES_SLACK) {
    let expired = 0;
    while (expired < times.length && (times[expired]! < horizon || times.length - expired > RECENT_TIMES_KEPT)) expired++;
    times.splice(0, expired);
  }
  return false;
}
