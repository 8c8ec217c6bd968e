import { BacktrackingTemporalMemory } from './backtracking-tm';
import { TimeOfDayEncoder } from './date-encoder';
import { AnomalyLikelihood, logLikelihood } from './likelihood';
import { type HtmParams, type HtmParamsInput, htmParamsSchema, resolveHtmParams } from './params';
import { CellValuePredictor } from './predictor';
import { RandomDistributedScalarEncoder, resolutionForRange } from './rdse';
import { SnapshotReader, SnapshotWriter } from './snapshot';
import { SpatialAnomaly } from './spatial-anomaly';
import { SpatialPooler } from './spatial-pooler';
import { TemporalMemory } from './temporal-memory';

export interface HtmComputeOptions {
  /**
   * Whether this reading teaches the model (SP, TM, value predictor, spatial range). The
   * likelihood always ingests the raw score: its moving average must see every record.
   * Default true, as NAB.
   */
  learn?: boolean;
}

export interface HtmResult {
  /** Share of active columns that were not predicted, 0..1; null while the range is being learnt. */
  rawScore: number | null;
  /** Anomaly likelihood, 0..1 (0.5 during the likelihood's probation and while the range is learnt). */
  likelihood: number;
  /** ln(1.0000000001 − likelihood) / ln(1e-10): NAB's log score, 0..1. */
  logLikelihood: number;
  /** NAB's spatial anomaly: the value left the seen range by more than the tolerance. */
  spatialAnomaly: boolean;
  /** NAB's final score: max(spatial ? 1 : 0, logLikelihood). */
  score: number;
  /** What the previous step predicted for this reading; null if nothing was predicted. */
  prediction: number | null;
  /** The prediction for the next reading; null if nothing is predicted. */
  predictionNext: number | null;
  /** value − prediction; null without a prediction or for a missing (NaN) value. */
  error: number | null;
  /** True while readings are buffered to learn the value range (see HtmModel). */
  learningRange: boolean;
}

/** How the encoder's value range was set. */
export interface HtmValueRange {
  source: 'configured' | 'learnt';
  /** The metric range before NAB's padding. */
  min: number;
  max: number;
  /** The RDSE resolution derived from it. */
  resolution: number;
}

interface PendingReading {
  timestamp: number;
  value: number;
  learn: boolean;
}

const MAGIC = [0x56, 0x48, 0x54, 0x4d]; // "VHTM"
/**
 * 2: the parameters say which temporal memory follows (`temporalMemory`). 1 (before the
 * backtracking TM) always held the plain one; such snapshots still restore, as the plain TM.
 */
const FORMAT_VERSION = 2;
const OLDEST_READABLE_VERSION = 1;

type AnyTemporalMemory = TemporalMemory | BacktrackingTemporalMemory;

