import { MT19937 } from '../random/mt19937';
import { PERMANENCE_SCALE, type SpatialPoolerParams, toPermanenceUnits } from './params';
import type { SnapshotReader, SnapshotWriter } from './snapshot';

// Imported bindings compile to property reads through getters; hot loops use a local copy.
const MAX_PERMANENCE = PERMANENCE_SCALE;

/**
 * nupic's Spatial Pooler (`algorithms/spatial_pooler.py`) with global inhibition and a global
 * potential pool, as NAB configures it.
 *
 * Storage is flat: each column owns `poolSize` consecutive slots holding its potential input
 * indices (ascending) and their permanences as integer units of 1e-4. Overlaps come from an
 * inverted index, input → columns it is connected to, patched whenever a permanence crosses
 * the connected threshold, so a step touches only the active inputs' connections instead of
 * every synapse. The overlaps on the current input are kept as running counts and moved to
 * the next input by the bits that changed, which for a metric stream is a few of the 42.
 *
 * Differences from nupic, none observable in NAB (which always learns):
 * - the iteration counter (and so the duty-cycle period) advances only on learning steps,
 *   so `compute(…, learn = false)` leaves the pooler exactly as it was;
 * - the random generator is MT19937 (htm.core's), used only while initialising, so it is
 *   not part of the snapshot;
 * - initial permanences are drawn on the 1e-4 grid of the integer permanences (nupic
 *   truncates them to 1e-5); every later step is exact.
 */
export class SpatialPooler {
  readonly inputSize: number;
  readonly columnCount: number;
  /** Potential inputs per column: round(inputSize · potentialPct). */
  readonly poolSize: number;
  /** k: int(min(activeColumnCount / columns, 0.5) · columns), nupic's global-inhibition count. */
  readonly activeCount: number;

  private readonly pools: Uint16Array;
  private readonly permanences: Uint16Array;
  /** For each input, the columns connected to it (unordered; sums do not depend on order). */
  private readonly connectedColumns: Uint16Array;
  private readonly connectedColumnCount: Uint32Array;
  private readonly connectedPerColumn: Uint32Array;
  // nupic keeps duty cycles as float32; Math.fround after every operation reproduces that.
  private readonly overlapDutyCycles: Float32Array;
  private readonly activeDutyCycles: Float32Array;
  private readonly boostFactors: Float32Array;
  private minOverlapDutyCycle = 0;
  private iteration = 0;

  private readonly connectedUnits: number;
  private readonly incrementUnits: number;
  private readonly decrementUnits: number;
  private readonly belowStimulusUnits: number;
  private readonly trimUnitsTimesTwo: number;

  /**
   * The current input (the last one computed) as a mask and a list, and the connected-synapse
   * count of every column on it, kept exact as permanences cross the threshold. Derived
   * state: empty after initialisation and after restore.
   */
  private readonly inputMask: Uint8Array;
  private currentInputs: Uint32Array;
  private currentInputCount = 0;
  private readonly runningOverlaps: Int32Array;

  // Per-step scratch.
  /** This step's overlaps, fixed before learning changes any connection (nupic's order). */
  private readonly overlaps: Uint32Array;
  private readonly nextInputMask: Uint8Array;
  private nextInputs: Uint32Array;
  private readonly activeMask: Uint8Array;
  private readonly histogram: Uint32Array;
  private readonly boosted: Float64Array;

  private constructor(
    readonly params: SpatialPoolerParams,
    inputSize: number,
  ) {
    if (!Number.isInteger(inputSize) || inputSize < 1 || inputSize > 65536) throw new RangeError(`SP input size ${inputSize} out of range`);
    this.inputSize = inputSize;
    this.columnCount = params.columnCount;
    this.poolSize = pythonRound(inputSize * params.potentialPct);
    if (this.poolSize < 1) throw new RangeError('potentialPct leaves columns with no potential inputs');
    const density = Math.min(params.activeColumnCount / this.columnCount, 0.5);
    this.activeCount = Math.trunc(density * this.columnCount);
    this.pools = new Uint16Array(this.columnCount * this.poolSize);
    this.permanences = new Uint16Array(this.columnCount * this.poolSize);
    this.connectedColumns = new Uint16Array(inputSize * this.columnCount);
    this.connectedColumnCount = new Uint32Array(inputSize);
    this.connectedPerColumn = new Uint32Array(this.columnCount);
    this.overlapDutyCycles = new Float32Array(this.columnCount);
    this.activeDutyCycles = new Float32Array(this.columnCount);
    this.boostFactors = new Float32Array(this.columnCount).fill(1);
    this.connectedUnits = toPermanenceUnits(params.connectedPermanence);
    this.incrementUnits = toPermanenceUnits(params.activeIncrement);
    this.decrementUnits = toPermanenceUnits(params.inactiveDecrement);
    this.belowStimulusUnits = this.connectedUnits / 10;
    // A permanence is trimmed to zero when below activeIncrement / 2; compared doubled to stay integral.
    this.trimUnitsTimesTwo = this.incrementUnits;
    this.overlaps = new Uint32Array(this.columnCount);
    this.inputMask = new Uint8Array(inputSize);
    this.currentInputs = new Uint32Array(inputSize);
    this.runningOverlaps = new Int32Array(this.columnCount);
    this.nextInputMask = new Uint8Array(inputSize);
    this.nextInputs = new Uint32Array(inputSize);
    this.activeMask = new Uint8Array(this.columnCount);
    this.histogram = new Uint32Array(inputSize + 1);
    this.boosted = new Float64Array(this.columnCount);
  }

