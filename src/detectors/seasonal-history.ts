import { z } from 'zod';
import { canonicalTimeZone, isKnownTimeZone, wallClockMinute } from '../time/wall-time';
import { anomalyScore, fitIsolationForest, OUTLIER_SCORE_THRESHOLD } from './isolation-forest';

/**
 * The seasonal Isolation Forest's history and its step, per (device, field): a reading is
 * judged against the device's earlier readings of the field at the same local (day-of-week,
 * hour, minute) within the last `historyDays`; once at least `minComparables` exist an
 * Isolation Forest is fitted on them and the reading is an outlier iff its score exceeds 0.5
 * (scikit-learn's predict == −1).
 *
 * Pure and deterministic (no I/O, clock or Math.random), so it runs inside the device
 * workflow: the forest's seed is derived from `config.seed` and the reading's own ts, so a
 * verdict depends only on (seed, ts, value, comparables), never on what was processed before.
 *
 * The history is workflow state and travels through continue-as-new, so it is kept compact
 * and bounded (see `SeasonalIForestState`). The detector itself is `seasonal-iforest.ts`.
 */

const SECONDS_PER_DAY = 86_400;
const MINUTES_PER_DAY = 1_440;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
/**
 * When the absolute cap is exceeded the oldest readings go until this share of it is left,
 * so the global scan that finds them runs once per many readings, not on every one.
 */
const EVICTION_TARGET_SHARE = 0.9;

const seasonalIForestShape = {
  /** How far back comparables reach: readings at most this many days before the new one. */
  historyDays: z.number().int().min(1).max(366),
  /** Comparables needed before a forest is fitted: 4, as the meter study this follows used. */
  minComparables: z.number().int().min(1),
  /** n_estimators. */
  trees: z.number().int().min(1).max(1000),
  /** max_samples: each tree sees min(maxSamples, comparables) of them. */
  maxSamples: z.number().int().min(1).max(4096),
  /**
   * Scores above this are anomalies: 0.5 is scikit-learn's `contamination="auto"`.
   * With 4–5 comparables that flags many ordinary readings of noisy data; raise it to be stricter.
   */
  scoreThreshold: z.number().gt(0).lt(1),
  /** Combined with each reading's ts into the forest's seed. */
  seed: z.number().int().min(0).max(0xffff_ffff),
  /** IANA zone whose wall clock defines (day-of-week, hour, minute). */
  timeZone: z.string().refine(isKnownTimeZone, 'not a time zone this runtime knows (use an IANA name such as America/New_York)'),
  /** Slot width in minutes: 1 compares exact minutes; 15 compares quarter hours. */
  slotMinutes: z
    .number()
    .int()
    .min(1)
    .max(MINUTES_PER_DAY)
    .refine((minutes) => MINUTES_PER_DAY % minutes === 0, 'slotMinutes must divide a day (1440) so slots never straddle midnight'),
  /**
   * The learn gate. The meter study appends every reading to its history, anomalies included,
   * so the default is true; with false an outlier is judged but not remembered.
   */
  learnAnomalies: z.boolean(),
  /** Readings kept per slot; default (ceil(historyDays / 7) + 2) · slotMinutes (see perSlotCapacity). */
  maxPerSlot: z.number().int().min(1).optional(),
  /** Readings kept per field over all slots: the hard bound on the state's size. */
  maxEntries: z.number().int().min(1),
};

export const seasonalIForestConfigSchema = z
  .object({
    ...seasonalIForestShape,
    historyDays: seasonalIForestShape.historyDays.default(30),
    minComparables: seasonalIForestShape.minComparables.default(4),
    trees: seasonalIForestShape.trees.default(100),
    maxSamples: seasonalIForestShape.maxSamples.default(256),
    seed: seasonalIForestShape.seed.default(42),
    scoreThreshold: seasonalIForestShape.scoreThreshold.default(OUTLIER_SCORE_THRESHOLD),
    timeZone: seasonalIForestShape.timeZone.default('UTC'),
    slotMinutes: seasonalIForestShape.slotMinutes.default(1),
    learnAnomalies: seasonalIForestShape.learnAnomalies.default(true),
    // 5-minute data keeps ≤ 2016 × 5 = 10,080 readings for 30 days; the rest is headroom.
    maxEntries: seasonalIForestShape.maxEntries.default(12_000),
  })
  .strict();
