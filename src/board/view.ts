import { z } from 'zod';
import { boardStatusSchema, type DeviceSummary, deviceSummarySchema } from './summary';

/**
 * What the page asks for and what it gets: the fleet's totals, the chart's top devices and one
 * page of the table. Pure; the server computes it per open page from the model's summaries, so
 * the browser never holds more than a page of a fleet of any size.
 */

export const sortSchema = z.enum(['device', 'anomalies', 'total', 'last-reading']);

/** The board's query parameters (on `/api/board` and `/events`, and in the page's address). */
export const boardQuerySchema = z.object({
  /** Part of a device id, any case. */
  q: z.string().trim().max(200).default(''),
  status: z.union([z.literal('all'), boardStatusSchema]).default('all'),
  sort: sortSchema.default('device'),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  size: z.coerce.number().int().min(1).max(500).default(50),
  /** How many devices the chart shows. */
  top: z.coerce.number().int().min(1).max(100).default(20),
});
export type BoardQuery = z.infer<typeof boardQuerySchema>;

/** The query in a URL's parameters; unknown parameters are ignored, a bad value is an error that says which. */
export function parseBoardQuery(params: URLSearchParams): { query: BoardQuery } | { error: string } {
  const known = Object.fromEntries([...params].filter(([key, value]) => key in boardQuerySchema.shape && value !== ''));
  const parsed = boardQuerySchema.safeParse(known);
  if (parsed.success) return { query: parsed.data };
  return { error: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
}

export const fleetTotalsSchema = z.object({
  devices: z.number().int(),
  byStatus: z.record(boardStatusSchema, z.number().int()),
  anomaliesTotal: z.number().int(),
  openAnomalies: z.number().int(),
  /** Anomalous readings over every device's last minute, and the devices that had any. */
  anomaliesLastMinute: z.number().int(),
  devicesAnomalousLastMinute: z.number().int(),
});
export type FleetTotals = z.infer<typeof fleetTotalsSchema>;

export const chartPointSchema = deviceSummarySchema.pick({ deviceId: true, anomaliesLastMinute: true, maxLastMinute: true, field: true, severity: true, status: true });
export type ChartPoint = z.infer<typeof chartPointSchema>;

export const boardViewSchema = z.object({
  /** False while the board still reads the topics' history: the numbers are not complete yet. */
  ready: z.boolean(),
  totals: fleetTotalsSchema,
  top: z.array(chartPointSchema),
  query: boardQuerySchema,
  /** Devices the search and filter match, and the pages they make; `query.page` is clamped to them. */
  matching: z.number().int(),
  pages: z.number().int(),
  rows: z.array(deviceSummarySchema),
});
export type BoardView = z.infer<typeof boardViewSchema>;

export function fleetTotals(devices: DeviceSummary[]): FleetTotals {
  const byStatus = { NEW: 0, CONNECTED: 0, DISCONNECTED: 0, RETIRED: 0 };
  let anomaliesTotal = 0;
  let openAnomalies = 0;
  let anomaliesLastMinute = 0;
  let devicesAnomalousLastMinute = 0;
  for (const d of devices) {
    byStatus[d.status] += 1;
    anomaliesTotal += d.anomaliesTotal;
    openAnomalies += d.openAnomalies;
    anomaliesLastMinute += d.anomaliesLastMinute;
    if (d.anomaliesLastMinute > 0) devicesAnomalousLastMinute += 1;
  }
  return { devices: devices.length, byStatus, anomaliesTotal, openAnomalies, anomaliesLastMinute, devicesAnomalousLastMinute };
}

const byId = (a: DeviceSummary, b: DeviceSummary) => a.deviceId.localeCompare(b.deviceId);
const descending = (a: number | null, b: number | null) => (b ?? -Infinity) - (a ?? -Infinity);

/**
 * The chart's devices: the `n` with the most anomalous readings in their last minute (then the
 * higher max value, then by id); devices without any are left out.
 */
export function topDevices(devices: DeviceSummary[], n: number): ChartPoint[] {
  return devices
    .filter((d) => d.anomaliesLastMinute > 0)
    .sort((a, b) => b.anomaliesLastMinute - a.anomaliesLastMinute || descending(a.maxLastMinute, b.maxLastMinute) || byId(a, b))
    .slice(0, n)
    .map(({ deviceId, anomaliesLastMinute, maxLastMinute, field, severity, status }) => ({ deviceId, anomaliesLastMinute, maxLastMinute, field, severity, status }));
}

const orders: Record<BoardQuery['sort'], (a: DeviceSummary, b: DeviceSummary) => number> = {
  device: byId,
  anomalies: (a, b) => b.anomaliesLastMinute - a.anomaliesLastMinute || b.openAnomalies - a.openAnomalies || b.anomaliesTotal - a.anomaliesTotal || byId(a, b),
  total: (a, b) => b.anomaliesTotal - a.anomaliesTotal || byId(a, b),
  'last-reading': (a, b) => descending(a.lastReadingTs, b.lastReadingTs) || byId(a, b),
};

/** The search and filter, sorted and cut to the page asked for (the last one when asked beyond it); `devices` come by id, as the model gives them. */
export function pageOf(devices: DeviceSummary[], query: BoardQuery): Pick<BoardView, 'matching' | 'pages' | 'rows'> & { page: number } {
  const needle = query.q.toLowerCase();
  const matching = devices.filter((d) => (query.status === 'all' || d.status === query.status) && (needle === '' || d.deviceId.toLowerCase().includes(needle)));
  // The model gives devices by id already: sorting is only needed for the other orders.
  const sorted = query.sort === 'device' ? matching : [...matching].sort(orders[query.sort]);
  const pages = Math.max(1, Math.ceil(sorted.length / query.size));
  const page = Math.min(query.page, pages);
  return { matching: sorted.length, pages, page, rows: sorted.slice((page - 1) * query.size, page * query.size) };
}

/** Everything one open page shows, from the summaries of every device (by id). */
export function boardView(devices: DeviceSummary[], query: BoardQuery, ready: boolean): BoardView {
  const { page, ...rest } = pageOf(devices, query);
  return { ready, totals: fleetTotals(devices), top: topDevices(devices, query.top), query: { ...query, page }, ...rest };
}