  /** A freshly initialised pooler: random potential pools, about half of each connected. */
  static create(params: SpatialPoolerParams, inputSize: number): SpatialPooler {
    const sp = new SpatialPooler(params, inputSize);
    const rng = new MT19937(params.seed);
    const allInputs = Array.from({ length: inputSize }, (_, input) => input);
    const connected = sp.connectedUnits;
    for (let column = 0; column < sp.columnCount; column++) {
      // A numeric typed-array sort: same order as a comparator sort, without a call per comparison.
      const pool = Uint16Array.from(rng.sample(allInputs, sp.poolSize)).sort();
      const base = column * sp.poolSize;
      for (let slot = 0; slot < sp.poolSize; slot++) {
        sp.pools[base + slot] = pool[slot]!;
        // nupic: connected with probability initConnectedPct, uniform in [connected, 1] if so,
        // else in [0, connected); then trimmed like any update.
        const permanence =
          rng.getReal64() <= params.initConnectedPct
            ? connected + Math.floor((MAX_PERMANENCE - connected) * rng.getReal64())
            : Math.floor(connected * rng.getReal64());
        sp.permanences[base + slot] = sp.trimmed(permanence);
      }
      sp.raiseToStimulusThreshold(column);
      for (let slot = 0; slot < sp.poolSize; slot++) {
        if (sp.permanences[base + slot]! >= connected) sp.connect(sp.pools[base + slot]!, column);
      }
    }
    return sp;
  }

  /** Learning iterations so far. */
  get iterations(): number {
    return this.iteration;
  }

  /**
   * One step: writes the active columns, ascending, into `out` and returns how many there
   * are (always `activeCount` unless stimulusThreshold drops some). `activeInputs` are input
   * bit indices in any order; duplicates count once.
   */
  compute(activeInputs: ArrayLike<number>, learn: boolean, out: Uint32Array): number {
    for (let k = 0; k < activeInputs.length; k++) {
      const input = activeInputs[k]!;
      if (!(input >= 0 && input < this.inputSize && Number.isInteger(input))) throw new RangeError(`SP input bit ${input} out of range`);
    }
    const inputCount = this.switchInput(activeInputs);
    this.overlaps.set(this.runningOverlaps);

    if (learn) this.iteration++;
    const activeCount =
      learn && this.params.boostStrength !== 0 ? this.inhibitBoosted(out) : this.inhibitByCount(inputCount, out);

    if (learn) {
      for (let k = 0; k < activeCount; k++) this.adaptColumn(out[k]!);
      this.updateDutyCycles(out, activeCount);
      this.bumpUpWeakColumns();
      this.updateBoostFactors();
      if (this.iteration % this.params.updatePeriod === 0) this.updateMinDutyCycle();
    }
    return activeCount;
  }

