import { z } from 'zod';
import { defineDetector, type FieldSummary, round3 } from './detector';

/**
 * ARTime (M. Hampton; the best detector published on NAB, 74.9), written from its description:
 * adaptive resonance theory over the shape of the recent series.
 *
 * - The field is downsampled: every `step` readings become one sample, the extreme of those
 *   readings farthest from a moving average (unless within 10 % of their mean), placed on 80
 *   levels of the field's range, pulled to the running median level when within 0.075 of it.
 * - A sample's features: the last 8 levels, and their Haar wavelet transform (both scaled to
 *   0..1), so a category stands for a shape at a height.
 * - A distributed dual-vigilance fuzzy ART network (complement coding, fast commit) learns the
 *   categories. A sample that resonates with none (its best match below the lower vigilance)
 *   founds a new category: that is the anomaly, scored by how far below the vigilances it fell.
 *   After an anomaly or a new category, alarms are masked for 12 samples unless the match is
 *   much worse. The vigilances follow the similarities seen (every half trend window).
 * - The first `probationReadings` readings (750: NAB's probationary period for any stream of
 *   5,000 readings or more, the only length a stream has) are buffered; they fix the range
 *   (ARTime takes the whole file's min and max, which a stream cannot know) and set the first
 *   vigilance, then are replayed. Values beyond that range sit on the outermost levels, so NAB's
 *   spatial anomaly (as HTM's: beyond the range seen by more than 5 % of it) scores 1 whatever the
 *   network says.
 *
 * Its memory is small enough for the device state: at most `maxCategories` categories of 32
 * weights, kept as 16-bit fixed point (base64) so learning stays exact, the least recently
 * resonating one making room when full; and a few hundred numbers besides.
 */

const WINDOW = 8;
const WINDOWS_PER_PROBATION = 13;
const LEVELS = 80;
const MEDIAN_PULL = 0.075;
const INITIAL_VIGILANCE = 0.8;
const MASK_SAMPLES = WINDOW * 1.5;
const FEATURES = WINDOW * 2;
/** Complement coded: each feature and 1 − it. */
const WEIGHTS = FEATURES * 2;
/** Weights are whole multiples of 1/WEIGHT_SCALE, so a category fits 16 bits per weight. */
const WEIGHT_SCALE = 65535;
/**
 * Readings before the spatial anomaly judges: a range of a handful of readings says little, so a
 * new field does not alarm at its every new extreme (30, as z-score's `minSamples`). NAB never
 * sees these: they lie inside its probationary period.
 */
const SPATIAL_MIN_READINGS = 30;

export const artimeSettingsSchema = z.object({
  /** The score (0..1) from which a reading is anomalous. */
  threshold: z.number().gt(0).max(1).default(0.5),
  /** Readings that fix the range and the first vigilance before anything is judged. */
  probationReadings: z.number().int().min(4 * WINDOW * WINDOWS_PER_PROBATION).default(750),
  /** NAB's spatial anomaly: beyond the range seen by this share of it. */
  spatialTolerance: z.number().min(0).default(0.05),
  /** Categories kept; when full, a new one replaces the one that resonated least recently. */
  maxCategories: z.number().int().min(8).max(4096).default(256),
});
export type ArtimeSettings = z.infer<typeof artimeSettingsSchema>;

const rangeSchema = z.object({ min: z.number(), max: z.number() });

const probationSchema = z.object({
  phase: z.literal('probation'),
  values: z.array(z.number()),
  /** The range seen so far (the spatial anomaly's). */
  seen: rangeSchema.nullable(),
});

const networkSchema = z.object({
  /** Categories × 32 weights, 16-bit little-endian, base64. */
  weights: z.string(),
  /** The sample count at which each category last resonated or was founded. */
  lastUsed: z.array(z.number().int()),
  rhoLow: z.number(),
  rhoHigh: z.number(),
});

