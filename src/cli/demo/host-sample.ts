import type { ThresholdRow } from '../../formats/threshold-rows';
import type { LatestViolation } from '../../operator/violations';
import { seededRandom } from '../../samples';

/**
 * The demo's hosts (the host rules): a thresholds file in the host-rules shape and a minute of host
 * records `{ts, id, loadavg, cpu, mem}`, with violations at known places, and one host that goes
 * silent half-way. Pure and deterministic but for the run's tag in the host names.
 */

export interface HostRecord {
  /** `2018-10-29T17:08:42+0700`, as the seed's records write it. */
  ts: string;
  id: string;
  loadavg: number;
  cpu: number;
  mem: number;
}

export interface HostSample {
  hosts: string[];
  /** The host that stops reporting half-way. */
  silentHost: string;
  /** `host,field,low,high` rows, no header: the host rules' thresholds.csv for its two hosts, and the third's. */
  thresholdsCsv: string;
  /** In time order, interleaved across hosts. */
  records: HostRecord[];
}

/** Seconds of records: 17:08:00 … 17:08:59 (+0700), as in the seed's tables. */
const SECONDS = 60;
/** The silent host's last record is at this second. */
const SILENT_AFTER = 29;

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

export function hostSample(tag: string): HostSample {
  const hosts = [0, 1, 2].map((n) => `demo-host-${tag}-000${n}`);
  const [h0, h1, h2] = hosts as [string, string, string];
  const thresholdsCsv = [
    `${h0},loadavg,0.0,3.0`, `${h0},cpu,0.0,90.0`, `${h0},mem,0.0,85.0`,
    `${h1},loadavg,0.0,3.0`, `${h1},cpu,0.0,80.0`, `${h1},mem,0.0,70.0`,
    `${h2},loadavg,0.0,3.0`, `${h2},cpu,0.0,80.0`, `${h2},mem,0.0,85.0`,
  ].join('\n') + '\n';
  const random = seededRandom(1);
  const records: HostRecord[] = [];
  for (let second = 0; second < SECONDS; second += 1) {
    hosts.forEach((id, n) => {
      // Drawn for every host and second, so one host's values do not depend on another's silence.
      let loadavg = 0.2 + 0.8 * random();
      let cpu = 20 + 30 * random();
      let mem = 50 + 5 * random();
      if (n === 2 && second > SILENT_AFTER) return;
      if (n === 0 && second >= 40 && second <= 42) cpu = 95 + random(); // above its 90
      if (n === 0 && second === 45) loadavg = 3.5;
      if (n === 0 && second === 52) mem = 86;
      if (n === 1 && second >= 50) mem = 89 + 2 * random(); // above its 70 to the end
      if (n === 1 && second >= 55 && second <= 58) loadavg = 3.1 + 0.1 * random();
      if (n === 1 && second === 57) cpu = -0.5; // below its 0: a low violation
      if (n === 2 && second >= 20) cpu = 97 + 1.5 * random(); // runs hot, then goes silent
      records.push({ ts: `2018-10-29T17:08:${String(second).padStart(2, '0')}+0700`, id, loadavg: round4(loadavg), cpu: round4(cpu), mem: round4(mem) });
    });
  }
  return { hosts, silentHost: h2, thresholdsCsv, records };
}

/** The records as the host format's wire: one JSON object per line. */
export function hostRecordsJsonLines(records: readonly HostRecord[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n') + '\n';
}

const hostFields = ['loadavg', 'cpu', 'mem'] as const;

/** `…+0700` times as instants (the seed's records all carry a `±HHMM` zone). */
function instantOf(ts: string): Date {
  return new Date(ts.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/**
 * The host rules' row_number() query, in memory: per (host, field) with a threshold, the latest record
 * whose value lies outside its bounds, ordered by host and field. What `vigil violations` must
 * print for these records when each is judged by its row's `each` rule.
 */
export function latestViolationsOf(records: readonly HostRecord[], thresholds: readonly ThresholdRow[]): LatestViolation[] {
  const latest = new Map<string, LatestViolation>();
  for (const { device, change } of thresholds) {
    if (!change.rule || !(hostFields as readonly string[]).includes(change.field)) continue;
    const { low, high } = change.rule;
    for (const record of records) {
      if (record.id !== device) continue;
      const value = record[change.field as (typeof hostFields)[number]];
      if (!((low !== null && value < low) || (high !== null && value > high))) continue;
      const ts = instantOf(record.ts);
      const key = `${device}\u0000${change.field}`;
      const earlier = latest.get(key);
      if (!earlier || earlier.ts.getTime() <= ts.getTime()) latest.set(key, { ts, device, field: change.field, value, low, high });
    }
  }
  return [...latest.values()].sort((a, b) => (a.device === b.device ? (a.field < b.field ? -1 : 1) : a.device < b.device ? -1 : 1));
}