  /**
   * Makes `activeInputs` the current input and brings the running overlaps up to date, by
   * the difference from the previous input when that is smaller (successive readings of a
   * metric share most bits) and from scratch otherwise. Returns the distinct input count.
   */
  private switchInput(activeInputs: ArrayLike<number>): number {
    const inputMask = this.inputMask;
    const nextMask = this.nextInputMask;
    const next = this.nextInputs;
    let nextCount = 0;
    for (let k = 0; k < activeInputs.length; k++) {
      const input = activeInputs[k]!;
      if (nextMask[input] === 1) continue;
      nextMask[input] = 1;
      next[nextCount++] = input;
    }
    const current = this.currentInputs;
    const currentCount = this.currentInputCount;
    let changes = 0;
    for (let k = 0; k < currentCount; k++) changes += 1 - nextMask[current[k]!]!;
    for (let k = 0; k < nextCount; k++) changes += 1 - inputMask[next[k]!]!;

    const running = this.runningOverlaps;
    if (changes < nextCount) {
      for (let k = 0; k < currentCount; k++) if (nextMask[current[k]!] === 0) this.addInputToOverlaps(current[k]!, -1);
      for (let k = 0; k < nextCount; k++) if (inputMask[next[k]!] === 0) this.addInputToOverlaps(next[k]!, 1);
    } else {
      running.fill(0);
      for (let k = 0; k < nextCount; k++) this.addInputToOverlaps(next[k]!, 1);
    }
    for (let k = 0; k < currentCount; k++) inputMask[current[k]!] = 0;
    for (let k = 0; k < nextCount; k++) {
      inputMask[next[k]!] = 1;
      nextMask[next[k]!] = 0;
    }
    this.nextInputs = current;
    this.currentInputs = next;
    this.currentInputCount = nextCount;
    return nextCount;
  }

  private addInputToOverlaps(input: number, delta: number): void {
    const running = this.runningOverlaps;
    const connectedColumns = this.connectedColumns;
    const start = input * this.columnCount;
    const end = start + this.connectedColumnCount[input]!;
    for (let at = start; at < end; at++) running[connectedColumns[at]!]! += delta;
  }

  /** The last step's overlap (connected synapses on active inputs) of a column. */
  overlapOf(column: number): number {
    return this.overlaps[column]!;
  }

  /** A column's potential inputs (ascending) and their permanences, for tests and inspection. */
  column(column: number): { potential: number[]; permanences: number[]; connected: number } {
    const base = column * this.poolSize;
    return {
      potential: Array.from(this.pools.subarray(base, base + this.poolSize)),
      permanences: Array.from(this.permanences.subarray(base, base + this.poolSize), (units) => units / MAX_PERMANENCE),
      connected: this.connectedPerColumn[column]!,
    };
  }

  dutyCycles(): { overlap: Float32Array; active: Float32Array; minOverlap: number } {
    return { overlap: this.overlapDutyCycles.slice(), active: this.activeDutyCycles.slice(), minOverlap: this.minOverlapDutyCycle };
  }

  /**
   * Potential pools as one bitmap per column (they are sets, kept ascending), permanences,
   * duty cycles and the counters. The inverted index, per-column counts and boost factors
   * are derived and rebuilt on read; the generator is spent at initialisation.
   */
  write(out: SnapshotWriter): void {
    out.u32(this.inputSize);
    out.u32(this.iteration);
    out.f64(this.minOverlapDutyCycle);
    const bytesPerColumn = Math.ceil(this.inputSize / 8);
    const bitmap = new Uint8Array(bytesPerColumn * this.columnCount);
    for (let column = 0; column < this.columnCount; column++) {
      const base = column * this.poolSize;
      for (let slot = 0; slot < this.poolSize; slot++) {
        const input = this.pools[base + slot]!;
        bitmap[column * bytesPerColumn + (input >> 3)]! |= 1 << (input & 7);
      }
    }
    out.raw(bitmap);
    out.u16Array(this.permanences);
    out.f32Array(this.overlapDutyCycles);
    out.f32Array(this.activeDutyCycles);
  }

  static read(input: SnapshotReader, params: SpatialPoolerParams): SpatialPooler {
    const inputSize = input.u32();
    const sp = new SpatialPooler(params, inputSize);
    sp.iteration = input.u32();
    sp.minOverlapDutyCycle = input.f64();
    const bytesPerColumn = Math.ceil(inputSize / 8);
    const bitmap = input.raw(bytesPerColumn * sp.columnCount);
    for (let column = 0; column < sp.columnCount; column++) {
      let slot = column * sp.poolSize;
      const end = slot + sp.poolSize;
      for (let bit = 0; bit < inputSize; bit++) {
        if ((bitmap[column * bytesPerColumn + (bit >> 3)]! & (1 << (bit & 7))) === 0) continue;
        if (slot === end) throw new Error('snapshot: SP potential pool too large');
        sp.pools[slot++] = bit;
      }
      if (slot !== end) throw new Error('snapshot: SP potential pool too small');
    }
    sp.permanences.set(input.u16Array(sp.permanences.length));
    sp.overlapDutyCycles.set(input.f32Array(sp.columnCount));
    sp.activeDutyCycles.set(input.f32Array(sp.columnCount));
    for (let column = 0; column < sp.columnCount; column++) {
      const base = column * sp.poolSize;
      for (let slot = 0; slot < sp.poolSize; slot++) {
        const permanence = sp.permanences[base + slot]!;
        if (permanence > MAX_PERMANENCE) throw new Error('snapshot: SP permanence out of range');
        if (permanence >= sp.connectedUnits) sp.connect(sp.pools[base + slot]!, column);
      }
    }
    sp.updateBoostFactors();
    return sp;
  }

