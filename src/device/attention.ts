/**
 * What operators say about a device beside its rules: snoozes, maintenance windows,
 * acknowledgements and false alarms. Pure; the workflow applies them as validated Updates (so
 * the history audits each) with workflow time as `now`.
 *
 * While a snooze or a maintenance window covers a device (or a field), its anomalies are still
 * detected and recorded, marked `suppressed`, so they reach no one (the alert router skips them)
 * and the board does not count them as open.
 */
import { z } from 'zod';
import type { AnomalyEvent, Suppression } from '../contracts/anomalies';
import { detectorNameSchema } from '../detectors/registry';
import { fieldNameSchema } from '../reading';
import { changeAuthorSchema } from './control';

/** Most recent anomalies kept for feedback (a false alarm is often seen after it resolved), and false alarms kept. */
export const RECENT_KEPT = 20;
/** The longest snooze: longer silences are maintenance windows, which say when they end. */
export const MAX_SNOOZE_MS = 30 * 24 * 3600_000;

export const snoozeSchema = z.object({
  /** null: the whole device. */
  field: z.string().nullable(),
  until: z.number(),
  reason: z.string().optional(),
  by: z.string(),
  at: z.number(),
});
export type Snooze = z.infer<typeof snoozeSchema>;

/** Device ids: one id, or a pattern with `*` (any run of characters) and `?` (one). */
export const devicePatternSchema = z.string().min(1).max(200).regex(/^[^\s]+$/, 'a device id or a pattern with * and ?, without spaces');

export const maintenanceWindowSchema = z
  .object({
    id: z.string().min(1).max(100).regex(/^[\w.:@-]+$/, 'letters, digits and . : @ - _'),
    devices: devicePatternSchema,
    start: z.number().int(),
    end: z.number().int(),
    reason: z.string().max(500).optional(),
    by: z.string().min(1).max(200),
  })
  .refine((w) => w.start < w.end, { message: 'the window must end after it starts', path: ['end'] });
export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;

export const acknowledgementSchema = z.object({ by: z.string(), at: z.number(), note: z.string().optional() });

/** An anomaly raised lately, as feedback needs it: its detector and field, and its most extreme value on its side of normal). */
export const recentAnomalySchema = z.object({
  anomalyId: z.string(),
  detector: detectorNameSchema,
  field: z.string(),
  peak: z.number(),
  /** Which side of normal it lies on (the bound its threshold or z-score crossed); null for detectors that do not say. */
  side: z.enum(['low', 'high']).nullable(),
});
export type RecentAnomaly = z.infer<typeof recentAnomalySchema>;

/** What a false alarm taught: the z-score model learnt the value; a threshold suggests a bound; others keep it for evaluation. */
export const lessonSchema = z.enum(['model', 'suggestion', 'recorded']);

export const falseAlarmSchema = z.object({
  anomalyId: z.string(),
  detector: detectorNameSchema,
  field: z.string(),
  value: z.number(),
  by: z.string(),
  at: z.number(),
  note: z.string().optional(),
  lesson: lessonSchema,
  /** For a threshold: the bound that would have kept it quiet. */
  suggestion: z.object({ side: z.enum(['low', 'high']), bound: z.number() }).optional(),
});
export type FalseAlarm = z.infer<typeof falseAlarmSchema>;

export const attentionSchema = z.object({
  snoozes: z.array(snoozeSchema).default([]),
  maintenance: z.array(maintenanceWindowSchema).default([]),
  /** Open anomalies acknowledged, by anomaly id (forgotten when the anomaly resolves). */
  acknowledged: z.record(z.string(), acknowledgementSchema).default({}),
  recent: z.array(recentAnomalySchema).default([]),
  falseAlarms: z.array(falseAlarmSchema).default([]),
});
export type Attention = z.infer<typeof attentionSchema>;
export const emptyAttention = (): Attention => ({ snoozes: [], maintenance: [], acknowledged: {}, recent: [], falseAlarms: [] });

/* ----- the Updates' arguments ----- */

export const snoozeChangeSchema = z
  .object({
    /** Only this field; without it, the whole device. */
    field: fieldNameSchema.optional(),
    forMs: z.number().int().positive().max(MAX_SNOOZE_MS, 'at most 30 days: a longer silence is a maintenance window'),
  })
  .extend(changeAuthorSchema.shape)
  .strict();

export const unsnoozeSchema = z.object({ field: fieldNameSchema.optional() }).extend(changeAuthorSchema.shape).strict();

export const maintenanceChangeSchema = z
  .object({ add: maintenanceWindowSchema.optional(), remove: z.string().min(1).optional() })
  .extend(changeAuthorSchema.shape)
  .strict()
  .refine((c) => (c.add === undefined) !== (c.remove === undefined), 'give a window to add or the id of one to remove');

export const anomalyFeedbackSchema = z
  .object({ anomalyId: z.string().min(1).max(500), note: z.string().max(500).optional() })
  .extend(changeAuthorSchema.shape)
  .strict();

/* ----- changes ----- */

const escapeRegex = (text: string) => text.replace(/[.+^${}()|[\]\\]/g, '\\$&');

