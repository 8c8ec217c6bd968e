/**
 * `npm run eval:nab -- <nab-dir> [--detectors zscore,htm,htm-backtracking] [--scores <dir>]`: every
 * detector over a NAB corpus (numenta/NAB's layout: data/ and labels/combined_windows.json)
 * through `bin/vigil score`'s own path with the shipped defaults, scored with NAB v1.1's rules
 * (src/evaluation/nab-scoring.ts): the threshold optimised per detector and profile over the
 * whole corpus, then normalised so the null detector scores 0 and a perfect one 100. A row is a
 * detector at the shipped defaults or a documented setting of it (`htm-backtracking`: HTM with
 * VIGIL_HTM_TEMPORAL_MEMORY=backtracking), always set from the variant's own environment.
 *
 * Prints a table per row and profile and writes bench/results/nab.{json,md} after each row; with
 * `--detectors` the rows not named keep their last results from nab.json (same corpus), so one
 * row can be re-run alone. `--scores` also writes each file's scores as NAB's results files
 * (`<dir>/<row>/<category>/<row>_<file>`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import type { DetectorName } from '../src/detectors/registry';
import { type DetectorRun, readNabCorpus, runNabFile } from '../src/evaluation/nab-corpus';
import { nabProfileNames, type ProfileResult, scoreCorpus } from '../src/evaluation/nab-scoring';

interface Variant {
  detector: DetectorName;
  /** The configuration it runs with, on top of the shipped defaults. */
  environment: Record<string, string>;
}

/** The table's rows, in order: each detector at the shipped defaults, and documented settings. */
const variants: Record<string, Variant> = {
  zscore: { detector: 'zscore', environment: {} },
  'seasonal-iforest': { detector: 'seasonal-iforest', environment: {} },
  flatline: { detector: 'flatline', environment: {} },
  htm: { detector: 'htm', environment: {} },
  'htm-backtracking': { detector: 'htm', environment: { VIGIL_HTM_TEMPORAL_MEMORY: 'backtracking' } },
  artime: { detector: 'artime', environment: {} },
};
const resultsDir = path.resolve(__dirname, 'results');

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

const positional = process.argv.slice(2).filter((arg, i, args) => !arg.startsWith('--') && !(i > 0 && args[i - 1]!.startsWith('--')));
const corpusDir = positional[0];
if (corpusDir === undefined) {
  process.stderr.write('usage: npm run eval:nab -- <nab-dir> [--detectors zscore,htm,…] [--scores <dir>]\n');
  process.exit(2);
}
const corpusArgument: string = corpusDir;
const chosen = option('detectors')?.split(',') ?? Object.keys(variants);
const unknown = chosen.filter((name) => !(name in variants));
if (unknown.length > 0) {
  process.stderr.write(`--detectors: ${unknown.join(', ')} unknown (rows: ${Object.keys(variants).join(', ')})\n`);
  process.exit(2);
}
const scoresDir = option('scores');

interface DetectorResult {
  /** The row's name (a key of `variants`). */
  detector: string;
  profiles: ProfileResult[];
  readings: number;
  unscored: number;
  msPerReading: number;
  /** When the row was measured (a run of some rows keeps the others' from before). */
  at?: string;
}

function writeScores(detector: string, runs: DetectorRun[]): void {
  if (scoresDir === undefined) return;
  for (const { file } of runs) {
    const [category, base] = file.name.split('/') as [string, string];
    const dir = path.join(scoresDir, detector, category);
    fs.mkdirSync(dir, { recursive: true });
    const lines = file.timestamps.map((ts, i) => `${new Date(ts).toISOString().replace('T', ' ').slice(0, 19)},${file.scores[i]}`);
    fs.writeFileSync(path.join(dir, `${detector}_${base}`), `timestamp,anomaly_score\n${lines.join('\n')}\n`);
  }
}