  /**
   * Global inhibition on whole-number overlaps: the k largest, ties to the higher column
   * index (nupic takes the tail of a stable ascending argsort), by counting sort.
   */
  private inhibitByCount(maxOverlap: number, out: Uint32Array): number {
    const overlaps = this.overlaps;
    const histogram = this.histogram;
    histogram.fill(0, 0, maxOverlap + 1);
    for (let column = 0; column < this.columnCount; column++) histogram[overlaps[column]!]!++;
    let threshold = maxOverlap;
    let atOrAbove = histogram[threshold]!;
    while (atOrAbove < this.activeCount && threshold > 0) atOrAbove += histogram[--threshold]!;
    let tiedToTake = this.activeCount - (atOrAbove - histogram[threshold]!);
    const activeMask = this.activeMask;
    for (let column = this.columnCount - 1; column >= 0; column--) {
      const overlap = overlaps[column]!;
      if (overlap > threshold) activeMask[column] = 1;
      else if (overlap === threshold && tiedToTake > 0) {
        activeMask[column] = 1;
        tiedToTake--;
      }
    }
    return this.collectActive(out, (column) => overlaps[column]!);
  }

  /** The same selection on boosted (real) overlaps, by sorting; only used when boostStrength > 0. */
  private inhibitBoosted(out: Uint32Array): number {
    const boosted = this.boosted;
    for (let column = 0; column < this.columnCount; column++) {
      boosted[column] = Math.fround(this.boostFactors[column]! * this.overlaps[column]!);
    }
    const order = Array.from({ length: this.columnCount }, (_, column) => column);
    order.sort((a, b) => boosted[b]! - boosted[a]! || b - a);
    for (let k = 0; k < this.activeCount; k++) this.activeMask[order[k]!] = 1;
    return this.collectActive(out, (column) => boosted[column]!);
  }

  /** Ascending active columns from the mask, dropping those under the stimulus threshold; clears the mask. */
  private collectActive(out: Uint32Array, score: (column: number) => number): number {
    let count = 0;
    const activeMask = this.activeMask;
    const threshold = this.params.stimulusThreshold;
    for (let column = 0; column < this.columnCount; column++) {
      if (activeMask[column] === 0) continue;
      activeMask[column] = 0;
      if (score(column) >= threshold) out[count++] = column;
    }
    return count;
  }

  /** Hebbian step on a winning column: +inc where the input is on, −dec where it is off. */
  private adaptColumn(column: number): void {
    // The hottest loop of the pooler (activeCount × poolSize updates a step), so the
    // trim/clip and the connected-threshold test are spelled out here.
    const inputMask = this.inputMask;
    const pools = this.pools;
    const permanences = this.permanences;
    const decrement = this.decrementUnits;
    const swing = this.incrementUnits + decrement;
    const trimTimesTwo = this.trimUnitsTimesTwo;
    const connected = this.connectedUnits;
    const end = (column + 1) * this.poolSize;
    for (let index = column * this.poolSize; index < end; index++) {
      const old = permanences[index]!;
      // Branch-free where it can be: whether the input bit is on is unpredictable.
      const moved = Math.min(MAX_PERMANENCE, old - decrement + swing * inputMask[pools[index]!]!);
      const permanence = moved * 2 < trimTimesTwo ? 0 : moved;
      permanences[index] = permanence;
      // The signs differ exactly when the permanence crossed the connected threshold.
      if (((old - connected) ^ (permanence - connected)) < 0) {
        if (permanence >= connected) this.connect(pools[index]!, column);
        else this.disconnect(pools[index]!, column);
      }
    }
    this.raiseToStimulusThreshold(column);
  }

