/**
 * `npm run eval:nab -- <nab-dir> [--detectors zscore,htm] [--scores <dir>]`: every detector over a
 * NAB corpus (numenta/NAB's layout: data/ and labels/combined_windows.json) through `bin/vigil
 * score`'s own path with the shipped defaults, scored with NAB v1.1's rules (src/evaluation/
 * nab-scoring.ts): the threshold optimised per detector and profile over the whole corpus, then
 * normalised so the null detector scores 0 and a perfect one 100.
 *
 * Prints a table per detector and profile and writes bench/results/nab.{json,md}. `--scores`
 * also writes each file's scores as NAB's results files (`<dir>/<detector>/<category>/<detector>_<file>`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import type { DetectorName } from '../src/detectors/registry';
import { type DetectorRun, readNabCorpus, runNabFile } from '../src/evaluation/nab-corpus';
import { nabProfileNames, type ProfileResult, scoreCorpus } from '../src/evaluation/nab-scoring';

const allDetectors: DetectorName[] = ['zscore', 'seasonal-iforest', 'flatline', 'htm', 'artime'];
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
const detectors = (option('detectors')?.split(',') ?? allDetectors) as DetectorName[];
const scoresDir = option('scores');

interface DetectorResult {
  detector: DetectorName;
  profiles: ProfileResult[];
  readings: number;
  unscored: number;
  msPerReading: number;
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
// The shipped defaults: no VIGIL_* variable of this shell changes what is measured.
const config = loadConfig({});
const corpus = readNabCorpus(path.resolve(corpusDir));
const results: DetectorResult[] = [];
for (const detector of detectors) {
  const runs: DetectorRun[] = [];
  for (const file of corpus) {
    runs.push(runNabFile(config, file, { detector }));
    if (process.stderr.isTTY) process.stderr.write(`\r${detector}: ${runs.length}/${corpus.length} files`);
  }
  process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}${detector}: ${corpus.length} files in ${Math.round(runs.reduce((n, run) => n + run.ms, 0) / 1000)} s\n`);
  writeScores(detector, runs);
  const readings = runs.reduce((n, run) => n + run.file.scores.length, 0);
  const ms = runs.reduce((n, run) => n + run.ms, 0);
  const files = runs.map((run) => run.file);
  results.push({
    detector,
    profiles: nabProfileNames.map((profile) => scoreCorpus(files, profile)),
    readings,
    unscored: runs.reduce((n, run) => n + run.unscored, 0),
    msPerReading: ms / readings,
  });
}

const round1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1);
const profileOf = (result: DetectorResult, name: string) => result.profiles.find((p) => p.profile === name)!;
const header = '| detector | standard | reward low FP | reward low FN | windows found (standard) | false positives (standard) | ms per reading |';
const rows = results.map((r) => {
  const standard = profileOf(r, 'standard');
  return `| ${r.detector} | ${round1(standard.normalised)} | ${round1(profileOf(r, 'reward_low_FP_rate').normalised)} | ${round1(profileOf(r, 'reward_low_FN_rate').normalised)} | ${standard.counts.windowsDetected}/${standard.counts.windows} | ${standard.counts.fp} | ${r.msPerReading.toFixed(3)} |`;
});
const table = [header, '|---|---|---|---|---|---|---|', ...rows].join('\n');
const windows = corpus.reduce((n, f) => n + f.windows.length, 0);
const readings = results[0]?.readings ?? 0;
process.stdout.write(`${table}\n\n${corpus.length} files, ${readings} readings, ${windows} windows\n`);
for (const r of results) {
  const thresholds = r.profiles.map((p) => `${p.profile} ${p.threshold.toPrecision(6)} (raw ${p.raw.toFixed(2)}, null ${p.null.toFixed(2)}, perfect ${p.perfect.toFixed(2)})`).join('; ');
  process.stdout.write(`${r.detector}: thresholds ${thresholds}${r.unscored > 0 ? `; ${r.unscored} readings refused by the live path, scored 0` : ''}\n`);
}

fs.mkdirSync(resultsDir, { recursive: true });
const at = new Date().toISOString();
fs.writeFileSync(path.join(resultsDir, 'nab.json'), `${JSON.stringify({ at, corpus: path.resolve(corpusDir), files: corpus.length, readings, windows, results }, null, 1)}\n`);
fs.writeFileSync(
  path.join(resultsDir, 'nab.md'),
  `# Detectors on NAB\n\n\`npm run eval:nab -- ${corpusDir}\`: ${corpus.length} files, ${readings} readings, ${windows} windows; the shipped defaults through \`bin/vigil score\`'s path; NAB v1.1's scoring (threshold optimised per detector and profile over the corpus, normalised: null 0, perfect 100).\n\n${table}\n`,
);
process.stdout.write(`\nwritten bench/results/nab.{json,md} in ${Math.round((Date.now() - started) / 1000)} s\n`);