/**
 * One metric's HTM anomaly detector, NAB's Numenta pipeline: timeOfDay + RDSE encoders,
 * Spatial Pooler, a temporal memory, anomaly likelihood and NAB's spatial-anomaly override. The
 * temporal memory is NuPIC's backtracking TM (`temporalMemory: 'backtracking'`, NAB's `numenta`
 * detector) or the plain Temporal Memory (`'plain'`, NAB's `numentaTM`).
 * Pure and deterministic: the same readings give the same results and the same snapshot
 * bytes on every platform, and `restore(snapshot())` continues exactly where it stopped.
 *
 * **Value range.** The RDSE resolution needs the metric's range, which NAB takes from the
 * whole file in advance. Here:
 * - If `valueMin`/`valueMax` are configured, they are used as NAB uses the file's min and
 *   max: padded by 0.2 × (max − min) on each side (a zero range widens to 1), then
 *   resolution = max(0.001, padded range / 130).
 * - Otherwise the first `rangeLearningReadings` readings (default 288: one day at NAB's
 *   usual 5-minute cadence, so a daily cycle is seen whole) are buffered. Each gets a
 *   "learning" result: rawScore null, likelihood 0.5, no spatial anomaly, no prediction.
 *   The reading that fills the buffer fixes the range from the buffered finite values (all
 *   missing: [0, 0]), builds the encoder with the same padding rule, and replays every
 *   buffered reading through the model in order, with its own learn flag, so no reading
 *   is lost; that call returns the model's real result for that last reading. The range
 *   is then fixed for the model's life (changing the resolution would scramble what the
 *   model learnt); values beyond it still encode, in the outermost buckets eventually.
 *   With the default likelihood probation (L + E = 388 ≥ 288) the buffered readings would
 *   have scored 0.5 anyway, so after the replay the model's state and all later outputs
 *   are those of a model that knew the range from the start.
 *
 * **Prediction.** See CellValuePredictor: the mean remembered value of the cells the TM
 * predicts will fire next. `prediction` is last step's `predictionNext`.
 *
 * **Missing values.** NaN encodes as no value bits (the time of day still does), is never a
 * spatial anomaly and does not teach the predictor. ±Infinity is rejected.
 *
 * **Snapshots.** `snapshot()` writes "VHTM", a format version, the parameters (JSON) and
 * every component's state: the reading counter, the range-learning buffer, the RDSE bucket
 * table and generator, the SP's pools, permanences and duty cycles, the TM's state (see each
 * TM's `write`: generator, cells, segments and synapses in their list order), the
 * likelihood's history, window, running total and recent tails, the spatial min/max and
 * the predictor's cell values. Derived state (inverted indexes, activity counts, active and
 * matching segments, boost factors) is rebuilt on restore. Segment and synapse ids and their
 * free lists are not written: no result depends on them (segments are ordered by cell and
 * creation), so the snapshot is canonical and a restored model, whose ids differ, still
 * writes the same bytes as the original after the same readings.
 */
export class HtmModel {
  private readingCount = 0;
  private pending: PendingReading[] = [];
  private lastPrediction: number | null = null;
  private readonly inputBits: Uint32Array;
  private readonly activeColumns: Uint32Array;
  private readonly predictiveCells: number[] = [];

  private constructor(
    readonly params: HtmParams,
    private readonly timeOfDay: TimeOfDayEncoder,
    private encoder: RandomDistributedScalarEncoder | null,
    private range: HtmValueRange | null,
    private readonly spatialPooler: SpatialPooler,
    private readonly temporalMemory: AnyTemporalMemory,
    private readonly anomalyLikelihood: AnomalyLikelihood,
    private readonly spatial: SpatialAnomaly,
    private readonly predictor: CellValuePredictor,
  ) {
    this.inputBits = new Uint32Array(timeOfDay.activeBits + params.rdse.activeBits);
    this.activeColumns = new Uint32Array(params.sp.columnCount);
  }

  static create(input: HtmParamsInput = {}): HtmModel {
    const params = resolveHtmParams(input);
    const timeOfDay = new TimeOfDayEncoder(params.timeOfDay);
    let encoder: RandomDistributedScalarEncoder | null = null;
    let range: HtmValueRange | null = null;
    if (params.valueMin !== undefined && params.valueMax !== undefined) {
      const resolution = resolutionForRange(params.rdse, params.valueMin, params.valueMax);
      encoder = RandomDistributedScalarEncoder.create(params.rdse, resolution);
      range = { source: 'configured', min: params.valueMin, max: params.valueMax, resolution };
    }
    const spatialPooler = SpatialPooler.create(params.sp, timeOfDay.size + params.rdse.size);
    const temporalMemory =
      params.temporalMemory === 'backtracking'
        ? BacktrackingTemporalMemory.create(params.backtrackingTm, params.sp.columnCount)
        : TemporalMemory.create(params.tm, params.sp.columnCount);
    return new HtmModel(
      params,
      timeOfDay,
      encoder,
      range,
      spatialPooler,
      temporalMemory,
      new AnomalyLikelihood(params.likelihood),
      new SpatialAnomaly(params.spatialTolerance),
      new CellValuePredictor(temporalMemory.cellCount, params.predictorWindow),
    );
  }

