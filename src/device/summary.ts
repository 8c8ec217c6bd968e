import { detectorNamed, detectors } from '../detectors/registry';
import { detectorsJudging } from './judging';
import type { DeviceState } from './state';

/**
 * A device for people: what judges each field and how each detector sees it, for `device show`,
 * the workflow's memo (what the Temporal UI and the board read without a worker) and its details.
 */

/** Fields a device has seen, or that a detector remembers, or that its settings name. */
function fieldsOf(state: DeviceState): string[] {
  const known = detectors.flatMap((d) => [...Object.keys(state.memories[d.name]), ...(d.configuredFields?.(state.settings.detectors[d.name] as never) ?? [])]);
  return [...new Set([...Object.keys(state.lastValues), ...known, ...Object.keys(state.settings.judging.fields)])].sort();
}

/** What judges each field, as each detector sums it up: the memo's and `device show`'s table. */
export function fieldSummaries(state: DeviceState) {
  return Object.fromEntries(
    fieldsOf(state).map((field) => {
      const judged = detectorsJudging(state.settings.judging, state.settings.detectors, field).map((name) => {
        const detector = detectorNamed(name);
        return [name, detector.summary(state.settings.detectors[name], state.memories[name][field], field)] as const;
      });
      return [field, { last: state.lastValues[field] ?? null, detectors: Object.fromEntries(judged) }];
    }),
  );
}

/** The compact view kept in the memo, so the UI shows a device even when no worker runs. */
export function deviceSummary(state: DeviceState) {
  return {
    connection: state.connection.status,
    readingsApplied: state.counters.readingsApplied,
    anomalyCount: state.counters.anomalyCount,
    openAnomalies: Object.keys(state.incidents).sort(),
    // What operators said (attention.ts), for the board's device page and the UI.
    attention: attentionSummary(state),
    lastReadingAt: state.clock.watermark === null ? null : new Date(state.clock.watermark).toISOString(),
    fields: Object.fromEntries(
      Object.entries(fieldSummaries(state)).map(([field, { last, detectors: judged }]) => [field, { last, ...Object.fromEntries(Object.entries(judged).map(([name, s]) => [name, s.values])) }]),
    ),
  };
}

/** Snoozes and maintenance windows with their ends, acknowledgements of open anomalies, the false alarms marked lately. */
export function attentionSummary(state: DeviceState) {
  const { snoozes, maintenance, acknowledged, falseAlarms } = state.attention;
  return {
    snoozes: snoozes.map(({ field, until, reason, by }) => ({ field, until, by, ...(reason ? { reason } : {}) })),
    maintenance: maintenance.map(({ id, devices, start, end, reason, by }) => ({ id, devices, start, end, by, ...(reason ? { reason } : {}) })),
    acknowledged,
    falseAlarms: falseAlarms.map(({ anomalyId, detector, field, value, by, at, lesson }) => ({ anomalyId, detector, field, value, by, at, lesson })),
  };
}

/** Markdown for the UI's "Current Details" panel. */
export function deviceDetails(state: DeviceState): string {
  const summary = deviceSummary(state);
  const rows = Object.entries(fieldSummaries(state)).map(
    ([field, { last, detectors: judged }]) => `| ${field} | ${last ?? ''} | ${Object.entries(judged).map(([name, s]) => `**${name}** ${s.text}`).join('<br>')} |`,
  );
  return [
    `**Device** \`${state.deviceId}\` · ${summary.connection} · ${summary.readingsApplied} readings · ${summary.anomalyCount} anomalies` +
      ` · open: ${summary.openAnomalies.join(', ') || 'none'} · last reading ${summary.lastReadingAt ?? 'never'}`,
    '',
    '| field | last | judged by |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
}

