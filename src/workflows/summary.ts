import { stdev } from '../detectors/welford';
import type { DeviceState } from '../device-state';

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The compact view kept in the memo, so the UI shows a device even when no worker runs. */
export function deviceSummary(state: DeviceState) {
  const fields = Object.fromEntries(
    Object.entries(state.models).map(([field, model]) => [
      field,
      { n: model.n, mean: round(model.mean), stdev: round(stdev(model) ?? 0), last: state.lastValues[field] ?? null },
    ]),
  );
  return {
    readingsApplied: state.readingsApplied,
    anomalyCount: state.anomalyCount,
    lastReadingAt: state.lastReadingTs === null ? null : new Date(state.lastReadingTs).toISOString(),
    fields,
  };
}

/** Markdown for the UI's "Current Details" panel. */
export function deviceDetails(state: DeviceState): string {
  const summary = deviceSummary(state);
  const rows = Object.entries(summary.fields).map(
    ([field, f]) => `| ${field} | ${f.n} | ${f.mean} | ${f.stdev} | ${f.last ?? ''} |`,
  );
  return [
    `**Device** \`${state.deviceId}\` · ${summary.readingsApplied} readings · ${summary.anomalyCount} anomalies · last reading ${summary.lastReadingAt ?? 'never'}`,
    '',
    '| field | n | mean | stdev | last |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
