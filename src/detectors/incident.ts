import { z } from 'zod';
import type { Verdict } from './detector';

export const incidentStatusSchema = z.enum(['raised', 'updated', 'resolved']);
export type IncidentStatus = z.infer<typeof incidentStatusSchema>;

/** The one open anomaly of a (device, detector, field). */
export const openIncidentSchema = z.object({
  /** Stable across raised → updated → resolved: derived from the reading that raised it. */
  anomalyId: z.string(),
  raisedTs: z.number(),
  side: z.enum(['low', 'high']).nullable(),
  updates: z.number().int().nonnegative(),
  peak: z.number(),
});
export type OpenIncident = z.infer<typeof openIncidentSchema>;

export interface IncidentStep {
  open: OpenIncident | undefined;
  status: IncidentStatus | undefined;
}

/**
 * The lifecycle of an anomaly: raised when the detector starts firing, updated by every further
 * violating reading while open, resolved when the detector says it clears. Nothing otherwise.
 */
export function stepIncident(
  open: OpenIncident | undefined,
  verdict: Verdict,
  reading: { anomalyId: string; ts: number; value: number },
): IncidentStep {
  if (!open) {
    if (!verdict.firing) return { open: undefined, status: undefined };
    return {
      open: { anomalyId: reading.anomalyId, raisedTs: reading.ts, side: verdict.side, updates: 0, peak: reading.value },
      status: 'raised',
    };
  }
  if (verdict.clears) return { open: undefined, status: 'resolved' };
  if (verdict.violated) {
    const peak = verdict.side === 'low' ? Math.min(open.peak, reading.value) : Math.max(open.peak, reading.value);
    return { open: { ...open, side: verdict.side ?? open.side, updates: open.updates + 1, peak }, status: 'updated' };
  }
  return { open, status: undefined };
}