const runningSchema = z.object({
  phase: z.literal('running'),
  seen: rangeSchema,
  /** The levels' range, fixed by the probation. */
  range: rangeSchema,
  step: z.number().int().positive(),
  reading: z.number().int(),
  sample: z.number().int(),
  recent: z.array(z.number()),
  movingAverage: z.number(),
  levelCounts: z.array(z.number().int()),
  median: z.object({ level: z.number().int(), below: z.number().int(), above: z.number().int() }),
  levels: z.array(z.number()),
  network: networkSchema,
  /** Running mean of every best match (the upper vigilance follows it). */
  matchSum: z.number(),
  matchCount: z.number().int(),
  /** Best matches of the last half trend window, and how far each fell below the upper vigilance over the last trend window. */
  matches: z.array(z.number()),
  shortfalls: z.array(z.number()),
  /** The anomalies' similarities: their sum, count and the latest (which the mask may lower). */
  anomalySum: z.number(),
  anomalyCount: z.number().int(),
  anomalyLast: z.number(),
  /** The latest anomaly's sample and match: a masked sample must fall well below it to alarm. */
  lastAnomaly: z.number().int(),
  lastAnomalySimilarity: z.number(),
  lastRhoUpdate: z.number().int(),
  maskAfterCategory: z.boolean(),
  sinceNewCategory: z.number().int(),
});

export const artimeMemorySchema = z.discriminatedUnion('phase', [probationSchema, runningSchema]);
export type ArtimeMemory = z.infer<typeof artimeMemorySchema>;
type Running = z.infer<typeof runningSchema>;

export const artimeExplanationSchema = z.object({
  kind: z.literal('artime'),
  score: z.number(),
  threshold: z.number(),
  /** The best category's match (0..1); null while in probation or between samples. */
  match: z.number().nullable(),
  /** The value left the range seen so far by more than the tolerance. */
  spatialAnomaly: z.boolean(),
  categories: z.number().int(),
  reason: z.literal('released').optional(),
});
export type ArtimeExplanation = z.infer<typeof artimeExplanationSchema>;

export interface ArtimeObservation {
  score: number;
  match: number | null;
  newCategory: boolean;
  spatialAnomaly: boolean;
  categories: number;
  probation: boolean;
}

// ---------- 16-bit weights as base64, without Node's Buffer (detectors are pure) ----------

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_INDEX = new Map([...BASE64].map((c, i) => [c, i]));

function encodeWeights(weights: Uint16Array): string {
  const bytes = new Uint8Array(weights.length * 2);
  for (let k = 0; k < weights.length; k++) {
    bytes[2 * k] = weights[k]! & 0xff;
    bytes[2 * k + 1] = weights[k]! >> 8;
  }
  let out = '';
  for (let k = 0; k < bytes.length; k += 3) {
    const n = (bytes[k]! << 16) | ((bytes[k + 1] ?? 0) << 8) | (bytes[k + 2] ?? 0);
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]! + (k + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : '=') + (k + 2 < bytes.length ? BASE64[n & 63]! : '=');
  }
  return out;
}

function decodeWeights(text: string): Uint16Array {
  const clean = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let at = 0;
  for (let k = 0; k < clean.length; k += 4) {
    const n = [0, 1, 2, 3].reduce((acc, j) => (acc << 6) | (BASE64_INDEX.get(clean[k + j] ?? 'A') ?? 0), 0);
    for (const shift of [16, 8, 0]) if (at < bytes.length) bytes[at++] = (n >> shift) & 0xff;
  }
  const weights = new Uint16Array(bytes.length / 2);
  for (let k = 0; k < weights.length; k++) weights[k] = bytes[2 * k]! | (bytes[2 * k + 1]! << 8);
  return weights;
}

// ---------- the pieces ----------

/**
 * Haar wavelet transform of a power-of-two length, as ARTime's `dwt(x, wavelet(WT.haar))`
 * (Wavelets.jl, periodic, every level): the coarsest average, then details coarse to fine. Its
 * detail filter is the mirrored scaling filter [1, −1]/√2 applied as a convolution, so a detail
 * is the second of a pair minus the first: the sign matters, since the features are then shifted
 * and scaled to 0..1 together with the average.
 */