/** Whether a device id matches a pattern (`*`: any run of characters, `?`: one). */
export function matchesDevices(pattern: string, deviceId: string): boolean {
  return new RegExp(`^${escapeRegex(pattern).replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's').test(deviceId);
}

/** Snoozes the device (or a field) from `now` for `forMs`; a snooze of the same field is replaced. */
export function snooze(attention: Attention, change: { field?: string | undefined; forMs: number; by: string; reason?: string | undefined }, now: number): Snooze {
  const entry: Snooze = { field: change.field ?? null, until: now + change.forMs, by: change.by, at: now, ...(change.reason ? { reason: change.reason } : {}) };
  attention.snoozes = [...attention.snoozes.filter((s) => s.field !== entry.field), entry];
  return entry;
}

/** Ends the snooze of a field, or every snooze; returns how many ended. */
export function unsnooze(attention: Attention, field: string | undefined): number {
  const before = attention.snoozes.length;
  attention.snoozes = field === undefined ? [] : attention.snoozes.filter((s) => s.field !== field);
  return before - attention.snoozes.length;
}

/** Adds (or replaces, by id) or removes a maintenance window; returns the windows. */
export function changeMaintenance(windows: readonly MaintenanceWindow[], change: { add?: MaintenanceWindow | undefined; remove?: string | undefined }): MaintenanceWindow[] {
  const others = windows.filter((w) => w.id !== (change.add?.id ?? change.remove));
  return change.add ? [...others, change.add].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id)) : others;
}

/** Forgets what has ended: snoozes and windows past their end, acknowledgements of anomalies no longer open. */
export function prune(attention: Attention, now: number, openAnomalyIds: ReadonlySet<string>): void {
  attention.snoozes = attention.snoozes.filter((s) => s.until > now);
  attention.maintenance = attention.maintenance.filter((w) => w.end > now);
  attention.acknowledged = Object.fromEntries(Object.entries(attention.acknowledged).filter(([id]) => openAnomalyIds.has(id)));
}

/** The silence covering a field of the device at `now` (a null field: the device as a whole), if any. */
export function suppressionAt(attention: Attention, deviceId: string, field: string | null, now: number): Suppression | undefined {
  const snoozed = attention.snoozes.find((s) => s.until > now && (s.field === null || s.field === field));
  if (snoozed) return { kind: 'snooze', until: snoozed.until, ...(snoozed.reason ? { reason: snoozed.reason } : {}) };
  const window = attention.maintenance.find((w) => w.start <= now && now < w.end && matchesDevices(w.devices, deviceId));
  if (window) return { kind: 'maintenance', until: window.end, ...(window.reason ? { reason: window.reason } : {}) };
  return undefined;
}

/** Marks the anomaly steps made under a snooze or in a maintenance window, in place. */
export function markSuppressed(attention: Attention, events: AnomalyEvent[], now: number): void {
  for (const event of events) {
    const suppressed = suppressionAt(attention, event.deviceId, event.field, now);
    if (suppressed) event.suppressed = suppressed;
  }
}

/** Which side of normal a step lies on, as its explanation says: the bound a threshold or a z-score crossed. */
function sideOf(event: AnomalyEvent): 'low' | 'high' | null {
  const e = event.explanation;
  if (e.kind === 'threshold') return e.high !== null && event.value > e.high ? 'high' : e.low !== null && event.value < e.low ? 'low' : null;
  if (e.kind === 'zscore') return event.value < e.lower ? 'low' : event.value > e.upper ? 'high' : null;
  return null;
}

/** Keeps the last anomalies raised, for feedback, with their most extreme value on their side of normal. */
export function noteAnomalies(attention: Attention, events: readonly AnomalyEvent[]): void {
  for (const event of events) {
    const known = attention.recent.find((r) => r.anomalyId === event.anomalyId);
    if (event.status === 'raised' && !known) {
      attention.recent.push({ anomalyId: event.anomalyId, detector: event.detector, field: event.field, peak: event.value, side: sideOf(event) });
      if (attention.recent.length > RECENT_KEPT) attention.recent.shift();
    } else if (known && event.status === 'updated') {
      known.peak = known.side === 'low' ? Math.min(known.peak, event.value) : Math.max(known.peak, event.value);
    }
  }
}

/** Throws (the Update is rejected) unless the anomaly is open. */
export function requireOpen(openAnomalyIds: ReadonlySet<string>, anomalyId: string): void {
  if (!openAnomalyIds.has(anomalyId)) throw new Error(`no open anomaly ${anomalyId} on this device (acknowledge an open one; see device show)`);
}

/** Acknowledges an open anomaly; throws (the Update is rejected) when it is not open. */
export function acknowledge(attention: Attention, openAnomalyIds: ReadonlySet<string>, feedback: { anomalyId: string; by: string; note?: string | undefined }, now: number) {
  requireOpen(openAnomalyIds, feedback.anomalyId);
  const ack = { by: feedback.by, at: now, ...(feedback.note ? { note: feedback.note } : {}) };
  attention.acknowledged[feedback.anomalyId] = ack;
  return ack;
}

/** The recent anomaly a false alarm names; throws (the Update is rejected) when the device does not know it. */
export function recentAnomaly(attention: Attention, anomalyId: string): RecentAnomaly {
  const found = attention.recent.find((r) => r.anomalyId === anomalyId);
  if (!found) throw new Error(`no recent anomaly ${anomalyId} on this device (the last ${RECENT_KEPT} raised can be marked)`);
  if (attention.falseAlarms.some((f) => f.anomalyId === anomalyId)) throw new Error(`${anomalyId} is already marked as a false alarm`);
  return found;
}

/** Records a false alarm (what it taught is the caller's: the detector's memory is the device's). */
export function recordFalseAlarm(attention: Attention, falseAlarm: FalseAlarm): void {
  attention.falseAlarms.push(falseAlarm);
  if (attention.falseAlarms.length > RECENT_KEPT) attention.falseAlarms.shift();
}
