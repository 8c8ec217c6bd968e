/**
 * The Numenta Anomaly Benchmark's scoring rules (NAB v1.1: `nab/sweeper.py`, `nab/optimizer.py`,
 * `nab/runner.py` normalize, `config/profiles.json`), written from their description. Pure: the
 * corpus comes in as numbers, the scores go out.
 *
 * - A detector gives every row an anomaly score; a threshold turns scores at or above it into
 *   detections.
 * - The first rows of each file are its probationary period, min(floor(0.15·rows), 750): they are
 *   never scored, neither as detections nor as parts of windows.
 * - Inside a labelled window only the earliest detection counts, with the scaled sigmoid of its
 *   position (−1 at the window's first row, towards 0 at its last), divided by the sigmoid's value
 *   at −1 so the earliest detection is worth exactly A_TP. A window without any costs A_FN.
 * - A detection outside every window costs A_FP × the sigmoid of its distance past the preceding
 *   window's end, in window widths (the whole A_FP from 3 widths on, and before the first window).
 * - The threshold is the one that maximises the total over the whole corpus, per detector and
 *   profile (NAB's optimiser: every distinct score is tried, from the highest down).
 * - The total is normalised: 100 × (S − S_null) / (S_perfect − S_null), where the null detector
 *   says 0.5 everywhere (with its threshold optimised too, it detects nothing on a real corpus:
 *   S_null = −A_FN × the scorable windows) and the perfect one finds every window at its first
 *   row (S_perfect = A_TP × the windows).
 */

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's three application profiles (`config/profiles.json`). */
export const nabProfiles = {
  standard: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0 },
  reward_low_FP_rate: { tpWeight: 1.0, fpWeight: 0.22, fnWeight: 1.0 },
  reward_low_FN_rate: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 2.0 },
} as const satisfies Record<string, CostMatrix>;
export type NabProfile = keyof typeof nabProfiles;
export const nabProfileNames = Object.keys(nabProfiles) as NabProfile[];

/** Share of a file that is probationary, and the row count from which it stops growing. */
const PROBATION_FRACTION = 0.15;
const PROBATION_CAP_ROWS = 5000;

/** Rows at the start of a file that are not scored: min(floor(0.15·rows), 0.15·5000 = 750). */
export function probationaryLength(rows: number): number {
  return Math.min(Math.floor(PROBATION_FRACTION * rows), PROBATION_FRACTION * PROBATION_CAP_ROWS);
}

/**
 * NAB's scaled sigmoid of a relative position: 2·σ(−5x) − 1, so about 0.987 at the left edge of a
 * window (x = −1), 0 at its right edge, about −0.987 one window width past it, and −1 from 3 on.
 */