export function haar(values: readonly number[]): number[] {
  let approximation = [...values];
  const details: number[][] = [];
  while (approximation.length > 1) {
    const next: number[] = [];
    const detail: number[] = [];
    for (let k = 0; k < approximation.length; k += 2) {
      next.push((approximation[k]! + approximation[k + 1]!) / Math.SQRT2);
      detail.push((approximation[k + 1]! - approximation[k]!) / Math.SQRT2);
    }
    details.unshift(detail);
    approximation = next;
  }
  return [...approximation, ...details.flat()];
}

/** Shifted to start at 0 and scaled to end at 1 (unless flat). */
function unitScaled(values: readonly number[]): number[] {
  const low = Math.min(...values);
  const shifted = values.map((v) => v - low);
  const high = Math.max(...shifted);
  return high === 0 ? shifted : shifted.map((v) => v / high);
}

/** Julia's `round`: to the nearest integer, a tie to the even one (JavaScript's Math.round rounds a tie up). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** A cosine similarity, with ARTime's convention for a zero vector. */
function similarity(a: readonly number[], b: readonly number[]): number {
  const na = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  const nb = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
  if (na === 0) return 1 - nb;
  if (nb === 0) return 1 - na;
  return a.reduce((s, x, k) => s + x * b[k]!, 0) / (na * nb);
}

/** The probation's derived sizes: samples every `step` readings, a trend window of `trend` samples. */
function sizes(probationReadings: number): { step: number; trend: number } {
  const even = probationReadings - (probationReadings % 2);
  const step = Math.max(1, Math.floor(even / (WINDOW * WINDOWS_PER_PROBATION)));
  return { step, trend: Math.floor(even / step) };
}

/**
 * The fuzzy ART network (distributed dual vigilance): categories of integer weights. `train`
 * returns the best match, its energy match, and whether the sample founded a new cluster.
 */
class Network {
  /** Whether a weight changed since the network was read: only then is it written again. */
  changed = false;

  constructor(
    public weights: Uint16Array,
    public lastUsed: number[],
    public rhoLow: number,
    public rhoHigh: number,
    readonly maxCategories: number,
  ) {}

  static empty(maxCategories: number): Network {
    // ARTime's network starts with one category of all ones, which the first sample does not train.
    return new Network(new Uint16Array(WEIGHTS).fill(WEIGHT_SCALE), [0], 0, 0, maxCategories);
  }

  get categories(): number {
    return this.lastUsed.length;
  }

  train(features: readonly number[], time: number): { match: number; energy: number; novel: boolean } {
    const x = new Uint16Array(WEIGHTS);
    for (let k = 0; k < FEATURES; k++) {
      const q = Math.round(Math.min(Math.max(features[k]!, 0), 1) * WEIGHT_SCALE);
      x[k] = q;
      x[FEATURES + k] = WEIGHT_SCALE - q;
    }
    const n = this.categories;
    const match = new Float64Array(n);
    const energy = new Float64Array(n);
    const lastFeature = FEATURES - 1;
    const lastComplement = WEIGHTS - 1;
    for (let j = 0; j < n; j++) {
      const base = j * WEIGHTS;
      let common = 0;
      let total = 0;
      for (let k = 0; k < WEIGHTS; k++) {
        const w = this.weights[base + k]!;
        common += Math.min(x[k]!, w);
        total += w;
      }
      const fs = total === 0 ? 0 : common / total;
      const energyTotal = this.weights[base + lastFeature]! + this.weights[base + lastComplement]!;
      const es = energyTotal === 0 ? 0 : (Math.min(x[lastFeature]!, this.weights[base + lastFeature]!) + Math.min(x[lastComplement]!, this.weights[base + lastComplement]!)) / energyTotal;
      match[j] = fs * fs * fs * es * es;
      energy[j] = es;
    }
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => match[b]! - match[a]! || a - b);
    let best = 0;
    let bestEnergy = 0;
    let resonated = false;
    for (const j of order) {
      if (match[j]! > best) {
        best = match[j]!;
        bestEnergy = energy[j]!;
      }
      if (match[j]! >= this.rhoHigh) {
        // Fast commit: the category shrinks to what it shares with the sample.
        const base = j * WEIGHTS;
        for (let k = 0; k < WEIGHTS; k++) {
          if (x[k]! < this.weights[base + k]!) {
            this.weights[base + k] = x[k]!;
            this.changed = true;
          }
        }
        this.lastUsed[j] = time;
        resonated = true;
      } else if (match[j]! >= this.rhoLow && !resonated) {
        // Close enough to be a variant of it: a new category, not news.
        this.add(x, time);
        resonated = true;
        break;
      } else break;
    }
    if (!resonated) this.add(x, time);
    return { match: best, energy: bestEnergy, novel: !resonated };
  }

  private add(x: Uint16Array, time: number): void {
    this.changed = true;
    if (this.categories < this.maxCategories) {
      const grown = new Uint16Array(this.weights.length + WEIGHTS);
      grown.set(this.weights);
      grown.set(x, this.weights.length);
      this.weights = grown;
      this.lastUsed.push(time);
      return;
    }
    let oldest = 1;
    for (let j = 2; j < this.categories; j++) if (this.lastUsed[j]! < this.lastUsed[oldest]!) oldest = j;
    this.weights.set(x, oldest * WEIGHTS);
    this.lastUsed[oldest] = time;
  }
}

