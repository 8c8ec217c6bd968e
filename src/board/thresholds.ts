import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { logger } from '../logger';
import { deviceHandle } from '../workflow-client/devices';

const log = logger.child({ component: 'board' });
const CACHE_MS = 2000;

/** The parts of a device's memo the device page shows: the thresholds in force and what operators said (see device/summary.ts). */
const attentionMemoSchema = z.object({
  snoozes: z.array(z.object({ field: z.string().nullable(), until: z.number(), by: z.string(), reason: z.string().optional() })),
  maintenance: z.array(z.object({ id: z.string(), devices: z.string(), start: z.number(), end: z.number(), by: z.string(), reason: z.string().optional() })),
  acknowledged: z.record(z.string(), z.object({ by: z.string(), at: z.number(), note: z.string().optional() })),
  falseAlarms: z.array(z.object({ anomalyId: z.string(), detector: z.string(), field: z.string(), value: z.number(), by: z.string(), at: z.number(), lesson: z.string() })),
});
export type AttentionMemo = z.infer<typeof attentionMemoSchema>;
const memoFieldsSchema = z.object({
  summary: z.object({
    fields: z.record(z.string(), z.object({ threshold: z.object({ low: z.number().nullable(), high: z.number().nullable(), rule: z.string() }).optional() })),
    attention: attentionMemoSchema.optional(),
  }),
});
export type Thresholds = Record<string, { low: number | null; high: number | null; rule: string }>;
export interface DeviceMemo {
  thresholds: Thresholds;
  attention: AttentionMemo | null;
}

/** A device's thresholds in force and its operators' attention from its workflow's memo (no worker needed), cached for 2 s; none for an unknown device. */
export function memoReader(client: Client): (deviceId: string, fresh?: boolean) => Promise<DeviceMemo> {
  const cache = new Map<string, { at: number; memo: DeviceMemo }>();
  return async (deviceId, fresh = false) => {
    const cached = cache.get(deviceId);
    if (!fresh && cached && Date.now() - cached.at < CACHE_MS) return cached.memo;
    const memo: DeviceMemo = { thresholds: {}, attention: null };
    try {
      const parsed = memoFieldsSchema.safeParse((await deviceHandle(client, deviceId).describe()).memo);
      if (parsed.success) {
        memo.thresholds = Object.fromEntries(Object.entries(parsed.data.summary.fields).flatMap(([field, f]) => (f.threshold ? [[field, f.threshold]] : [])));
        memo.attention = parsed.data.summary.attention ?? null;
      }
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) log.warn({ err: error, deviceId }, 'describe failed');
    }
    cache.set(deviceId, { at: Date.now(), memo });
    if (cache.size > 1000) cache.delete(cache.keys().next().value as string);
    return memo;
  };
}