  /** Readings accepted so far, buffered ones included: a version number for snapshots. */
  get readingsApplied(): number {
    return this.readingCount;
  }

  /** The encoder's range, or null while it is being learnt. */
  get valueRange(): HtmValueRange | null {
    return this.range;
  }

  /** The Temporal Memory's size, for monitoring growth: segments, synapses and the bytes their arrays take. */
  get stats(): { segments: number; synapses: number; connectionBytes: number } {
    const connections = this.temporalMemory.connections;
    return { segments: connections.segmentCount, synapses: connections.synapseCount, connectionBytes: connections.approximateBytes };
  }

  /**
   * Scores one reading. `timestamp` is epoch milliseconds whose UTC wall-clock time is the
   * reading's local time of day; `value` is the metric (NaN = missing).
   */
  compute(timestamp: number, value: number, options: HtmComputeOptions = {}): HtmResult {
    if (!Number.isFinite(timestamp)) throw new RangeError(`timestamp must be finite epoch milliseconds, got ${timestamp}`);
    if (typeof value !== 'number' || value === Infinity || value === -Infinity) throw new RangeError(`value must be a finite number or NaN, got ${value}`);
    const learn = options.learn ?? true;
    this.readingCount++;
    if (this.encoder !== null) return this.step(timestamp, value, learn);

    this.pending.push({ timestamp, value, learn });
    if (this.pending.length < this.params.rangeLearningReadings) return this.learningResult();
    const { min, max } = finiteRange(this.pending);
    const resolution = resolutionForRange(this.params.rdse, min, max);
    this.encoder = RandomDistributedScalarEncoder.create(this.params.rdse, resolution);
    this.range = { source: 'learnt', min, max, resolution };
    const buffered = this.pending;
    this.pending = [];
    let result = this.learningResult();
    for (const reading of buffered) result = this.step(reading.timestamp, reading.value, reading.learn);
    return result;
  }

  /** The whole model as versioned bytes; `HtmModel.restore` continues exactly from here. */
  snapshot(): Uint8Array {
    const out = new SnapshotWriter(1 << 20);
    for (const byte of MAGIC) out.u8(byte);
    out.u16(FORMAT_VERSION);
    out.ascii(JSON.stringify(this.params));
    out.f64(this.readingCount);
    out.bool(this.encoder !== null);
    if (this.encoder !== null && this.range !== null) {
      out.bool(this.range.source === 'learnt');
      out.f64(this.range.min);
      out.f64(this.range.max);
      this.encoder.write(out);
    }
    out.u32(this.pending.length);
    for (const reading of this.pending) {
      out.f64(reading.timestamp);
      out.f64(reading.value);
      out.bool(reading.learn);
    }
    out.nullableF64(this.lastPrediction);
    this.spatial.write(out);
    this.spatialPooler.write(out);
    this.temporalMemory.write(out);
    this.anomalyLikelihood.write(out);
    this.predictor.write(out);
    return out.finish();
  }