/** The first vigilance: a network at 0.8 over the probation's samples, least typical first; the mean best match of its second half. */
function initialVigilance(samples: readonly number[][], trend: number): number {
  const typicality = samples.map((a, i) => samples.reduce((s, b, j) => s + (i === j ? 1 : similarity(a, b)), 0));
  const order = samples.map((_, i) => i).sort((a, b) => typicality[a]! - typicality[b]! || a - b);
  const network = Network.empty(Number.MAX_SAFE_INTEGER);
  network.rhoLow = INITIAL_VIGILANCE;
  network.rhoHigh = INITIAL_VIGILANCE;
  // The first sample only meets the all-ones category, as in ARTime: its match counts as 0.
  const matches = [0, ...order.slice(1).map((k) => network.train(samples[k]!, 0).match)];
  return mean(matches.slice(Math.floor(trend / 2) - 1));
}

/** One field's detector in its running phase, mutable while a reading is applied. */
class Resonance {
  private loaded: Network | null;

  private constructor(
    private s: Omit<Running, 'network'>,
    /** The network as memory holds it; decoded only for a reading that completes a sample (one in `step`). */
    private readonly stored: z.infer<typeof networkSchema> | null,
    network: Network | null,
    private readonly trend: number,
    private readonly maxCategories: number,
  ) {
    this.loaded = network;
  }

  private get network(): Network {
    if (this.loaded === null) {
      const { weights, lastUsed, rhoLow, rhoHigh } = this.stored!;
      this.loaded = new Network(decodeWeights(weights), [...lastUsed], rhoLow, rhoHigh, this.maxCategories);
    }
    return this.loaded;
  }

  static fromProbation(values: readonly number[], seen: z.infer<typeof rangeSchema>, settings: ArtimeSettings): Resonance {
    const { step, trend } = sizes(settings.probationReadings);
    const finite = values.filter(Number.isFinite);
    const range = finite.length > 0 ? { min: Math.min(...finite), max: Math.max(...finite) } : { min: 0, max: 0 };
    const resonance = new Resonance(
      {
        phase: 'running', seen, range, step, reading: 1, sample: 1, recent: new Array<number>(step).fill(0), movingAverage: 0,
        levelCounts: new Array<number>(LEVELS + 1).fill(0), median: { level: 0, below: 0, above: 0 }, levels: new Array<number>(WINDOW).fill(0),
        matchSum: 0, matchCount: 0, matches: new Array<number>(Math.floor(trend / 2) + 1).fill(1), shortfalls: new Array<number>(trend + 1).fill(0),
        anomalySum: 0, anomalyCount: 0, anomalyLast: 0, lastAnomaly: 0, lastAnomalySimilarity: 0, lastRhoUpdate: 0, maskAfterCategory: false, sinceNewCategory: 0,
      },
      null,
      Network.empty(settings.maxCategories),
      trend,
      settings.maxCategories,
    );
    // The probation's samples, kept until the trend window is full, then learnt together.
    const probation: number[][] = [];
    for (const value of values) {
      const features = resonance.downsample(value);
      if (features !== undefined) {
        probation.push(features);
        if (probation.length === trend) {
          const vigilance = initialVigilance(probation.slice(WINDOW - 1), trend);
          resonance.network.rhoLow = vigilance;
          resonance.network.rhoHigh = vigilance;
          probation.forEach((f, k) => resonance.detect(f, k + 1));
        }
      }
    }
    return resonance;
  }

