/**
 * `npm run eval:nab-htm -- <nab-dir> [--params '<json>'] [--file-range] [--label <name>] [--files a,b] [--scores <file>] [--check]`:
 * HTM model variants on a NAB corpus, for measuring a change to the model before it becomes a
 * setting or a default. Each file is scored by one `HtmModel.create({ ...params })`, fed each row
 * as the live path feeds it (a row repeating a timestamp already applied is refused and scores 0,
 * as `bin/vigil score` does), and the corpus is scored with the same NAB rules as `eval:nab`.
 *
 * `--params` is merged into HtmModel's parameters (e.g. `{"temporalMemory":"backtracking"}`,
 * `{"backtrackingTm":{"pamLength":1}}`); `--check` also runs each file through `eval:nab`'s own
 * path (runNabFile, the shipped configuration) and fails unless the scores are identical, which
 * holds when `--params` names the shipped defaults. `--file-range` gives each model its file's min
 * and max as valueMin/valueMax (NAB's look-ahead; Vigil learns the range live). `--scores` writes
 * every file's scores as JSON, to compare two runs row by row. Appends a line to
 * bench/results/nab-htm-variants.jsonl and prints the table row.
 */
import fs from 'node:fs';
import { BACKTEST_DEVICE, readColumnsCsv } from '../src/backtest/input';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { readNabCorpus, runNabFile } from '../src/evaluation/nab-corpus';
import { nabProfileNames, scoreCorpus, type ScoredFile } from '../src/evaluation/nab-scoring';
import { HtmModel, type HtmParamsInput } from '../src/htm';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

const flags = ['--check', '--file-range'];
const positional = process.argv.slice(2).filter((arg, i, args) => !arg.startsWith('--') && !(i > 0 && args[i - 1]!.startsWith('--') && !flags.includes(args[i - 1]!)));
const corpusDir = positional[0];
if (corpusDir === undefined) {
  process.stderr.write("usage: npm run eval:nab-htm -- <nab-dir> [--params '<json>'] [--label <name>] [--files a,b] [--check]\n");
  process.exit(2);
}
const params = JSON.parse(option('params') ?? '{}') as HtmParamsInput;
const label = option('label') ?? JSON.stringify(params);
const only = option('files')?.split(',');
const check = process.argv.includes('--check');
const fileRange = process.argv.includes('--file-range');
const scoresFile = option('scores');

/** A NAB file's rows as `eval:nab` reads them (bin/vigil score's CSV reader, naive times in UTC); a refused row stops the run. */
function readRows(file: string): { timestamps: number[]; values: number[] } {
  const { readings, rejected } = readColumnsCsv(fs.readFileSync(file, 'utf8'), { timestampColumn: 'timestamp', valueColumn: 'value', timeZone: 'UTC', timestampUnit: 'ms', field: 'value', deviceId: BACKTEST_DEVICE });
  if (rejected.length > 0) throw new Error(`${file}: line ${rejected[0]!.line}: ${rejected[0]!.reason}`);
  return { timestamps: readings.map(({ reading }) => reading.ts), values: readings.map(({ reading }) => reading.values.value!) };
}

const corpus = readNabCorpus(path.resolve(corpusDir)).filter((file) => only === undefined || only.some((name) => file.name.includes(name)));
const config = loadConfig({});
const files: ScoredFile[] = [];
let readings = 0;
let ms = 0;
let largestSnapshot = 0;
for (const file of corpus) {
  const { timestamps, values } = readRows(file.path);
  const started = performance.now();
  const finite = values.filter(Number.isFinite);
  const model = HtmModel.create(fileRange ? { ...params, valueMin: Math.min(...finite), valueMax: Math.max(...finite) } : params);
  const scores: number[] = [];
  let lastApplied = -Infinity;
  for (let i = 0; i < timestamps.length; i++) {
    if (timestamps[i]! <= lastApplied) {
      scores.push(0);
      continue;
    }
    lastApplied = timestamps[i]!;
    scores.push(model.compute(timestamps[i]!, values[i]!).score);
  }
  ms += performance.now() - started;
  readings += timestamps.length;
  largestSnapshot = Math.max(largestSnapshot, model.snapshot().byteLength);
  files.push({ name: file.name, timestamps, scores, windows: file.windows });
  if (check) {
    const live = runNabFile(config, file, { detector: 'htm' }).file.scores;
    const first = live.findIndex((score, i) => score !== scores[i]);
    if (live.length !== scores.length || first !== -1) throw new Error(`${file.name}: differs from eval:nab's path at row ${first} (${live[first]} there, ${scores[first]} here)`);
  }
  process.stderr.write(`${file.name}: ${timestamps.length} rows, ${Math.round(ms / 1000)} s so far\n`);
}

if (scoresFile !== undefined) fs.writeFileSync(scoresFile, JSON.stringify(Object.fromEntries(files.map((file) => [file.name, file.scores]))));
const profiles = nabProfileNames.map((profile) => scoreCorpus(files, profile));
const round1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1);
const standard = profiles[0]!;
const row = `| ${label} | ${profiles.map((p) => round1(p.normalised)).join(' | ')} | ${standard.counts.windowsDetected}/${standard.counts.windows} | ${standard.counts.fp} | ${(ms / readings).toFixed(3)} |`;
process.stdout.write(`| variant | standard | reward low FP | reward low FN | windows found (standard) | false positives (standard) | ms per reading |\n|---|---|---|---|---|---|---|\n${row}\n`);
process.stdout.write(`${files.length} files, ${readings} readings; largest snapshot ${(largestSnapshot / 1_048_576).toFixed(1)} MB${check ? '; identical to eval:nab path' : ''}\n`);
const resultsDir = path.resolve(__dirname, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
fs.appendFileSync(
  path.join(resultsDir, 'nab-htm-variants.jsonl'),
  `${JSON.stringify({
    at: new Date().toISOString(),
    label,
    params,
    fileRange,
    files: files.length,
    readings,
    msPerReading: ms / readings,
    largestSnapshotBytes: largestSnapshot,
    profiles: profiles.map((p) => ({ profile: p.profile, normalised: p.normalised, threshold: p.threshold, counts: p.counts })),
  })}\n`,
);
