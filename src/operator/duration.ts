/** `90s`, `30m`, `2h`, `1d` (or a sum such as `1h30m`) in milliseconds; a one-line error otherwise. */
export function parseDuration(text: string, option: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  const total = parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit as string]!, 0);
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim() || !(total > 0)) {
    throw new Error(`${option} must be a duration such as 90s, 30m, 2h or 1d, not ${JSON.stringify(text)}`);
  }
  return Math.round(total);
}

/** `now`, or an ISO-8601 time with a zone (`2026-12-08T06:00:00Z`), in epoch ms; a one-line error otherwise. */
export function parseTime(text: string, option: string, now = Date.now()): number {
  if (text === 'now') return now;
  const ms = /(Z|[+-]\d\d:?\d\d)$/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new Error(`${option} must be "now" or a time with its zone such as 2026-12-08T06:00:00Z, not ${JSON.stringify(text)}`);
  return ms;
}