  static restore(bytes: Uint8Array): HtmModel {
    const input = new SnapshotReader(bytes);
    for (const byte of MAGIC) if (input.u8() !== byte) throw new Error('snapshot: not an HTM model snapshot');
    const version = input.u16();
    if (version < OLDEST_READABLE_VERSION || version > FORMAT_VERSION) {
      throw new Error(`snapshot: format version ${version} is not supported (this build reads ${OLDEST_READABLE_VERSION} to ${FORMAT_VERSION})`);
    }
    const parsed = JSON.parse(input.ascii()) as Record<string, unknown>;
    const params = htmParamsSchema.parse(version === 1 ? { ...parsed, temporalMemory: 'plain' } : parsed);
    const readingCount = input.f64();
    let encoder: RandomDistributedScalarEncoder | null = null;
    let range: HtmValueRange | null = null;
    if (input.bool()) {
      const source = input.bool() ? 'learnt' : 'configured';
      const min = input.f64();
      const max = input.f64();
      encoder = RandomDistributedScalarEncoder.read(input, params.rdse);
      range = { source, min, max, resolution: encoder.resolution };
    }
    const pending: PendingReading[] = [];
    const pendingCount = input.u32();
    for (let k = 0; k < pendingCount; k++) pending.push({ timestamp: input.f64(), value: input.f64(), learn: input.bool() });
    const lastPrediction = input.nullableF64();
    const spatial = SpatialAnomaly.read(input, params.spatialTolerance);
    const spatialPooler = SpatialPooler.read(input, params.sp);
    const temporalMemory =
      params.temporalMemory === 'backtracking' ? BacktrackingTemporalMemory.read(input, params.backtrackingTm) : TemporalMemory.read(input, params.tm);
    const anomalyLikelihood = AnomalyLikelihood.read(input, params.likelihood);
    const predictor = CellValuePredictor.read(input, temporalMemory.cellCount, params.predictorWindow);
    input.expectEnd();
    const timeOfDay = new TimeOfDayEncoder(params.timeOfDay);
    if (spatialPooler.inputSize !== timeOfDay.size + params.rdse.size) throw new Error('snapshot: SP input size does not match the encoders');
    const model = new HtmModel(params, timeOfDay, encoder, range, spatialPooler, temporalMemory, anomalyLikelihood, spatial, predictor);
    model.readingCount = readingCount;
    model.pending = pending;
    model.lastPrediction = lastPrediction;
    return model;
  }

  private step(timestamp: number, value: number, learn: boolean): HtmResult {
    const encoder = this.encoder;
    if (encoder === null) throw new Error('unreachable: step before the encoder exists');
    const spatialAnomaly = this.spatial.check(value, learn);

    let bitCount = this.timeOfDay.encodeInto(timestamp, this.inputBits, 0);
    const valueBits = encoder.encode(value);
    const valueBase = this.timeOfDay.size; // fields sorted by name: timestamp_timeOfDay, then value
    for (let k = 0; k < valueBits.length; k++) this.inputBits[bitCount++] = valueBase + valueBits[k]!;

    const columnCount = this.spatialPooler.compute(this.inputBits.subarray(0, bitCount), learn, this.activeColumns);
    const rawScore = this.temporalMemory.compute(this.activeColumns.subarray(0, columnCount), learn);

    const prediction = this.lastPrediction;
    if (learn) this.predictor.learn(this.temporalMemory.winnerCellsView(), value);
    const predictiveCells = this.predictiveCells;
    predictiveCells.length = 0;
    this.temporalMemory.forEachPredictiveCell((cell) => predictiveCells.push(cell));
    const predictionNext = this.predictor.predict(predictiveCells);
    this.lastPrediction = predictionNext;

    const likelihood = this.anomalyLikelihood.compute(value, rawScore);
    const logScore = logLikelihood(likelihood);
    return {
      rawScore,
      likelihood,
      logLikelihood: logScore,
      spatialAnomaly,
      score: Math.max(spatialAnomaly ? 1 : 0, logScore),
      prediction,
      predictionNext,
      error: prediction !== null && !Number.isNaN(value) ? value - prediction : null,
      learningRange: false,
    };
  }

  private learningResult(): HtmResult {
    const logScore = logLikelihood(0.5);
    return {
      rawScore: null,
      likelihood: 0.5,
      logLikelihood: logScore,
      spatialAnomaly: false,
      score: logScore,
      prediction: null,
      predictionNext: null,
      error: null,
      learningRange: true,
    };
  }
}

/** Min and max of the finite values; [0, 0] when there are none. */
function finiteRange(readings: readonly PendingReading[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const { value } of readings) {
    if (Number.isNaN(value)) continue;
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}
