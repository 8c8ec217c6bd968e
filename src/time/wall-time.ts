/**
 * Wall-clock time in IANA time zones. Pure (Intl only), a leaf: nothing of Vigil's above it.
 *
 * Naive wall-clock times ("2024-01-08 08:10:00", no offset), as the usage format's rows carry
 * them, are read in a zone: the zone's rules, not a fixed offset, decide the instant, so the
 * same wall time is UTC-5 in January and UTC-4 in July in America/New_York.
 */

const wallTimePattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * The wall time's fields as if they were a UTC instant (epoch ms), or undefined when the text is
 * not `YYYY-MM-DD HH:MM[:SS]` (a `T` may separate date and time) or not a calendar time.
 */
export function parseWallTime(text: string): number | undefined {
  const match = wallTimePattern.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? '0')) as [number, number, number, number, number, number];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(asUtc);
  // Date.UTC rolls 30 February over into March; a real calendar date survives the round trip.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return asUtc;
}

/** Formats a wall time held as a UTC instant back to `YYYY-MM-DD HH:MM:SS`. */
export function formatWallTime(wallAsUtc: number): string {
  return new Date(wallAsUtc).toISOString().slice(0, 19).replace('T', ' ');
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      // h23: some ICU versions print midnight as 24 with hour12: false.
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True for a time zone this runtime knows (IANA names such as `America/New_York`, or `UTC`). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** What the zone's clocks showed at an instant, as a UTC instant with those fields. */
export function wallClockAt(epochMs: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const millis = ((epochMs % 1000) + 1000) % 1000;
  return Date.UTC(fields.year ?? 1970, (fields.month ?? 1) - 1, fields.day ?? 1, fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0, millis);
}

const DAY_MS = 24 * 3600_000;

/**
 * The instant (epoch ms) at which the zone's clocks showed this wall time.
 * - Ambiguous (the repeated hour when clocks fall back): the first, earlier occurrence, as a
 *   meter's log read top to bottom meets it first.
 * - Non-existent (the hour skipped when clocks spring forward): undefined; the caller rejects
 *   it rather than guess, because shifting it would land on a wall time that also exists.
 */
export function wallTimeToEpochMs(wallAsUtc: number, timeZone: string): number | undefined {
  const instants = wallTimeInstants(wallAsUtc, timeZone);
  return instants.length === 0 ? undefined : instants[0];
}

/** Every instant at which the zone's clocks showed the wall time, earliest first: none (skipped in spring), one, or two (the repeated autumn hour). */
export function wallTimeInstants(wallAsUtc: number, timeZone: string): number[] {
  // Any offset the wall time could carry is in force within a day of it; each offset gives one
  // candidate instant, which is right if the zone's clock really shows the wall time then.
  const candidates = new Set<number>();
  for (const probe of [wallAsUtc - DAY_MS, wallAsUtc, wallAsUtc + DAY_MS]) {
    candidates.add(wallAsUtc - (wallClockAt(probe, timeZone) - probe));
  }
  return [...candidates].filter((instant) => wallClockAt(instant, timeZone) === wallAsUtc).sort((a, b) => a - b);
}

/** A local (day of week, hour, minute): the slot a seasonal comparison is made in. */
export interface WallClockMinute {
  /** Monday = 0 … Sunday = 6, as Python's `weekday()`. */
  weekday: number;
  hour: number;
  minute: number;
}

/** What the zone's clocks showed at an instant: the wall clock, so DST moves the instant, not the slot. */
export function wallClockMinute(epochMs: number, timeZone: string): WallClockMinute {
  const wall = new Date(wallClockAt(epochMs, timeZone));
  return { weekday: (wall.getUTCDay() + 6) % 7, hour: wall.getUTCHours(), minute: wall.getUTCMinutes() };
}

const canonicalTimeZones = new Map<string, string>();

/** The zone's canonical name ('utc' → 'UTC'), so spelling alone never changes a computation. */
export function canonicalTimeZone(timeZone: string): string {
  let canonical = canonicalTimeZones.get(timeZone);
  if (canonical === undefined) {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    canonicalTimeZones.set(timeZone, canonical);
  }
  return canonical;
}
