import { parseMetricsText } from '../../test/support/vigil-process';

export async function scrape(port: number): Promise<Map<string, number>> {
  return parseMetricsText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
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