  private updateDutyCycles(active: Uint32Array, activeCount: number): void {
    const period = Math.min(this.params.dutyCyclePeriod, this.iteration);
    const keep = period - 1;
    const activeMask = this.activeMask;
    for (let k = 0; k < activeCount; k++) activeMask[active[k]!] = 1;
    const overlapDutyCycles = this.overlapDutyCycles;
    const activeDutyCycles = this.activeDutyCycles;
    for (let column = 0; column < this.columnCount; column++) {
      const overlapped = this.overlaps[column]! > 0 ? 1 : 0;
      overlapDutyCycles[column] = Math.fround(Math.fround(Math.fround(overlapDutyCycles[column]! * keep) + overlapped) / period);
      activeDutyCycles[column] = Math.fround(Math.fround(Math.fround(activeDutyCycles[column]! * keep) + activeMask[column]!) / period);
    }
    for (let k = 0; k < activeCount; k++) activeMask[active[k]!] = 0;
  }

  /** Columns that rarely overlap anything get every potential permanence raised. */
  private bumpUpWeakColumns(): void {
    const minimum = this.minOverlapDutyCycle;
    for (let column = 0; column < this.columnCount; column++) {
      if (!(this.overlapDutyCycles[column]! < minimum)) continue;
      const base = column * this.poolSize;
      for (let slot = 0; slot < this.poolSize; slot++) {
        const index = base + slot;
        this.setPermanence(column, index, this.clipped(this.permanences[index]! + this.belowStimulusUnits));
      }
    }
  }

  private updateBoostFactors(): void {
    const strength = this.params.boostStrength;
    if (strength === 0) return; // exp(0) = 1 for every column, as initialised
    const targetDensity = this.params.activeColumnCount / this.columnCount;
    for (let column = 0; column < this.columnCount; column++) {
      this.boostFactors[column] = Math.exp((targetDensity - this.activeDutyCycles[column]!) * strength);
    }
  }

  private updateMinDutyCycle(): void {
    let max = 0;
    for (let column = 0; column < this.columnCount; column++) max = Math.max(max, this.overlapDutyCycles[column]!);
    this.minOverlapDutyCycle = Math.fround(this.params.minPctOverlapDutyCycle * max);
  }

  /**
   * nupic raises every potential permanence of a column with fewer than stimulusThreshold
   * connected synapses until it has enough (a no-op with NAB's threshold of 0).
   */
  private raiseToStimulusThreshold(column: number): void {
    const threshold = this.params.stimulusThreshold;
    if (threshold === 0) return;
    if (this.poolSize < threshold) throw new RangeError('stimulusThreshold exceeds the potential pool size');
    const base = column * this.poolSize;
    while (this.connectedPerColumn[column]! < threshold) {
      for (let slot = 0; slot < this.poolSize; slot++) {
        const index = base + slot;
        this.setPermanence(column, index, Math.min(this.permanences[index]! + this.belowStimulusUnits, MAX_PERMANENCE));
      }
    }
  }

  /** Trim below activeIncrement / 2 to zero, then clip to [0, 1] (nupic's order). */
  private clipped(units: number): number {
    return Math.min(this.trimmed(units), MAX_PERMANENCE);
  }

  private trimmed(units: number): number {
    return units * 2 < this.trimUnitsTimesTwo ? 0 : units;
  }

  private setPermanence(column: number, index: number, units: number): void {
    const old = this.permanences[index]!;
    this.permanences[index] = units;
    const wasConnected = old >= this.connectedUnits;
    const isConnected = units >= this.connectedUnits;
    if (wasConnected === isConnected) return;
    if (isConnected) this.connect(this.pools[index]!, column);
    else this.disconnect(this.pools[index]!, column);
  }

  private connect(input: number, column: number): void {
    this.connectedColumns[input * this.columnCount + this.connectedColumnCount[input]!] = column;
    this.connectedColumnCount[input]!++;
    this.connectedPerColumn[column]!++;
    this.runningOverlaps[column]! += this.inputMask[input]!;
  }

  private disconnect(input: number, column: number): void {
    const start = input * this.columnCount;
    const last = start + this.connectedColumnCount[input]! - 1;
    for (let at = start; at <= last; at++) {
      if (this.connectedColumns[at] !== column) continue;
      this.connectedColumns[at] = this.connectedColumns[last]!;
      this.connectedColumnCount[input]!--;
      this.connectedPerColumn[column]!--;
      this.runningOverlaps[column]! -= this.inputMask[input]!;
      return;
    }
    throw new Error(`SP inverted index lost column ${column} of input ${input}`);
  }
}

/** Python 2's round() for non-negative values: halves go up. */
function pythonRound(x: number): number {
  return Math.floor(x + 0.5);
}
