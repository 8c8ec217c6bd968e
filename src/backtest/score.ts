/**
 * `vigil score`: backtesting. Runs one detector offline over historical readings and gives one
 * output row per reading, so a detector can be judged on history before it is enabled.
 *
 * Every detector runs through `applyItem` (the function the device workflow runs) on a device
 * configured as the worker configures it, with an observer that reads the detector's
 * per-reading observation, which its own `backtest.row` turns into the row. So the scores are
 * those a replay of the same file through the pipeline produces: same models, same learn gates,
 * same lateness and duplicate rules. A deferred detector (HTM) gets its evidence from the model
 * its scorer runs (evidence.ts), in this process.
 */
import type { Cell } from '../detectors/detector';
import { type DetectorName, detectorNamed } from '../detectors/registry';
import { applyEvidence, applyItem } from '../device/apply';
import type { DeviceSettings } from '../device/settings';
import { initialDeviceState } from '../device/state';
import { flushWindows } from '../device/windows';
import { evidenceSources } from './evidence';
import type { LineReading } from './input';

export interface ScoredRow {
  line: number;
  ts: number;
  value: number;
  /** null only for a reading the live path refused (see `skipped`). */
  anomalyScore: number | null;
  extras: Record<string, Cell>;
}

export interface ScoreResult {
  detector: DetectorName;
  rows: ScoredRow[];
  /** Lines of readings without the scored field: they still went through the live path, unscored. */
  withoutField: number[];
}

export interface ScoreSettings {
  /** The field whose values are scored; a reading's other fields still go through the live path. */
  field: string;
  /** The device as the live path configures it; the scored detector is made to judge the field. */
  device: DeviceSettings;
}

type RowScorer = (item: LineReading) => ScoredRow | undefined;

/**
 * The live path of one device, running one detector, reporting the scored field per reading.
 * Offsets follow file order, as one partition delivers a device's readings.
 */
function deviceScorer(name: DetectorName, { field, device }: ScoreSettings, deviceId: string): RowScorer {
  const detector = detectorNamed(name);
  const evidence = detector.deferred ? evidenceSources[name]?.(device, field) : undefined;
  if (detector.deferred && !evidence) throw new Error(`the ${name} detector has no evidence source for the backtest`);
  const state = initialDeviceState(deviceId, device);
  // The detector judges the field, alone unless the settings name it with others.
  state.settings.judging.fields[field] = [...new Set([name, ...(state.settings.judging.fields[field] ?? [])])];
  const empty: Record<string, Cell> = Object.fromEntries(detector.backtest.columns.map((column) => [column, null]));
  let offset = 0;
  return ({ line, reading }) => {
    const { lateDropped, duplicatesSkipped } = state.counters;
    let observation: unknown;
    const observe = (output: { detector: DetectorName; field: string; observation: unknown }) => {
      if (output.detector === name && output.field === field) observation = output.observation;
    };
    const outcome = applyItem(state, { source: { topic: 'score', partition: 0, offset: offset++ }, reading }, { observe, only: name });
    const events = [...outcome.anomalies];
    for (const deferred of outcome.deferred.filter((d) => d.detector === name && d.field === field)) {
      events.push(...applyEvidence(state, name, [{ reading: deferred, evidence: evidence!(deferred.ts, deferred.value) }], observe));
    }
    // What the workflow does after each batch: dead-letter the late ones (here the row says so)
    // and flush the event-time windows, which would otherwise grow with the file.
    if (state.clock.watermark !== null) flushWindows(state.windows, deviceId, state.clock.watermark, state.settings.eventTime.allowedLatenessMs);

    const value = reading.values[field];
    if (value === undefined) return undefined;
    const skipped = state.counters.lateDropped > lateDropped ? 'late' : state.counters.duplicatesSkipped > duplicatesSkipped ? 'duplicate' : null;
    if (skipped) return { line, ts: reading.ts, value, anomalyScore: null, extras: { ...empty, skipped } };
    if (observation === undefined) throw new Error(`line ${line}: the ${name} detector reported nothing for ${field}`);
    const { anomalyScore, extras } = detector.backtest.row(observation);
    const event = events.find((e) => e.detector === name && e.field === field)?.status ?? null;
    return { line, ts: reading.ts, value, anomalyScore, extras: { ...extras, event, skipped: null } };
  };
}

/**
 * Scores readings in order, one device state per device (as one workflow per device does).
 * Deterministic: the same readings and settings give the same rows.
 */
export function scoreReadings(detector: DetectorName, readings: readonly LineReading[], settings: ScoreSettings): ScoreResult {
  const scorers = new Map<string, RowScorer>();
  const rows: ScoredRow[] = [];
  const withoutField: number[] = [];
  for (const item of readings) {
    const { deviceId } = item.reading;
    let scorer = scorers.get(deviceId);
    if (!scorer) scorers.set(deviceId, (scorer = deviceScorer(detector, settings, deviceId)));
    const row = scorer(item);
    if (row) rows.push(row);
    else withoutField.push(item.line);
  }
  return { detector, rows, withoutField };
}

function csvCell(cell: Cell): string {
  if (cell === null) return '';
  const text = String(cell);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `timestamp,value,anomaly_score,<the detector's columns>`; timestamps ISO-8601 UTC, numbers in full precision. */
export function scoreCsv(result: ScoreResult): string {
  const extras = detectorNamed(result.detector).backtest.columns;
  const lines = [['timestamp', 'value', 'anomaly_score', ...extras].join(',')];
  for (const row of result.rows) {
    lines.push([new Date(row.ts).toISOString(), row.value, row.anomalyScore, ...extras.map((column) => row.extras[column] ?? null)].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}