export type SeasonalIForestConfig = z.infer<typeof seasonalIForestConfigSchema>;
export type SeasonalIForestConfigInput = z.input<typeof seasonalIForestConfigSchema>;

/**
 * Readings kept per slot. With at most one reading a minute, a slot gains at most slotMinutes
 * readings a week, and holds ceil(historyDays / 7) weeks plus the week not yet pruned; one
 * more week is headroom. Exact minutes over 30 days: 7 (5 are ever used by 5-minute data).
 */
export function perSlotCapacity(config: Pick<SeasonalIForestConfig, 'historyDays' | 'slotMinutes' | 'maxPerSlot'>): number {
  return config.maxPerSlot ?? (Math.ceil(config.historyDays / 7) + 2) * config.slotMinutes;
}

/**
 * One field's history, JSON as it is: plain numbers in plain arrays.
 *
 * `slots` maps a slot index (minutes since Monday 00:00 local, divided by slotMinutes) to the
 * slot's readings, oldest first, flattened as `[t₀, v₀, Δt₁, v₁, Δt₂, v₂, …]`: t₀ in epoch
 * seconds, Δtᵢ = tᵢ − tᵢ₋₁ in seconds (a week is 604800: 6 digits instead of 10 or 13), vᵢ
 * the value. Seconds, not milliseconds: the history only needs ages of days and "earlier
 * than", so ts is kept at one-second resolution.
 *
 * Size: readings older than historyDays are pruned when their slot is next visited, so
 * 5-minute data at exact-minute slots settles at 2016 slots × 5 readings (t−0, −7, −14, −21,
 * −28 days). A slot's JSON is ≤ 11 (key, brackets, comma) + 12 + V (t₀) + 4 × (9 + V) bytes
 * for values of at most V characters, so the state is ≤ 2016 × (59 + 5V) + 100 bytes:
 * ≤ 180 KB for V = 6 ("1234.5", "-12.34"; a year of such data measures 166 KB), ≤ 220 KB for
 * V = 10, and ≤ 361 KB in the worst case of every value a 24-character double. Whatever the
 * data, `maxEntries` (12,000) caps it: ≤ 12,000 × 47 + 100 bytes ≈ 565 KB even if every
 * reading sat alone in its slot with a 24-character value.
 */
export const seasonalIForestStateSchema = z.object({
  /**
   * The zone (canonical name) and width the slots were computed with: when the config changes
   * either, the history is re-slotted instead of misread.
   */
  timeZone: z.string(),
  slotMinutes: z.number().int().positive(),
  /** Readings held over all slots, so the absolute cap is checked without a scan. */
  entries: z.number().int().nonnegative(),
  slots: z.record(
    z.string().regex(/^\d+$/),
    z.array(z.number()).refine((encoded) => encoded.length > 0 && encoded.length % 2 === 0, 'a slot holds [t, value] pairs'),
  ),
}).refine(
  (state) => Object.values(state.slots).reduce((sum, encoded) => sum + encoded.length / 2, 0) === state.entries,
  'entries must count the readings in slots',
);
export type SeasonalIForestState = z.infer<typeof seasonalIForestStateSchema>;

export function emptySeasonalIForestState(layout: Pick<SeasonalIForestConfig, 'timeZone' | 'slotMinutes'> = { timeZone: 'UTC', slotMinutes: 1 }): SeasonalIForestState {
  return { timeZone: canonicalTimeZone(layout.timeZone), slotMinutes: layout.slotMinutes, entries: 0, slots: {} };
}

export interface SeasonalIForestResult {
  /** A forest was fitted: at least minComparables comparables existed. */
  fitted: boolean;
  /** Earlier readings in this slot within historyDays: what the reading was judged against. */
  comparables: number;
  /** s(x) ∈ (0, 1] when fitted; > 0.5 is an outlier. (sklearn's score_samples is −score.) */
  score?: number;
  /** fitted and score > the threshold: scikit-learn's "prediction == -1". */
  outlier: boolean;
  /** The local slot, e.g. 'Mon 08:10' (its first minute when slotMinutes > 1). */
  slot: string;
  /** The comparables' range and mean, for the anomaly event's "judged against". */
  comparablesMin?: number;
  comparablesMax?: number;
  comparablesMean?: number;
  /** The reading joined the history (false for an outlier when learnAnomalies is off). */
  learned: boolean;
}