const started = Date.now();
const corpus = readNabCorpus(path.resolve(corpusDir));
const windows = corpus.reduce((n, f) => n + f.windows.length, 0);
const earlier = earlierResults();
for (const name of chosen) {
  const { detector, environment } = variants[name]!;
  // The shipped defaults and the variant's own settings: no VIGIL_* variable of this shell changes what is measured.
  const config = loadConfig(environment);
  const runs: DetectorRun[] = [];
  for (const file of corpus) {
    runs.push(runNabFile(config, file, { detector }));
    if (process.stderr.isTTY) process.stderr.write(`\r${name}: ${runs.length}/${corpus.length} files`);
  }
  process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}${name}: ${corpus.length} files in ${Math.round(runs.reduce((n, run) => n + run.ms, 0) / 1000)} s\n`);
  writeScores(name, runs);
  const readings = runs.reduce((n, run) => n + run.file.scores.length, 0);
  const ms = runs.reduce((n, run) => n + run.ms, 0);
  const files = runs.map((run) => run.file);
  earlier.set(name, {
    detector: name,
    profiles: nabProfileNames.map((profile) => scoreCorpus(files, profile)),
    readings,
    unscored: runs.reduce((n, run) => n + run.unscored, 0),
    msPerReading: ms / readings,
    at: new Date().toISOString(),
  });
  writeResults(Object.keys(variants).flatMap((row) => earlier.get(row) ?? []));
}
process.stdout.write(`\nwritten bench/results/nab.{json,md} in ${Math.round((Date.now() - started) / 1000)} s\n`);

/** The rows of the last run on this corpus (nab.json), which a run of some rows keeps. */
function earlierResults(): Map<string, DetectorResult> {
  const file = path.join(resultsDir, 'nab.json');
  if (!fs.existsSync(file)) return new Map();
  const last = JSON.parse(fs.readFileSync(file, 'utf8')) as { corpus: string; results: DetectorResult[] };
  if (last.corpus !== path.resolve(corpusArgument)) return new Map();
  return new Map(last.results.filter((r) => r.detector in variants).map((r) => [r.detector, r]));
}

function writeResults(results: DetectorResult[]): void {
  const round1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1);
  const profileOf = (result: DetectorResult, name: string) => result.profiles.find((p) => p.profile === name)!;
  const header = '| detector | standard | reward low FP | reward low FN | windows found (standard) | false positives (standard) | ms per reading |';
  const rows = results.map((r) => {
    const standard = profileOf(r, 'standard');
    return `| ${r.detector} | ${round1(standard.normalised)} | ${round1(profileOf(r, 'reward_low_FP_rate').normalised)} | ${round1(profileOf(r, 'reward_low_FN_rate').normalised)} | ${standard.counts.windowsDetected}/${standard.counts.windows} | ${standard.counts.fp} | ${r.msPerReading.toFixed(3)} |`;
  });
  const table = [header, '|---|---|---|---|---|---|---|', ...rows].join('\n');
  const readings = results[0]?.readings ?? 0;
  process.stdout.write(`${table}\n\n${corpus.length} files, ${readings} readings, ${windows} windows\n`);
  for (const r of results) {
    const thresholds = r.profiles.map((p) => `${p.profile} ${p.threshold.toPrecision(6)} (raw ${p.raw.toFixed(2)}, null ${p.null.toFixed(2)}, perfect ${p.perfect.toFixed(2)})`).join('; ');
    process.stdout.write(`${r.detector}: thresholds ${thresholds}${r.unscored > 0 ? `; ${r.unscored} readings refused by the live path, scored 0` : ''}\n`);
  }

  fs.mkdirSync(resultsDir, { recursive: true });
  const at = new Date().toISOString();
  fs.writeFileSync(path.join(resultsDir, 'nab.json'), `${JSON.stringify({ at, corpus: path.resolve(corpusArgument), files: corpus.length, readings, windows, results }, null, 1)}\n`);
  fs.writeFileSync(
    path.join(resultsDir, 'nab.md'),
    `# Detectors on NAB\n\n\`npm run eval:nab -- ${corpusArgument}\`: ${corpus.length} files, ${readings} readings, ${windows} windows; the shipped defaults (htm-backtracking: \`VIGIL_HTM_TEMPORAL_MEMORY=backtracking\`) through \`bin/vigil score\`'s path; NAB v1.1's scoring (threshold optimised per detector and profile over the corpus, normalised: null 0, perfect 100).\n\n${table}\n`,
  );
}