export function scaledSigmoid(position: number): number {
  if (position >= 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

/** A labelled window: the timestamps (epoch ms) of its first and last rows, both included. */
export interface NabWindow {
  start: number;
  end: number;
}

/** One labelled file with a detector's score for each of its rows. */
export interface ScoredFile {
  name: string;
  timestamps: readonly number[];
  scores: readonly number[];
  windows: readonly NabWindow[];
}

/** A scorable row: its anomaly score, what detecting it would add, and its window (null: none). */
export interface SweepPoint {
  anomalyScore: number;
  /** The weighted score of a detection here: a true positive's worth inside a window, a false positive's cost (negative) outside. */
  sweepScore: number;
  window: string | null;
}

/**
 * The scorable rows of one file under a cost matrix (NAB's calcSweepScore): rows in the
 * probationary period are left out. A window is entered at the row whose timestamp is its start
 * and left after the row whose timestamp is its end; both must be rows of the file.
 */
export function sweepPoints(file: ScoredFile, cost: CostMatrix): SweepPoint[] {
  const { timestamps, scores } = file;
  if (timestamps.length !== scores.length) throw new Error(`${file.name}: ${timestamps.length} timestamps but ${scores.length} scores`);
  const indexOf = (ts: number, what: string): number => {
    const index = timestamps.indexOf(ts);
    if (index < 0) throw new Error(`${file.name}: the ${what} of a window, ${new Date(ts).toISOString()}, is no row of the file`);
    return index;
  };
  const windows = [...file.windows];
  const maxTp = scaledSigmoid(-1);
  const probation = probationaryLength(timestamps.length);
  const points: SweepPoint[] = [];
  let current: { name: string; right: number; width: number; end: number } | null = null;
  let previous: { right: number; width: number } | null = null;
  for (let i = 0; i < timestamps.length; i++) {
    const ts = timestamps[i]!;
    if (windows.length > 0 && ts === windows[0]!.start) {
      const window = windows.shift()!;
      const right = indexOf(window.end, 'end');
      current = { name: `${file.name}|${window.start}`, right, width: right - indexOf(window.start, 'start') + 1, end: window.end };
    }
    let sweepScore: number;
    if (current !== null) {
      // Relative position in (−1, 0]: −1 at the window's first row (NAB's "+ 1" keeps the last row off 0).
      const position = -(current.right - i + 1) / current.width;
      sweepScore = (scaledSigmoid(position) * cost.tpWeight) / maxTp;
    } else {
      const position = previous === null ? 3 : Math.abs(previous.right - i) / (previous.width - 1);
      sweepScore = scaledSigmoid(position) * cost.fpWeight;
    }
    if (i >= probation) points.push({ anomalyScore: scores[i]!, sweepScore, window: current?.name ?? null });
    if (current !== null && ts === current.end) {
      previous = { right: i, width: current.width };
      current = null;
    }
  }
  return points;
}

export interface ThresholdScore {
  threshold: number;
  /** The raw NAB score: true positives' worth, less false positives' and missed windows' costs. */
  score: number;
  /** Rows, as NAB counts them: detected rows in windows (tp), outside (fp), and the rest. */
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Windows with a detection, and all scorable windows. */
  windowsDetected: number;
  windows: number;
}

/** Above any score: the threshold at which nothing is detected. */
const NOTHING_DETECTED = 1.1;

/**
 * The score at every threshold that changes it (NAB's calcScoreByThreshold): rows sorted by
 * anomaly score, highest first; each new score value is a threshold, at which every row scoring
 * at least that much is a detection. The first entry (threshold 1.1) detects nothing.
 */
export function scoresByThreshold(points: readonly SweepPoint[], cost: CostMatrix): ThresholdScore[] {
  const sorted = [...points].sort((a, b) => b.anomalyScore - a.anomalyScore);
  const windowParts = new Map<string, number>();
  for (const point of sorted) if (point.window !== null) windowParts.set(point.window, -cost.fnWeight);
  const windows = windowParts.size;
  let windowTotal = -cost.fnWeight * windows;
  let fpTotal = 0;
  const detectedWindows = new Set<string>();
  let tp = 0;
  let fp = 0;
  let fn = sorted.filter((p) => p.window !== null).length;
  let tn = sorted.length - fn;
  const results: ThresholdScore[] = [];
  const save = (threshold: number) =>
    results.push({ threshold, score: windowTotal + fpTotal, tp, fp, tn, fn, windowsDetected: detectedWindows.size, windows });
  let threshold = NOTHING_DETECTED;
  for (const point of sorted) {
    if (point.anomalyScore !== threshold) {
      save(threshold);
      threshold = point.anomalyScore;
    }
    if (point.window === null) {
      fp += 1;
      tn -= 1;
      fpTotal += point.sweepScore;
    } else {
      tp += 1;
      fn -= 1;
      // A window is worth its best (earliest) detection, or the missed window's cost.
      const part = windowParts.get(point.window)!;
      if (point.sweepScore > part) {
        windowTotal += point.sweepScore - part;
        windowParts.set(point.window, point.sweepScore);
      }
      detectedWindows.add(point.window);
    }
  }
  save(threshold);
  return results;
}

/** The best threshold (NAB's optimiser): the highest score, and of equal scores the highest threshold. */
export function bestThreshold(scores: readonly ThresholdScore[]): ThresholdScore {
  let best = scores[0]!;
  for (const candidate of scores) if (candidate.score > best.score) best = candidate;
  return best;
}

export interface ProfileResult {
  profile: NabProfile;
  threshold: number;
  /** 100 × (raw − null) / (perfect − null). */
  normalised: number;
  raw: number;
  null: number;
  perfect: number;
  counts: Omit<ThresholdScore, 'threshold' | 'score'>;
}

/** A detector's NAB score over a corpus under one profile: its threshold optimised over every file at once. */
export function scoreCorpus(files: readonly ScoredFile[], profile: NabProfile): ProfileResult {
  const cost = nabProfiles[profile];
  const points = files.flatMap((file) => sweepPoints(file, cost));
  const best = bestThreshold(scoresByThreshold(points, cost));
  // NAB's null detector says 0.5 for every row, its threshold optimised like any other's: on a
  // real corpus it then detects nothing (−A_FN per scorable window); on a tiny one, perhaps everything.
  const nullPoints = points.map((point) => ({ ...point, anomalyScore: 0.5 }));
  const nullScore = bestThreshold(scoresByThreshold(nullPoints, cost)).score;
  const perfect = files.reduce((n, file) => n + file.windows.length, 0) * cost.tpWeight;
  const { threshold, score, ...counts } = best;
  return { profile, threshold, normalised: (100 * (score - nullScore)) / (perfect - nullScore), raw: score, null: nullScore, perfect, counts };
}
