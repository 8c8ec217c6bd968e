import { setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { stdev } from '../detectors/welford';
import { type DeviceState, thresholdFor } from '../device-state';
import { anomalyCountAttribute, connectionStatusAttribute, deviceIdAttribute, lastReadingAtAttribute } from './definitions';

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The compact view kept in the memo, so the UI shows a device even when no worker runs. */
export function deviceSummary(state: DeviceState) {
  const fieldNames = [...new Set([...Object.keys(state.models), ...Object.keys(state.lastValues)])].sort();
  const fields = Object.fromEntries(
    fieldNames.map((field) => {
      const model = state.models[field];
      const threshold = thresholdFor(state.thresholds, field);
      return [
        field,
        {
          n: model?.n ?? 0,
          mean: round(model?.mean ?? 0),
          stdev: round((model && stdev(model)) ?? 0),
          last: state.lastValues[field] ?? null,
          ...(threshold ? { low: threshold.low, high: threshold.high, rule: threshold.rule } : {}),
        },
      ];
    }),
  );
  return {
    connection: state.connection.status,
    readingsApplied: state.readingsApplied,
    anomalyCount: state.anomalyCount,
    openAnomalies: Object.keys(state.incidents).sort(),
    lastReadingAt: state.lastReadingTs === null ? null : new Date(state.lastReadingTs).toISOString(),
    fields,
  };
}

/** Markdown for the UI's "Current Details" panel. */
export function deviceDetails(state: DeviceState): string {
  const summary = deviceSummary(state);
  const rows = Object.entries(summary.fields).map(
    ([field, f]) => `| ${field} | ${f.n} | ${f.mean} | ${f.stdev} | ${f.last ?? ''} | ${'rule' in f ? `${f.low ?? '−∞'} … ${f.high ?? '∞'} (${f.rule})` : ''} |`,
  );
  return [
    `**Device** \`${state.deviceId}\` · ${summary.connection} · ${summary.readingsApplied} readings · ${summary.anomalyCount} anomalies` +
      ` · open: ${summary.openAnomalies.join(', ') || 'none'} · last reading ${summary.lastReadingAt ?? 'never'}`,
    '',
    '| field | n | mean | stdev | last | threshold |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/**
 * Returns a function that writes search attributes, memo and current details (what the UI shows
 * without a worker) when what they say has changed, or when forced. `quiet` leaves out mere
 * progress (the newest reading time): each upsert is two history events and a visibility write,
 * so progress is written only as often as the window updates.
 */
export function summaryPublisher() {
  let published: string | undefined;
  /** The newest reading time the published summary says; `quiet` calls leave it as it is. */
  let progress: number | null | undefined;
  return (state: DeviceState, force: boolean, quiet = false): void => {
    if (!quiet) progress = state.lastReadingTs;
    const key = `${state.anomalyCount}|${progress}|${state.connection.status}|${Object.keys(state.incidents).length}`;
    if (!force && key === published) return;
    published = key;
    upsertSearchAttributes([
      { key: deviceIdAttribute, value: state.deviceId },
      { key: anomalyCountAttribute, value: state.anomalyCount },
      { key: connectionStatusAttribute, value: state.connection.status },
      ...(state.lastReadingTs === null ? [] : [{ key: lastReadingAtAttribute, value: new Date(state.lastReadingTs) }]),
    ]);
    upsertMemo({ summary: deviceSummary(state) });
    setCurrentDetails(deviceDetails(state));
  };
}
