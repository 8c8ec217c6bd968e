import { z } from 'zod';
import { type SourcedReading, sourcedReadingSchema } from '../reading';

/**
 * Event-time order for a device's unkeyed readings. A message without a key lands on any
 * partition, so one device's readings come from several, each in its producer's order, and the
 * ingest hands them on in whatever order its fetches interleave. The device holds them and applies
 * them as a merge of its sources: a reading goes once every source still carrying the device has
 * delivered something at or after its event time, so no reading from those sources can come
 * before it any more. The result is the readings sorted by (ts, topic, partition, offset),
 * whatever the interleaving, a crash or a rebalance, as long as each source stays in order.
 *
 * A partition the device has not heard from yet cannot be waited for, so a reading also waits
 * `waitMs` of processing time after it arrived (the workflow's clock): the partitions whose
 * readings precede it show up meanwhile (the ingest delivers a device's readings about once a
 * second). Readings go as a prefix of the held list, so one still waiting holds back the later ones.
 *
 * Two limits keep a quiet source from holding the device up: a source whose newest reading is
 * more than `spanMs` of event time behind the device's newest (the allowed lateness) no longer
 * counts, and at most MAX_HELD readings wait. The device also lets everything go when it falls
 * silent (see the device entity). A reading that comes after others later than it were applied
 * is applied on arrival, under the lateness rule, as a keyed reading out of order is.
 */
const heldReadingSchema = sourcedReadingSchema.extend({
  /** Workflow time when it arrived; absent where no clock is kept (reference runs, backtests). */
  at: z.number().optional(),
});
type HeldReading = z.infer<typeof heldReadingSchema>;

export const reorderSchema = z.object({
  /** Unkeyed readings received and not yet applied, in (ts, topic, partition, offset) order. */
  held: z.array(heldReadingSchema),
  /** The newest event time received from each `topic:partition` that carries the device's unkeyed readings. */
  sources: z.record(z.string(), z.number()),
});
export type Reorder = z.infer<typeof reorderSchema>;

export const emptyReorder = (): Reorder => ({ held: [], sources: {} });

/** Most readings a device holds: bounds its state (each is a hundred bytes or so) when a source stalls. */
export const MAX_HELD = 1000;

const sourceKey = ({ source }: SourcedReading) => `${source.topic}:${source.partition}`;

/** The merge's order: event time, then where it came from (unique per message). */
function before(a: SourcedReading, b: SourcedReading): boolean {
  if (a.reading.ts !== b.reading.ts) return a.reading.ts < b.reading.ts;
  if (a.source.topic !== b.source.topic) return a.source.topic < b.source.topic;
  if (a.source.partition !== b.source.partition) return a.source.partition < b.source.partition;
  return a.source.offset < b.source.offset;
}

/** Takes an unkeyed reading in, arrived at workflow time `at`: held in order, its source's progress noted. */
export function hold(reorder: Reorder, item: SourcedReading, at?: number): void {
  const { held } = reorder;
  let low = 0;
  let high = held.length;
  // In-order arrival (the common case) appends: check the end first.
  if (high > 0 && before(held[high - 1]!, item)) low = high;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (before(held[mid]!, item)) low = mid + 1;
    else high = mid;
  }
  held.splice(low, 0, at === undefined ? { source: item.source, reading: item.reading } : { source: item.source, reading: item.reading, at });
  const key = sourceKey(item);
  const newest = reorder.sources[key];
  if (newest === undefined || item.reading.ts > newest) reorder.sources[key] = item.reading.ts;
}

/** How long a held reading waits, and the workflow time now (undefined: no clock, no wait). */
export interface ReorderClock {
  now: number | undefined;
  waitMs: number;
}

/**
 * The held readings that may be applied now, in order, taken out of the buffer: the first ones
 * that are at or before every active source's newest event time and have waited `waitMs`, and
 * the oldest beyond MAX_HELD. Sources that fell more than `spanMs` behind the newest are
 * forgotten (they no longer hold anything up).
 */
export function release(reorder: Reorder, spanMs: number, clock: ReorderClock = { now: undefined, waitMs: 0 }): SourcedReading[] {
  const newest = Math.max(...Object.values(reorder.sources));
  let frontier = newest;
  for (const [key, ts] of Object.entries(reorder.sources)) {
    if (ts < newest - spanMs) delete reorder.sources[key];
    else if (ts < frontier) frontier = ts;
  }
  const { held } = reorder;
  let count = 0;
  const due = (h: HeldReading) => clock.now === undefined || h.at === undefined || h.at + clock.waitMs <= clock.now;
  while (count < held.length && ((held[count]!.reading.ts <= frontier && due(held[count]!)) || held.length - count > MAX_HELD)) count++;
  return count === 0 ? [] : held.splice(0, count).map(withoutArrival);
}

const withoutArrival = ({ source, reading }: HeldReading): SourcedReading => ({ source, reading });

/** Everything held, in order: the device fell silent, so nothing earlier is on its way. */
export function releaseAll(reorder: Reorder): SourcedReading[] {
  return reorder.held.splice(0).map(withoutArrival);
}
