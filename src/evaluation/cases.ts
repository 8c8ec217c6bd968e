/**
 * The labelled evaluation set: deterministic series, one per situation a detector meets in real
 * data, each with the windows where an anomaly is (labels). `npm run eval:detectors` runs every
 * detector over them through the live path and reports, per detector and case, what it found,
 * how late, and what it raised outside the labels; the defaults were chosen on it.
 *
 * Pure and seeded: the same set on every machine.
 */
import { seededRandom } from '../samples/random';

export interface LabelledPoint {
  ts: number;
  value: number;
}

/** Readings [start, end) where an anomaly is; a raise inside is a detection, the first one's lateness its delay. */
export interface Label {
  start: number;
  end: number;
}

export interface EvaluationCase {
  name: string;
  /** What the case is, for the table. */
  description: string;
  points: LabelledPoint[];
  labels: Label[];
}

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

/** Standard normal deviates from a seeded uniform source (Box–Muller). */
function gaussian(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Student's t with `df` degrees of freedom: heavy tails, as real noise often has. */
function studentT(seed: number, df: number): () => number {
  const normal = gaussian(seed);
  return () => {
    let chi2 = 0;
    for (let i = 0; i < df; i += 1) chi2 += normal() ** 2;
    return normal() / Math.sqrt(chi2 / df);
  };
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** `count` readings a minute apart from `t0`, each value from `value(i)`. */
function series(count: number, value: (i: number) => number, stepMs = MINUTE, t0 = T0): LabelledPoint[] {
  return Array.from({ length: count }, (_, i) => ({ ts: t0 + i * stepMs, value: round(value(i)) }));
}

/** One-reading labels, each a little wider to allow for a rule that needs a second look. */
const at = (indices: number[], width = 3): Label[] => indices.map((start) => ({ start, end: start + width }));

function spikes(name: string, sign: 1 | -1): EvaluationCase {
  const noise = gaussian(sign > 0 ? 11 : 12);
  const places = [400, 700, 1000];
  return {
    name,
    description: `N(20, 1); ${sign > 0 ? '+' : '−'}10 at three readings`,
    points: series(1200, (i) => 20 + noise() + (places.includes(i) ? sign * 10 : 0)),
    labels: at(places),
  };
}

function levelShift(name: string, from: number, to: number, seed: number): EvaluationCase {
  const noise = gaussian(seed);
  return {
    name,
    description: `N(${from}, 1), then N(${to}, 1) for good from reading 600`,
    points: series(1500, (i) => (i < 600 ? from : to) + noise()),
    // The shift is news once; afterwards the new level is normal, and a raise there a false alarm.
    labels: [{ start: 600, end: 610 }],
  };
}

/** The whole set, in the order of the table. */
export function evaluationCases(): EvaluationCase[] {
  const drift = gaussian(21);
  const noiseChange = gaussian(22);
  const seasonal = gaussian(23);
  const stuckNoise = gaussian(24);
  const gapNoise = gaussian(25);
  const quantized = gaussian(26);
  const heavy = studentT(27, 3);
  const idle = seededRandom(28);

  const stuckFrom = 700;
  const stuckTo = 900;
  const stuck = series(1200, (i) => 20 + stuckNoise());
  for (let i = stuckFrom; i < stuckTo; i += 1) stuck[i] = { ts: stuck[i]!.ts, value: stuck[stuckFrom - 1]!.value };

  // Three hours without readings, twice; then the same device carries on.
  const gaps = series(1200, () => 10 + gapNoise()).map((p, i) => ({ ts: p.ts + (i >= 400 ? 3 * 3600_000 : 0) + (i >= 800 ? 3 * 3600_000 : 0), value: p.value }));

  // Five weeks of 5-minute readings of a daily cycle; three readings at a level that is normal
  // at another time of day but not at theirs (a night-time reading at the daytime level).
  const day = 288;
  const seasonalAnomalies = [4 * 7 * day + 30, 4 * 7 * day + 2 * day + 50, 4 * 7 * day + 4 * day + 70];
  const cycle = (i: number) => 50 + 20 * Math.sin((2 * Math.PI * (i % day)) / day - Math.PI / 2);
  const seasonalPoints = series(5 * 7 * day, (i) => (seasonalAnomalies.includes(i) ? 75 : cycle(i) + 0.5 * seasonal()), 5 * MINUTE);

  // An idle host: load 0.00 for long stretches, and now and then a burst of work.
  let burst = 0;
  const idlePoints = series(1500, () => {
    if (burst === 0 && idle() < 0.01) burst = 5 + Math.floor(idle() * 20);
    if (burst === 0) return 0;
    burst -= 1;
    return 0.2 + idle() * 1.5;
  });

  const heavyPlaces = [500, 900];
  const quieter = gaussian(29);
  const quieterPlaces = [8600, 9000, 9400];
  return [
    spikes('spike', 1),
    spikes('dip', -1),
    levelShift('level-shift-up', 10, 20, 13),
    levelShift('level-shift-down', 20, 10, 14),
    {
      name: 'slow-drift',
      description: 'N(10, 1), then a drift of +0.02 a reading from reading 600 (+12 by the end)',
      points: series(1200, (i) => 10 + Math.max(0, i - 600) * 0.02 + drift()),
      labels: [{ start: 600, end: 1200 }],
    },
    {
      name: 'noise-change',
      description: 'N(10, 1), then N(10, 4) from reading 600',
      points: series(1200, (i) => 10 + (i < 600 ? 1 : 4) * noiseChange()),
      labels: [{ start: 600, end: 700 }],
    },
    {
      name: 'daily-seasonality',
      description: '5 weeks of a 5-minute daily cycle 50 ± 20, noise 0.5; 3 night readings at the daytime level',
      points: seasonalPoints,
      labels: at(seasonalAnomalies),
    },
    {
      name: 'stuck',
      description: 'N(20, 1), frozen at its last value for readings 700–899',
      points: stuck,
      labels: [{ start: stuckFrom, end: stuckTo }],
    },
    { name: 'gaps', description: 'N(10, 1) with two 3-hour gaps in time; nothing to find', points: gaps, labels: [] },
    { name: 'quantized', description: 'an integer sensor: round(N(21, 0.6)); nothing to find', points: series(1500, () => Math.round(21 + 0.6 * quantized())), labels: [] },
    { name: 'idle-host', description: 'load 0.00 for long stretches with short bursts of work; nothing to find', points: idlePoints, labels: [] },
    {
      name: 'quieter-later',
      description: 'N(10, 3) for 8,000 readings, then N(10, 0.5); +5 (10 stdev of the new noise) at three readings',
      points: series(10_000, (i) => 10 + (i < 8000 ? 3 : 0.5) * quieter() + (quieterPlaces.includes(i) ? 5 : 0)),
      labels: at(quieterPlaces),
    },
    {
      name: 'heavy-tails',
      description: 'Student t (3 degrees of freedom) noise around 10; +25 at two readings',
      points: series(1500, (i) => 10 + heavy() + (heavyPlaces.includes(i) ? 25 : 0)),
      labels: at(heavyPlaces),
    },
  ];
}