  static fromMemory(memory: Running, settings: ArtimeSettings): Resonance {
    const { network, ...rest } = memory;
    const copy = { ...rest, seen: { ...rest.seen }, range: { ...rest.range }, recent: [...rest.recent], levelCounts: [...rest.levelCounts], median: { ...rest.median }, levels: [...rest.levels], matches: [...rest.matches], shortfalls: [...rest.shortfalls] };
    return new Resonance(copy, network, null, sizes(settings.probationReadings).trend, settings.maxCategories);
  }

  toMemory(): Running {
    if (this.loaded === null) return { ...this.s, network: this.stored! };
    const { weights, lastUsed, rhoLow, rhoHigh, changed } = this.loaded;
    return { ...this.s, network: { weights: changed || this.stored === null ? encodeWeights(weights) : this.stored.weights, lastUsed: [...lastUsed], rhoLow, rhoHigh } };
  }

  get categories(): number {
    return this.loaded?.categories ?? this.stored!.lastUsed.length;
  }

  /** One reading: its score (0 between samples) and the sample's best match, if it was one. */
  apply(value: number): { score: number; match: number | null; novel: boolean } {
    const features = this.downsample(value);
    if (features === undefined) return { score: 0, match: null, novel: false };
    return this.detect(features, this.s.sample - 1);
  }

  /** ARTime's downsampling and levels; the features of the sample this reading completes, if any. */
  private downsample(value: number): number[] | undefined {
    const s = this.s;
    s.recent.shift();
    s.recent.push(value);
    const reading = s.reading++;
    if (reading % s.step !== 0) return undefined;
    const average = mean(s.recent);
    const high = Math.max(...s.recent);
    const low = Math.min(...s.recent);
    if (s.sample === 1) s.movingAverage = average;
    s.movingAverage = (s.movingAverage + average) / 2;
    let sampled = Math.abs(high - s.movingAverage) < Math.abs(low - s.movingAverage) ? low : high;
    if (Math.abs(sampled - average) < 0.1 * average) sampled = average;
    const span = s.range.max - s.range.min;
    const scaled = span !== 0 ? (sampled - s.range.min) / span : sampled - s.range.min;
    const level = Math.min(Math.max(roundHalfEven(scaled * LEVELS), 0), LEVELS);
    let placed = level / LEVELS;
    s.levelCounts[level]! += 1;
    // A running median of the levels, moved one occupied level at a time.
    const m = s.median;
    const middle = Math.floor(s.sample / 2);
    if (s.sample === 1) m.level = level;
    if (m.level > level) m.below += 1;
    else if (m.level < level) m.above += 1;
    if (middle < m.above) {
      m.below += s.levelCounts[m.level]!;
      m.level += 1;
      while (s.levelCounts[m.level] === 0) m.level += 1;
      m.above -= s.levelCounts[m.level]!;
    } else if (middle < m.below) {
      m.above += s.levelCounts[m.level]!;
      m.level -= 1;
      while (s.levelCounts[m.level] === 0) m.level -= 1;
      m.below -= s.levelCounts[m.level]!;
    }
    const median = m.level / LEVELS;
    if (Math.abs(placed - median) < MEDIAN_PULL) placed = median;
    s.levels.shift();
    s.levels.push(placed);
    const features = s.sample >= WINDOW ? [...unitScaled(haar(unitScaled(s.levels))), ...s.levels] : new Array<number>(FEATURES).fill(0);
    s.sample += 1;
    return features;
  }

