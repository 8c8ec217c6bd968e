/**
 * `npm run eval:detectors`: every detector over the labelled evaluation set (src/evaluation/),
 * through the live path, with the default settings. Prints the table (labelled anomalies found,
 * how many readings late, raises outside the labels) and writes bench/results/eval-detectors.{json,md}.
 *
 * `-- --sweep zscore|flatline` also tries the detector's settings around the defaults and prints,
 * per setting, the labels found and the false alarms over the whole set: how the defaults were chosen.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DetectorName } from '../src/detectors/registry';
import type { DeviceSettings } from '../src/device/settings';
import { type CaseResult, evaluate, markdownTable } from '../src/evaluation/evaluate';

const judged: DetectorName[] = ['zscore', 'seasonal-iforest', 'flatline', 'htm', 'artime'];
const resultsDir = path.resolve(__dirname, 'results');

function totals(results: CaseResult[]) {
  const labels = results.reduce((n, r) => n + r.labels, 0);
  const found = results.reduce((n, r) => n + r.detected, 0);
  const falseAlarms = results.reduce((n, r) => n + r.falseAlarms, 0);
  const falseOpen = results.reduce((n, r) => n + r.falseOpen, 0);
  const delays = results.flatMap((r) => r.delays);
  const delay = delays.length === 0 ? 0 : delays.reduce((a, b) => a + b, 0) / delays.length;
  return { labels, found, falseAlarms, falseOpen, delay: Math.round(delay * 10) / 10 };
}

const sweeps: Record<string, Array<[string, (s: DeviceSettings) => void]>> = {
  zscore: [
    ...[100, 150, 200, 300].flatMap((window) =>
      [10, 20].flatMap((relearnAfter) =>
        (['both'] as const).flatMap((direction) =>
          [4, 4.5, 5].map((k): [string, (s: DeviceSettings) => void] => [
            `k ${k} ${direction} window ${window ?? 'off'} relearnAfter ${relearnAfter ?? 'off'}`,
            (s) => {
              s.detectors.zscore.defaults = { ...s.detectors.zscore.defaults, k, direction, window, relearnAfter };
            },
          ]),
        ),
      ),
    ),
  ],
  flatline: [10, 20, 30, 60].flatMap((minReadings) =>
    [1e-4, 1e-6, 1e-9].map((surprise): [string, (s: DeviceSettings) => void] => [
      `minReadings ${minReadings} surprise ${surprise}`,
      (s) => {
        s.detectors.flatline = { ...s.detectors.flatline, minReadings, surprise };
      },
    ]),
  ),
  'seasonal-iforest': [0.5, 0.55, 0.6, 0.65, 0.7].map((scoreThreshold): [string, (s: DeviceSettings) => void] => [
    `scoreThreshold ${scoreThreshold}`,
    (s) => {
      s.detectors['seasonal-iforest'].config = { ...s.detectors['seasonal-iforest'].config, scoreThreshold };
    },
  ]),
};

const sweepAt = process.argv.indexOf('--sweep');
if (sweepAt >= 0) {
  const detector = process.argv[sweepAt + 1] as DetectorName;
  const variants = sweeps[detector];
  if (!variants) throw new Error(`--sweep takes one of ${Object.keys(sweeps).join(', ')}`);
  for (const [name, configure] of variants) {
    const results = evaluate([detector], configure);
    const t = totals(results);
    const perCase = results.map((r) => `${r.case} ${r.detected}/${r.labels}/${r.falseAlarms}/${r.falseOpen}`).join('  ');
    process.stdout.write(`${name.padEnd(48)} found ${t.found}/${t.labels} false ${t.falseAlarms} open ${t.falseOpen} delay ${t.delay}   ${perCase}\n`);
  }
} else {
  const started = Date.now();
  const results = evaluate(judged);
  const table = markdownTable(results);
  process.stdout.write(`${table}\n\n`);
  for (const detector of judged) {
    const t = totals(results.filter((r) => r.detector === detector));
    process.stdout.write(`${detector}: ${t.found} of ${t.labels} labelled anomalies found (mean delay ${t.delay} readings), ${t.falseAlarms} false alarms, open for ${t.falseOpen} readings outside the labels\n`);
  }
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'eval-detectors.json'), `${JSON.stringify({ at: new Date().toISOString(), results: results.map(({ raised, resolved, ...r }) => ({ ...r, raised, resolved })) }, null, 1)}\n`);
  fs.writeFileSync(path.join(resultsDir, 'eval-detectors.md'), `# Detectors on the labelled evaluation set\n\n\`npm run eval:detectors\`, default settings. A cell: labelled anomalies found, the mean delay in readings, and raises outside the labels.\n\n${table}\n`);
  process.stdout.write(`\nwritten bench/results/eval-detectors.{json,md} in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
