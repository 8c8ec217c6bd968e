/**
 * Runs detectors over the labelled evaluation set through the live path (the backtest's
 * `scoreReadings`, so exactly what a device would publish) and measures, per case: the labelled
 * anomalies found, how many readings late, and the anomalies raised outside the labels.
 */
import { scoreReadings } from '../backtest/score';
import type { DetectorName } from '../detectors/registry';
import { type DeviceSettings, defaultDeviceSettings } from '../device/settings';
import { type EvaluationCase, evaluationCases } from './cases';

export const EVALUATION_FIELD = 'value';

export interface CaseResult {
  case: string;
  detector: DetectorName;
  labels: number;
  /** Labels with a raise inside. */
  detected: number;
  /** Readings from each detected label's start to its first raise. */
  delays: number[];
  /** Raises outside every label. */
  falseAlarms: number;
  /** Readings outside every label while an anomaly was open: an alarm that never ends counts them all. */
  falseOpen: number;
  /** Reading indices of every raise, and of every resolve, for the unit tests' exact points. */
  raised: number[];
  resolved: number[];
}

/** The device the evaluation runs: the defaults, or `configure`'s changes to them. */
export function evaluationDevice(configure: (settings: DeviceSettings) => void = () => undefined): DeviceSettings {
  const settings = defaultDeviceSettings();
  configure(settings);
  return settings;
}

export function evaluateCase(detector: DetectorName, testCase: EvaluationCase, device: DeviceSettings = evaluationDevice()): CaseResult {
  const readings = testCase.points.map((point, line) => ({ line, reading: { deviceId: 'evaluation', ts: point.ts, values: { [EVALUATION_FIELD]: point.value } } }));
  const { rows } = scoreReadings(detector, readings, { field: EVALUATION_FIELD, device });
  const steps = (event: string) => rows.flatMap((row) => (row.extras.event === event ? [row.line] : []));
  const raised = steps('raised');
  const inside = (index: number) => testCase.labels.some((label) => index >= label.start && index < label.end);
  const firstRaises = testCase.labels.map((label) => raised.find((index) => index >= label.start && index < label.end));
  let open = false;
  let falseOpen = 0;
  for (const row of rows) {
    if (row.extras.event === 'raised') open = true;
    if (row.extras.event === 'resolved') open = false;
    if (open && !inside(row.line)) falseOpen += 1;
  }
  return {
    case: testCase.name,
    detector,
    labels: testCase.labels.length,
    detected: firstRaises.filter((index) => index !== undefined).length,
    delays: firstRaises.flatMap((index, i) => (index === undefined ? [] : [index - testCase.labels[i]!.start])),
    falseAlarms: raised.filter((index) => !inside(index)).length,
    falseOpen,
    raised,
    resolved: steps('resolved'),
  };
}

/** Every case for each detector, with the default settings unless `configure` changes them. */
export function evaluate(detectors: DetectorName[], configure?: (settings: DeviceSettings) => void): CaseResult[] {
  const cases = evaluationCases();
  return detectors.flatMap((detector) => cases.map((testCase) => evaluateCase(detector, testCase, evaluationDevice(configure))));
}

/** A result as a table cell: `found/labels, mean delay; false raises (readings open outside labels)`. */
export function cell(result: CaseResult): string {
  const found = result.labels === 0 ? '—' : `${result.detected}/${result.labels}`;
  const delay = result.delays.length === 0 ? '' : ` after ${round1(result.delays.reduce((a, b) => a + b, 0) / result.delays.length)}`;
  return `${found}${delay}; ${result.falseAlarms} false${result.falseOpen > 0 ? ` (${result.falseOpen} open)` : ''}`;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The table as markdown: a row per case, a column per detector. */
export function markdownTable(results: CaseResult[]): string {
  const detectors = [...new Set(results.map((r) => r.detector))];
  const cases = evaluationCases();
  const lines = [`| case | what it is | ${detectors.join(' | ')} |`, `|---|---|${detectors.map(() => '---').join('|')}|`];
  for (const testCase of cases) {
    const cells = detectors.map((detector) => {
      const result = results.find((r) => r.detector === detector && r.case === testCase.name);
      return result ? cell(result) : '';
    });
    lines.push(`| ${testCase.name} | ${testCase.description} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