interface SlotReadings {
  /** Epoch seconds, ascending. */
  times: number[];
  values: number[];
}

function decodeSlot(encoded: readonly number[] | undefined): SlotReadings {
  const times: number[] = [];
  const values: number[] = [];
  if (!encoded) return { times, values };
  let time = 0;
  for (let i = 0; i + 1 < encoded.length; i += 2) {
    time = i === 0 ? encoded[0]! : time + encoded[i]!;
    times.push(time);
    values.push(encoded[i + 1]!);
  }
  return { times, values };
}

function encodeSlot({ times, values }: SlotReadings): number[] {
  const encoded: number[] = [];
  for (let i = 0; i < times.length; i++) encoded.push(i === 0 ? times[0]! : times[i]! - times[i - 1]!, values[i]!);
  return encoded;
}

/** Stores a slot (or removes it when empty) and keeps the entry count right. */
function storeSlot(state: SeasonalIForestState, key: string, readings: SlotReadings): void {
  const before = (state.slots[key]?.length ?? 0) / 2;
  if (readings.times.length === 0) delete state.slots[key];
  else state.slots[key] = encodeSlot(readings);
  state.entries += readings.times.length - before;
}

/** Drops readings older than `horizon` (epoch seconds) from the front. */
function pruneOlderThan(readings: SlotReadings, horizon: number): SlotReadings {
  let keep = 0;
  while (keep < readings.times.length && readings.times[keep]! < horizon) keep++;
  return keep === 0 ? readings : { times: readings.times.slice(keep), values: readings.values.slice(keep) };
}

function slotIndex(epochMs: number, timeZone: string, slotMinutes: number): number {
  const { weekday, hour, minute } = wallClockMinute(epochMs, timeZone);
  return Math.floor((weekday * MINUTES_PER_DAY + hour * 60 + minute) / slotMinutes);
}

