/**
 * A NAB corpus on disk (`<dir>/data/<category>/<file>.csv` and `<dir>/labels/combined_windows.json`,
 * as numenta/NAB lays it out), and a detector's scores for it through `bin/vigil score`'s own
 * path (`scoreFileRows`): the file read as the command reads a timestamp/value CSV, each reading
 * applied to a device by the live core.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type ScoreFileOptions, scoreFileRows } from '../backtest/score-file';
import type { Config } from '../config';
import type { NabWindow, ScoredFile } from './nab-scoring';

export interface NabFile {
  /** `<category>/<file>.csv`, the key of the labels. */
  name: string;
  path: string;
  windows: NabWindow[];
}

const windowsFileSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));

/** NAB writes window limits as naive `YYYY-MM-DD HH:MM:SS[.ffffff]`, the data's own wall times: read as UTC, as the score command reads the data. */
function windowTime(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`window limit ${JSON.stringify(text)} is not YYYY-MM-DD HH:MM:SS`);
  const [, y, mo, d, h, mi, s, fraction] = match;
  const ms = fraction === undefined ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
}

/** The corpus's labelled files, in name order; throws when the folder is not a NAB corpus. */
export function readNabCorpus(dir: string): NabFile[] {
  const labelsPath = path.join(dir, 'labels', 'combined_windows.json');
  if (!fs.existsSync(labelsPath)) throw new Error(`${dir} is not a NAB corpus: no labels/combined_windows.json`);
  const labels = windowsFileSchema.parse(JSON.parse(fs.readFileSync(labelsPath, 'utf8')));
  return Object.keys(labels)
    .sort()
    .map((name) => {
      const file = path.join(dir, 'data', name);
      if (!fs.existsSync(file)) throw new Error(`labels/combined_windows.json names ${name}, which is not in ${path.join(dir, 'data')}`);
      return { name, path: file, windows: labels[name]!.map(([start, end]) => ({ start: windowTime(start), end: windowTime(end) })) };
    });
}

export interface DetectorRun {
  file: ScoredFile;
  /** Rows the live path refused (late, duplicate): scored 0, as a detector that says nothing. */
  unscored: number;
  ms: number;
}

/** One detector over one file, exactly as `bin/vigil score <file> --detector <name>` scores it. */
export function runNabFile(config: Config, file: NabFile, options: ScoreFileOptions): DetectorRun {
  const started = performance.now();
  const { result, rejected } = scoreFileRows(config, file.path, { timeZone: 'UTC', ...options });
  const ms = performance.now() - started;
  if (rejected.length > 0) throw new Error(`${file.name}: line ${rejected[0]!.line}: ${rejected[0]!.reason}`);
  const unscored = result.rows.filter((row) => row.anomalyScore === null).length;
  return {
    file: { name: file.name, timestamps: result.rows.map((row) => row.ts), scores: result.rows.map((row) => row.anomalyScore ?? 0), windows: file.windows },
    unscored,
    ms,
  };
}
