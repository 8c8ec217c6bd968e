import { z } from 'zod';
import { deviceIdSchema } from '../reading';
import type { InputFormat } from './format';
import { parseIsoWithOffset } from '../time/timestamps';

/** The metrics of a host record, in the order the host rules' `stack(3, …)` unpivots them. */
export const hostMetrics = ['loadavg', 'cpu', 'mem'] as const;

const finite = z.number().refine(Number.isFinite, 'not a finite number');

/** Wide host metrics `{ts, id, loadavg, cpu, mem}`; each metric becomes a field of one reading. */
export const hostSchema = z
  .object({
    ts: z.string().refine((ts) => parseIsoWithOffset(ts) !== undefined, 'ts must be ISO-8601 with a zone, e.g. 2018-10-29T16:03:42+0700'),
    id: deviceIdSchema,
    loadavg: finite.optional(),
    cpu: finite.optional(),
    mem: finite.optional(),
  })
  .refine((h) => h.loadavg !== undefined || h.cpu !== undefined || h.mem !== undefined, 'a host record needs loadavg, cpu or mem');

export const hostFormat: InputFormat<typeof hostSchema> = {
  name: 'host',
  wire: 'json',
  wireSchema: hostSchema,
  // The host rules judge a metric by its thresholds only: one without a row in thresholds.csv is
  // never raised. VIGIL_DETECTORS naming a metric (`cpu=zscore,flatline`) asks for more.
  judging: { loadavg: [], cpu: [], mem: [] },
  toReading: ({ ts, id, ...metrics }) => ({
    deviceId: id,
    ts: parseIsoWithOffset(ts) as number,
    values: Object.fromEntries(Object.entries(metrics).filter(([, v]) => v !== undefined)) as Record<string, number>,
  }),
  fromCsvRow: ({ ts, id, loadavg, cpu, mem }) => ({
    ts,
    id,
    ...(loadavg ? { loadavg: Number(loadavg) } : {}),
    ...(cpu ? { cpu: Number(cpu) } : {}),
    ...(mem ? { mem: Number(mem) } : {}),
  }),
};
