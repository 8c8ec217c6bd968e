import type { DeviceState } from '../device/state';
import { fieldSummaries } from '../device/summary';
import type { DeviceRow } from './devices';
import type { LatestViolation } from './violations';

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '' : String(Math.round(x * 10 ** digits) / 10 ** digits));

/** `vigil device show`: the `state` query, for a person; what judges each field, as each detector sees it. */
export function describeDevice(state: DeviceState, now = Date.now()): string {
  const { connection, counters } = state;
  const seen = connection.lastSeenAt === null ? 'never' : `${new Date(connection.lastSeenAt).toISOString()} (${Math.round((now - connection.lastSeenAt) / 1000)} s ago)`;
  const rows = Object.entries(fieldSummaries(state)).flatMap(([field, { last, detectors }]) => {
    const judged = Object.entries(detectors);
    if (judged.length === 0) return [[field, fmt(last), '', '']];
    return judged.map(([name, summary], i) => [i === 0 ? field : '', i === 0 ? fmt(last) : '', name, summary.text]);
  });
  const { snoozes, maintenance, acknowledged, falseAlarms } = state.attention;
  const iso = (ms: number) => new Date(ms).toISOString();
  const open = Object.entries(state.incidents).map(([key, incident]) => {
    const ack = acknowledged[incident.anomalyId];
    const acked = ack ? `; acknowledged by ${ack.by} at ${iso(ack.at)}${ack.note ? `: ${ack.note}` : ''}` : '';
    return `  ${key}: ${incident.anomalyId}, raised at ${iso(incident.raisedTs)}, ${incident.updates} updates, peak ${incident.peak}${acked}`;
  });
  const silences = [
    ...snoozes.filter((s) => s.until > now).map((s) => `  snoozed${s.field === null ? '' : ` ${s.field}`} until ${iso(s.until)} by ${s.by}${s.reason ? `: ${s.reason}` : ''}`),
    ...maintenance.filter((w) => w.end > now).map((w) => `  maintenance ${w.id} (${w.devices}) ${iso(w.start)} … ${iso(w.end)}${w.start <= now ? ', now' : ''} by ${w.by}${w.reason ? `: ${w.reason}` : ''}`),
  ];
  const feedback = falseAlarms.map((f) => {
    const lesson = f.lesson === 'model' ? 'the model learnt the value' : f.lesson === 'suggestion' && f.suggestion ? `a ${f.suggestion.side} bound of ${f.suggestion.bound} would have kept it quiet` : 'recorded for evaluation';
    return `  ${f.anomalyId}: ${f.detector} ${f.field} = ${f.value}, marked by ${f.by} at ${iso(f.at)} (${lesson})`;
  });
  return [
    `Device ${state.deviceId}: ${connection.status}, last seen ${seen}`,
    `  ${counters.readingsApplied} readings, ${counters.controlsApplied} control messages, ${counters.duplicatesSkipped} re-deliveries skipped, ${counters.lateDropped} too late, ${counters.anomalyCount} anomalies raised`,
    `  last reading at ${state.clock.watermark === null ? 'never' : new Date(state.clock.watermark).toISOString()}`,
    '',
    ...table(['field', 'last', 'detector', 'rule and model'], rows),
    '',
    open.length > 0 ? 'Open anomalies:' : 'No open anomalies.',
    ...open,
    ...(silences.length > 0 ? ['', 'Silenced (anomalies recorded as suppressed, not routed):', ...silences] : []),
    ...(feedback.length > 0 ? ['', 'False alarms:', ...feedback] : []),
  ].join('\n');
}

export function describeDevices(rows: DeviceRow[]): string {
  return table(
    ['device', 'status', 'anomalies', 'last reading'],
    rows.map((r) => [r.deviceId, r.status, String(r.anomalies), r.lastReadingAt]),
  ).join('\n');
}

/** `vigil violations`: the host rules' columns (ts, device, field, value, low, high); an unbounded side is empty, as in a thresholds file. */
export function describeViolations(rows: LatestViolation[]): string {
  const bound = (b: number | null) => (b === null ? '' : String(b));
  return table(
    ['ts', 'device', 'field', 'value', 'low', 'high'],
    rows.map((r) => [r.ts.toISOString(), r.device, r.field, String(r.value), bound(r.low), bound(r.high)]),
  ).join('\n');
}
