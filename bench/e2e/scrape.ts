import { fetchMetrics } from '../../test/support/vigil-process';

/** The metrics of a pipeline process serving them on a local port. */
export function scrape(port: number): Promise<Map<string, number>> {
  return fetchMetrics(`http://127.0.0.1:${port}/metrics`);
}

export interface ServerStep {
  /** `persistence UpdateWorkflowExecution`, `history RecordWorkflowTaskStarted`, … */
  step: string;
  perSecond: number;
  meanMs: number;
  /** Seconds spent in it per second of the window (summed over concurrent calls). */
  busy: number;
}

/**
 * Where the Temporal server's time went between two scrapes of its own metrics: persistence
 * operations and history-service calls, by operation, busiest first. Long polls are left out:
 * their latency is mostly waiting for work.
 */
export function serverSteps(before: Map<string, number>, after: Map<string, number>, seconds: number, top = 8): ServerStep[] {
  const totals = new Map<string, { sum: number; count: number }>();
  for (const [series, value] of after) {
    const match = /^(persistence_latency|service_latency)_(sum|count)\{(.*)\}$/.exec(series);
    if (!match) continue;
    const labels = match[3]!;
    const operation = /operation="([^"]*)"/.exec(labels)?.[1] ?? '';
    const service = /service_name="([^"]*)"/.exec(labels)?.[1] ?? '';
    if (match[1] === 'service_latency' && (service !== 'history' || operation.startsWith('Poll'))) continue;
    const step = `${match[1] === 'persistence_latency' ? 'persistence' : 'history'} ${operation}`;
    const total = totals.get(step) ?? { sum: 0, count: 0 };
    total[match[2] as 'sum' | 'count'] += value - (before.get(series) ?? 0);
    totals.set(step, total);
  }
  return [...totals]
    .filter(([, t]) => t.count > 0)
    .map(([step, t]) => ({ step, perSecond: t.count / seconds, meanMs: (t.sum / t.count) * 1000, busy: t.sum / seconds }))
    .sort((a, b) => b.busy - a.busy)
    .slice(0, top);
}

/** Percentile by nearest rank of an ascending array; null for an empty one. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Mean of every histogram (`x_sum` / `x_count`, labels summed) between two scrapes, for the
 * names matching `pattern`: where the time went in that window.
 */
export function histogramMeans(before: Map<string, number>, after: Map<string, number>, pattern: RegExp): Record<string, { count: number; mean: number }> {
  const totals = new Map<string, { sum: number; count: number }>();
  for (const [series, value] of after) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)_(sum|count)(\{.*\})?$/.exec(series);
    if (!match || !pattern.test(match[1]!)) continue;
    const name = match[1]!;
    const total = totals.get(name) ?? { sum: 0, count: 0 };
    total[match[2] as 'sum' | 'count'] += value - (before.get(series) ?? 0);
    totals.set(name, total);
  }
  return Object.fromEntries(
    [...totals].filter(([, t]) => t.count > 0).map(([name, t]) => [name, { count: t.count, mean: Math.round((t.sum / t.count) * 1e4) / 1e4 }]),
  );
}