  /** ARTime's detection step for sample `i` (1-based). */
  private detect(features: readonly number[], i: number): { score: number; match: number; novel: boolean } {
    const s = this.s;
    const network = this.network;
    const rhoUpdateAfterAnomaly = i - s.lastAnomaly === MASK_SAMPLES;
    const rhoUpdateForTrend = i - s.lastRhoUpdate >= Math.floor(this.trend / 2);
    const maskAfterAnomaly = i - s.lastAnomaly <= MASK_SAMPLES;
    if (i > this.trend + MASK_SAMPLES && s.maskAfterCategory && s.sinceNewCategory >= MASK_SAMPLES) s.maskAfterCategory = false;
    // Samples before a whole feature window do not teach: they only score against what is there.
    // The very first only founds the network (ARTime's all-ones category): its match counts as 0.
    const result = i === 1 ? { match: 0, energy: 0, novel: true } : i < WINDOW ? { ...this.peek(features), novel: true } : network.train(features, i);
    s.sinceNewCategory = result.novel ? 0 : s.sinceNewCategory + 1;
    s.matchSum += result.match;
    s.matchCount += 1;
    s.matches.shift();
    s.matches.push(result.match);
    s.shortfalls.shift();
    s.shortfalls.push(network.rhoHigh - result.match);
    if (i - s.lastAnomaly < MASK_SAMPLES && s.anomalyCount > 0 && result.match < s.anomalyLast) {
      s.anomalySum += result.match - s.anomalyLast;
      s.anomalyLast = result.match;
    }
    const masking = s.maskAfterCategory || maskAfterAnomaly;
    const muchWorse = result.match < s.lastAnomalySimilarity * (maskAfterAnomaly ? 0.9 : 0.7);
    let score = 0;
    if (i > this.trend && result.novel && (!masking || muchWorse)) {
      score = this.confidence(result.match, result.energy);
      s.anomalySum += result.match;
      s.anomalyCount += 1;
      s.anomalyLast = result.match;
      s.lastAnomalySimilarity = result.match;
      s.lastAnomaly = i;
    }
    s.maskAfterCategory = result.novel || s.maskAfterCategory;
    if (i > this.trend && (rhoUpdateAfterAnomaly || rhoUpdateForTrend)) this.updateVigilance(i);
    return { score, match: result.match, novel: result.novel && i >= WINDOW };
  }

  /** The best match without learning (ARTime's `learning=false`). */
  private peek(features: readonly number[]): { match: number; energy: number } {
    const probe = new Network(this.network.weights.slice(), [...this.network.lastUsed], Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER);
    const { match, energy } = probe.train(features, 0);
    return { match, energy };
  }

  private updateVigilance(i: number): void {
    const s = this.s;
    const network = this.network;
    const lowestMatch = Math.min(...s.matches);
    const high = Math.min(0.97, s.matchSum / s.matchCount);
    const previous = network.rhoLow;
    let low: number;
    if (previous <= lowestMatch) low = previous + (lowestMatch - previous) * 0.19;
    else {
      let decrease = 0;
      if (i > this.trend * 2) {
        const below = s.shortfalls.filter((x) => x > 0.05).map((x) => Math.min(0.37, x));
        if (below.length > 0) decrease = mean(below);
      }
      low = previous - Math.max(0.01, decrease) / 2;
      if (s.anomalyCount > 0) low = Math.max(s.anomalySum / s.anomalyCount, low);
    }
    network.rhoLow = Math.min(high, low);
    network.rhoHigh = high;
    s.lastRhoUpdate = i;
    s.maskAfterCategory = true;
  }

  /** How far below the vigilances the match fell, plus how far its level is from the category's. */
  private confidence(match: number, energy: number): number {
    const m = Math.min(0.999, match);
    const aboveHigh = (1 - m - (1 - this.network.rhoHigh)) / (1 - m);
    const aboveLow = (1 - m - (1 - this.network.rhoLow)) / (1 - m);
    // ARTime rounds the score to 6 digits: scores that differ below that tie in NAB's threshold sweep.
    return roundHalfEven(Math.min(1, aboveHigh * 0.35 + aboveLow * 0.65 + (1 - energy) * 1.5) * 1e6) / 1e6;
  }
}

/** NAB's spatial anomaly against the range seen so far; the range widened by the value afterwards. */
function spatialCheck(seen: z.infer<typeof rangeSchema> | null, value: number, tolerance: number): { anomalous: boolean; seen: z.infer<typeof rangeSchema> } {
  if (seen === null) return { anomalous: false, seen: { min: value, max: value } };
  const slack = (seen.max - seen.min) * tolerance;
  const anomalous = seen.min !== seen.max && (value > seen.max + slack || value < seen.min - slack);
  return { anomalous, seen: { min: Math.min(seen.min, value), max: Math.max(seen.max, value) } };
}