export function slotLabel(index: number, slotMinutes: number): string {
  const minuteOfWeek = index * slotMinutes;
  const weekday = WEEKDAYS[Math.floor(minuteOfWeek / MINUTES_PER_DAY)] ?? '?';
  const minuteOfDay = minuteOfWeek % MINUTES_PER_DAY;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${weekday} ${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`;
}

/** Moves every reading to its slot under the config's zone and width (after a config change). */
function reslot(state: SeasonalIForestState, timeZone: string, slotMinutes: number, capacity: number): void {
  const regrouped = new Map<number, SlotReadings>();
  for (const encoded of Object.values(state.slots)) {
    const { times, values } = decodeSlot(encoded);
    for (let i = 0; i < times.length; i++) {
      const index = slotIndex(times[i]! * 1000, timeZone, slotMinutes);
      let slot = regrouped.get(index);
      if (!slot) regrouped.set(index, (slot = { times: [], values: [] }));
      slot.times.push(times[i]!);
      slot.values.push(values[i]!);
    }
  }
  state.timeZone = timeZone;
  state.slotMinutes = slotMinutes;
  state.slots = {};
  state.entries = 0;
  for (const index of [...regrouped.keys()].sort((a, b) => a - b)) {
    const { times, values } = regrouped.get(index)!;
    // Stable sort by time: equal times keep their order.
    const order = times.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
    const sorted = { times: order.map((i) => times[i]!), values: order.map((i) => values[i]!) };
    const drop = Math.max(0, sorted.times.length - capacity);
    storeSlot(state, String(index), { times: sorted.times.slice(drop), values: sorted.values.slice(drop) });
  }
}

/**
 * Keeps the field's history within maxEntries: first everything older than the horizon goes,
 * then, if still over, the oldest readings of all slots until EVICTION_TARGET_SHARE is left.
 */
function enforceEntryCap(state: SeasonalIForestState, horizon: number, maxEntries: number): void {
  if (state.entries <= maxEntries) return;
  for (const key of Object.keys(state.slots)) storeSlot(state, key, pruneOlderThan(decodeSlot(state.slots[key]), horizon));
  if (state.entries <= maxEntries) return;
  const target = Math.floor(maxEntries * EVICTION_TARGET_SHARE);
  const allTimes = new Float64Array(state.entries);
  let filled = 0;
  for (const encoded of Object.values(state.slots)) {
    for (const time of decodeSlot(encoded).times) allTimes[filled++] = time;
  }
  allTimes.sort();
  // Everything at or before the newest of the `entries − target` oldest goes (ties included,
  // so the count lands at or below target without depending on slot order).
  const cutoff = allTimes[state.entries - target - 1]!;
  for (const key of Object.keys(state.slots)) storeSlot(state, key, pruneOlderThan(decodeSlot(state.slots[key]), cutoff + 1));
}

/** An arbitrary constant mixed in first, so that seed 0 with ts 0 does not hash to 0. */
const SEED_SALT = 0x811c9dc5;
/** The largest |epoch ms| a Date (and so Intl) accepts. */
const MAX_DATE_MS = 8.64e15;

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function mix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The forest's seed for one reading: config.seed mixed with both 32-bit halves of its ts.
 * The meter study reuses random_state=42 for every fit; mixing in ts keeps runs reproducible while
 * successive readings of a slot do not all inherit one forest's random quirks.
 */
export function forestSeed(seed: number, ts: number): number {
  const low = ts >>> 0;
  const high = Math.floor(ts / 4294967296) >>> 0;
  return mix32(mix32(mix32(SEED_SALT ^ seed) ^ low) ^ high);
}

/**
 * Judges one reading of one field and records it in `state`, which is updated in place (as
 * the device core does: the history holds thousands of readings and copying it per
 * reading would cost more than the fit). Readings may arrive out of order; a reading only
 * ever sees readings with an earlier ts. A non-finite value, or a ts that is not a date, is
 * neither judged nor kept.
 */
export function applySeasonalIForest(state: SeasonalIForestState, ts: number, value: number, config: SeasonalIForestConfig): SeasonalIForestResult {
  const capacity = perSlotCapacity(config);
  const timeZone = canonicalTimeZone(config.timeZone);
  if (state.timeZone !== timeZone || state.slotMinutes !== config.slotMinutes) reslot(state, timeZone, config.slotMinutes, capacity);
  // Throwing here would fail the workflow task over and over; a bad reading is skipped instead.
  if (!(Math.abs(ts) <= MAX_DATE_MS)) return { fitted: false, comparables: 0, outlier: false, slot: '?', learned: false };
  const index = slotIndex(ts, timeZone, config.slotMinutes);
  const slot = slotLabel(index, config.slotMinutes);
  if (!Number.isFinite(value)) return { fitted: false, comparables: 0, outlier: false, slot, learned: false };

  const now = Math.floor(ts / 1000);
  const horizon = now - config.historyDays * SECONDS_PER_DAY;
  const key = String(index);
  const readings = pruneOlderThan(decodeSlot(state.slots[key]), horizon);

  // Sorted by time, so the comparables are the run before the first reading at or after now.
  let comparableEnd = 0;
  while (comparableEnd < readings.times.length && readings.times[comparableEnd]! < now) comparableEnd++;
  const comparableValues = readings.values.slice(0, comparableEnd);
  const result: SeasonalIForestResult = { fitted: false, comparables: comparableEnd, outlier: false, slot, learned: false };
  if (comparableEnd > 0) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of comparableValues) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    result.comparablesMin = min;
    result.comparablesMax = max;
    result.comparablesMean = sum / comparableEnd;
  }
  if (comparableEnd >= config.minComparables) {
    const forest = fitIsolationForest(comparableValues, { trees: config.trees, maxSamples: config.maxSamples, seed: forestSeed(config.seed, ts) });
    const score = anomalyScore(forest, value);
    result.fitted = true;
    result.score = score;
    result.outlier = score > config.scoreThreshold;
  }

  result.learned = !result.outlier || config.learnAnomalies;
  if (result.learned) {
    // After every reading at or before now: equal times keep arrival order.
    let at = comparableEnd;
    while (at < readings.times.length && readings.times[at]! <= now) at++;
    const times = [...readings.times.slice(0, at), now, ...readings.times.slice(at)];
    const values = [...readings.values.slice(0, at), value, ...readings.values.slice(at)];
    const drop = Math.max(0, times.length - capacity);
    storeSlot(state, key, { times: times.slice(drop), values: values.slice(drop) });
  } else {
    storeSlot(state, key, readings);
  }
  enforceEntryCap(state, horizon, config.maxEntries);
  return result;
}
