const isoWithOffset = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses ISO-8601 with an explicit zone (`Z`, `+07:00` or the host format's `+0700`) to epoch ms;
 * undefined for anything else, never a guess in the local zone.
 */
export function parseIsoWithOffset(text: string): number | undefined {
  const m = isoWithOffset.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), frac ? Math.floor(Number(frac) * 1000) : 0);
  const check = new Date(utc);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (zone === 'Z' || zone === undefined) return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const [offsetHours, offsetMinutes] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
  if (offsetHours > 14 || offsetMinutes > 59) return undefined;
  const offsetMin = offsetHours * 60 + offsetMinutes;
  return utc - sign * offsetMin * 60_000;
}
