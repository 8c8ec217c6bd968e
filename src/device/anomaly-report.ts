import { z } from 'zod';
import type { AnomalyEvent } from '../contracts/anomalies';

/**
 * The sensor notebook's anomaly report (`anomalyMemReport`) of one device: its anomalous temp
 * readings (the ones the drop-in `anomalyTopic` carries) grouped in 1-minute windows of event
 * time sliding by 1 s, with their `count` and `max(temp)`, as Spark's
 * `groupBy(id, window(timestamp, "1 minute", "1 second"))` in append mode with a 0-s watermark
 * emits them: a window is one row, emitted once, when the watermark (the device's newest reading,
 * in whole seconds) reaches its end; only windows that hold an anomalous reading have a row. A
 * reading's time is its second (the notebook's `ts / 1000` cast to a timestamp).
 *
 * Kept per second of event time, so the state stays small at any rate: only the seconds that
 * hold anomalous readings and that an open window still contains. Closed windows travel as runs:
 * consecutive windows with the same count and max are one `[firstStart, lastStart, count, temp]`,
 * so a lone spike's 60 rows are one run in the workflow's history, and the publisher writes the rows.
 */
export const REPORT_WINDOW_SECONDS = 60;

/** The steps the report counts: those the sensor format's `anomalyTopic` carries (a z-score verdict on temp that raised or updated an anomaly). */
export function isReportedTempAnomaly(event: Pick<AnomalyEvent, 'detector' | 'field' | 'status'>): boolean {
  return event.detector === 'zscore' && event.field === 'temp' && event.status !== 'resolved';
}

/** [second, anomalous readings in it, their largest temp]. */
const secondSchema = z.tuple([z.number().int(), z.number().int().positive(), z.number()]);

export const anomalyReportStateSchema = z.object({
  /** The seconds (epoch seconds) with anomalous readings that an open window holds, ascending. */
  seconds: z.array(secondSchema),
  /** The start (epoch seconds) up to which every window is closed: emitted, or closed empty. Null: none yet. */
  closedThrough: z.number().int().nullable(),
  /** The input topic of the latest anomalous reading: the drop-in output serves the sensor format's topics. */
  topic: z.string().nullable(),
});
export type AnomalyReportState = z.infer<typeof anomalyReportStateSchema>;

export const emptyAnomalyReport = (): AnomalyReportState => ({ seconds: [], closedThrough: null, topic: null });

/** Consecutive windows with the same content: [first window start, last window start, count, max temp], starts in epoch seconds. */
export const reportRunSchema = z.tuple([z.number().int(), z.number().int(), z.number().int().positive(), z.number()]);
export type ReportRun = z.infer<typeof reportRunSchema>;

/** The windows a device closed, for the publisher: it writes one row per window of each run. */
export const closedReportWindowsSchema = z.object({ deviceId: z.string(), topic: z.string(), runs: z.array(reportRunSchema) });
export type ClosedReportWindows = z.infer<typeof closedReportWindowsSchema>;

const secondOf = (ts: number) => Math.floor(ts / 1000);

/** The last window start the watermark has closed: a window [s, s + 60) closes when the watermark's second reaches s + 60. */
export const closedByWatermark = (watermark: number | null) => (watermark === null ? null : secondOf(watermark) - REPORT_WINDOW_SECONDS);

const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * Counts an anomaly step in the report when it is one the report counts, given the device's
 * watermark before its reading. A reading whose every window is closed is in none (Spark drops
 * it from closed windows as late); one with open windows counts in those only.
 */
export function addToReport(report: AnomalyReportState, event: AnomalyEvent, watermark: number | null): void {
  if (!isReportedTempAnomaly(event)) return;
  const second = secondOf(event.ts);
  const closed = maxOf(report.closedThrough, closedByWatermark(watermark));
  if (closed !== null && second <= closed) return;
  const bucket = report.seconds.find((b) => b[0] === second);
  if (bucket) {
    bucket[1] += 1;
    bucket[2] = Math.max(bucket[2], event.value);
  } else {
    report.seconds.push([second, 1, event.value]);
    report.seconds.sort((a, b) => a[0] - b[0]);
  }
  report.topic = event.source.topic;
}

/** True when some window holding an anomalous reading is closed by this watermark and not yet emitted. */
export function hasReportToClose(report: AnomalyReportState, watermark: number | null): boolean {
  const through = closedByWatermark(watermark);
  const first = report.seconds[0];
  // The first window holding the first second starts 59 s before it, and must not be closed already.
  return first !== undefined && through !== null && first[0] - REPORT_WINDOW_SECONDS + 1 <= through && (report.closedThrough === null || report.closedThrough < through);
}

/**
 * Closes every window starting at or before `through` (epoch seconds): returns the runs of those
 * not yet emitted that hold an anomalous reading, and forgets the seconds no open window holds.
 */
export function closeReportWindows(report: AnomalyReportState, through: number): ReportRun[] {
  const from = report.closedThrough === null ? Number.NEGATIVE_INFINITY : report.closedThrough + 1;
  if (through < from) return [];
  const runs: ReportRun[] = [];
  const { seconds } = report;
  if (seconds.length > 0) {
    const first = Math.max(from, seconds[0]![0] - REPORT_WINDOW_SECONDS + 1);
    const last = Math.min(through, seconds[seconds.length - 1]![0]);
    for (let start = first; start <= last; start += 1) {
      let count = 0;
      let max = Number.NEGATIVE_INFINITY;
      for (const [second, n, m] of seconds) {
        if (second < start) continue;
        if (second >= start + REPORT_WINDOW_SECONDS) break;
        count += n;
        max = Math.max(max, m);
      }
      if (count === 0) continue;
      const run = runs[runs.length - 1];
      if (run && run[1] === start - 1 && run[2] === count && run[3] === max) run[1] = start;
      else runs.push([start, start, count, max]);
    }
  }
  report.closedThrough = through;
  report.seconds = seconds.filter(([second]) => second > through);
  return runs;
}

/** The windows the watermark closed since the last time, for publication; undefined when none holds a row. */
export function takeClosedReportWindows(report: AnomalyReportState, deviceId: string, watermark: number | null): ClosedReportWindows | undefined {
  const through = closedByWatermark(watermark);
  if (through === null) return undefined;
  return asClosed(report, deviceId, closeReportWindows(report, through));
}

/**
 * The device fell silent: every window holding an anomalous reading closes now, as if its time
 * had passed their ends (a silent device's watermark would never close them). Its later readings
 * count only in windows that start after its last anomalous second.
 */
export function closeAllReportWindows(report: AnomalyReportState, deviceId: string): ClosedReportWindows | undefined {
  const last = report.seconds[report.seconds.length - 1];
  if (last === undefined) return undefined;
  return asClosed(report, deviceId, closeReportWindows(report, last[0]));
}

function asClosed(report: AnomalyReportState, deviceId: string, runs: ReportRun[]): ClosedReportWindows | undefined {
  return runs.length > 0 && report.topic !== null ? { deviceId, topic: report.topic, runs } : undefined;
}
