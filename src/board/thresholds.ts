import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { logger } from '../logger';
import { deviceHandle } from '../workflow-client/devices';

const log = logger.child({ component: 'board' });
const CACHE_MS = 2000;

/** The part of a device's memo the device page shows: the thresholds in force (see device/summary.ts). */
const memoFieldsSchema = z.object({
  summary: z.object({
    fields: z.record(z.string(), z.object({ threshold: z.object({ low: z.number().nullable(), high: z.number().nullable(), rule: z.string() }).optional() })),
  }),
});
export type Thresholds = Record<string, { low: number | null; high: number | null; rule: string }>;

/** A device's thresholds in force from its workflow's memo (no worker needed), cached for 2 s; none for an unknown device. */
export function thresholdReader(client: Client): (deviceId: string) => Promise<Thresholds> {
  const cache = new Map<string, { at: number; thresholds: Thresholds }>();
  return async (deviceId) => {
    const cached = cache.get(deviceId);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.thresholds;
    let thresholds: Thresholds = {};
    try {
      const parsed = memoFieldsSchema.safeParse((await deviceHandle(client, deviceId).describe()).memo);
      if (parsed.success) thresholds = Object.fromEntries(Object.entries(parsed.data.summary.fields).flatMap(([field, f]) => (f.threshold ? [[field, f.threshold]] : [])));
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) log.warn({ err: error, deviceId }, 'describe failed');
    }
    cache.set(deviceId, { at: Date.now(), thresholds });
    if (cache.size > 1000) cache.delete(cache.keys().next().value as string);
    return thresholds;
  };
}