export const artimeDetector = defineDetector({
  name: 'artime',
  settingsSchema: artimeSettingsSchema,
  memorySchema: artimeMemorySchema,
  explanationSchema: artimeExplanationSchema,
  judge(memory, { value }, { settings }) {
    const current: ArtimeMemory = memory ?? { phase: 'probation', values: [], seen: null };
    const checked = spatialCheck(current.seen, value, settings.spatialTolerance);
    const spatial = { ...checked, anomalous: checked.anomalous && (current.phase === 'running' || current.values.length >= SPATIAL_MIN_READINGS) };
    let next: ArtimeMemory;
    let observation: ArtimeObservation;
    if (current.phase === 'probation') {
      const values = [...current.values, value];
      if (values.length < settings.probationReadings) {
        next = { phase: 'probation', values, seen: spatial.seen };
        observation = { score: spatial.anomalous ? 1 : 0, match: null, newCategory: false, spatialAnomaly: spatial.anomalous, categories: 0, probation: true };
      } else {
        // The probation is over: its readings fix the range and the first vigilance, then are replayed.
        const resonance = Resonance.fromProbation(values, spatial.seen, settings);
        next = resonance.toMemory();
        observation = { score: spatial.anomalous ? 1 : 0, match: null, newCategory: false, spatialAnomaly: spatial.anomalous, categories: resonance.categories, probation: true };
      }
    } else {
      const resonance = Resonance.fromMemory(current, settings);
      const step = resonance.apply(value);
      next = { ...resonance.toMemory(), seen: spatial.seen };
      observation = {
        score: spatial.anomalous ? 1 : step.score, match: step.match, newCategory: step.novel, spatialAnomaly: spatial.anomalous, categories: resonance.categories, probation: false,
      };
    }
    const anomalous = observation.score >= settings.threshold;
    const side = value >= (next.seen ? (next.seen.min + next.seen.max) / 2 : value) ? ('high' as const) : ('low' as const);
    return {
      memory: next,
      observation,
      finding: {
        verdict: { firing: anomalous, violated: anomalous, clears: !anomalous, side: anomalous ? side : null },
        explanation: { kind: 'artime' as const, score: observation.score, threshold: settings.threshold, match: observation.match, spatialAnomaly: observation.spatialAnomaly, categories: observation.categories },
      },
    };
  },
  release: (settings) => ({ kind: 'artime', score: 0, threshold: settings.threshold, match: null, spatialAnomaly: false, categories: 0, reason: 'released' }),
  explain: (e) => `ARTime score ${e.score.toFixed(3)} ≥ ${e.threshold}${e.spatialAnomaly ? ' (outside the range seen)' : e.match === null ? '' : ` (best match ${e.match.toFixed(3)}, a new category)`}`,
  summary(settings, memory): FieldSummary {
    if (memory === undefined || memory.phase === 'probation') {
      const seen = memory?.values.length ?? 0;
      return { text: `threshold ${settings.threshold}; probation ${seen}/${settings.probationReadings} readings`, values: { phase: 'probation', readings: seen, categories: 0 } };
    }
    const categories = memory.network.lastUsed.length;
    return {
      text: `threshold ${settings.threshold}; range ${round3(memory.range.min)} … ${round3(memory.range.max)}, ${categories} categories, vigilance ${round3(memory.network.rhoLow)} … ${round3(memory.network.rhoHigh)}`,
      values: { phase: 'running', categories, rhoLow: round3(memory.network.rhoLow), rhoHigh: round3(memory.network.rhoHigh) },
    };
  },
  backtest: {
    columns: ['match', 'new_category', 'spatial_anomaly', 'categories', 'probation', 'event', 'skipped'],
    row(o: ArtimeObservation) {
      return { anomalyScore: o.score, extras: { match: o.match, new_category: o.newCategory, spatial_anomaly: o.spatialAnomaly, categories: o.categories, probation: o.probation } };
    },
  },
});
