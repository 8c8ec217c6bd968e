import type { TimeOfDayParams } from './params';

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const HOURS_PER_DAY = 24;

/**
 * The timeOfDay part of nupic's DateEncoder (`encoders/date.py` over a periodic
 * `ScalarEncoder`), the only date feature NAB's numenta detectors enable.
 *
 * - t = hour + minute / 60 (seconds ignored), read from the timestamp as UTC wall-clock
 *   time: NAB's timestamps are naive local times, so a caller holding local time should
 *   pass local wall time expressed as if it were UTC.
 * - n = ceil(w · 24 / radius) bits (54 for w = 21, radius 9.49 h).
 * - The first active bit is int(t · n / 24) − (w − 1) / 2, and w bits follow, wrapping mod n.
 */
export class TimeOfDayEncoder {
  readonly size: number;
  readonly activeBits: number;

  constructor(params: TimeOfDayParams) {
    this.activeBits = params.activeBits;
    // nupic: n = ceil(w · (range / radius)) for a periodic encoder, with range = 24 h.
    this.size = Math.ceil(params.activeBits * (HOURS_PER_DAY / params.radiusHours));
  }

  /** Hours since midnight with minute precision, from epoch milliseconds read as UTC wall time. */
  static hourOfDay(timestampMs: number): number {
    const msOfDay = ((timestampMs % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
    const hour = Math.floor(msOfDay / MS_PER_HOUR);
    const minute = Math.floor((msOfDay % MS_PER_HOUR) / MS_PER_MINUTE);
    return hour + minute / 60;
  }

  /** Writes the active bit indices (plus `base`) into `out` from position `at`; returns the new position. */
  encodeInto(timestampMs: number, out: Uint32Array, at: number, base = 0): number {
    if (!Number.isFinite(timestampMs)) throw new RangeError(`timestamp must be finite epoch milliseconds, got ${timestampMs}`);
    const hours = TimeOfDayEncoder.hourOfDay(timestampMs);
    const centre = Math.trunc((hours * this.size) / HOURS_PER_DAY);
    const first = centre - (this.activeBits - 1) / 2;
    let position = at;
    for (let k = 0; k < this.activeBits; k++) {
      out[position++] = base + ((((first + k) % this.size) + this.size) % this.size);
    }
    return position;
  }

  /** The active bits, ascending (for tests and inspection). */
  encode(timestampMs: number): number[] {
    const bits = new Uint32Array(this.activeBits);
    this.encodeInto(timestampMs, bits, 0);
    return Array.from(bits).sort((a, b) => a - b);
  }
}
