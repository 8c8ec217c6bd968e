import { z } from 'zod';

/**
 * Parameters of the HTM anomaly model. Defaults are NAB's Numenta detectors (nupic's
 * `anomaly_params_random_encoder` files: `best_single_metric_anomaly_params_cpp` for the
 * backtracking TM of `numenta`, `…_tm_cpp` plus the shim defaults for the plain TM of
 * `numentaTM`), see docs in each field. Names follow nupic where a reader would look them up
 * there; the nupic name is given when ours differs.
 */

/**
 * Permanences are whole numbers of 1e-4 (0..10000). Every NAB constant is exactly such a
 * number, so integer arithmetic reproduces the intended values with no float drift and no
 * platform dependence.
 */
export const PERMANENCE_SCALE = 10_000;

function isWholePermanence(value: number): boolean {
  const scaled = value * PERMANENCE_SCALE;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
}

/** A permanence (or permanence step) in [0, 1] as integer units of 1e-4; throws if it is not whole. */
export function toPermanenceUnits(value: number): number {
  if (!(value >= 0 && value <= 1) || !isWholePermanence(value)) {
    throw new RangeError(`permanence ${value} must be a multiple of 0.0001 in [0, 1]`);
  }
  return Math.round(value * PERMANENCE_SCALE);
}

const permanence = z
  .number()
  .min(0)
  .max(1)
  .refine(isWholePermanence, 'permanences must be multiples of 0.0001');
const seed = z.number().int().min(0).max(0xffffffff);

export const rdseParamsSchema = z
  .object({
    /** n: total bits. */
    size: z.number().int().min(2).max(65535).default(400),
    /** w: active bits per value. */
    activeBits: z.number().int().min(1).default(21),
    seed: seed.default(42),
    /** nupic's maxBuckets; the first value maps to the middle one. */
    bucketCount: z.number().int().min(2).max(65535).default(1000),
    /** The most buckets two unrelated (≥ w apart) representations may share (nupic maxOverlap). */
    maxOverlap: z.number().int().min(0).default(2),
    /** resolution = max(minResolution, (max − min) / rangeBuckets), as NAB. */
    minResolution: z.number().positive().default(0.001),
    rangeBuckets: z.number().positive().default(130),
    /** NAB widens the input range by this fraction of it on each side. */
    rangePadding: z.number().min(0).default(0.2),
  })
  .refine((p) => p.activeBits < p.size, 'activeBits must be below size');

export const timeOfDayParamsSchema = z.object({
  /** w of nupic's periodic scalar encoder; odd so the bucket has a centre bit. */
  activeBits: z
    .number()
    .int()
    .min(1)
    .refine((w) => w % 2 === 1, 'activeBits must be odd')
    .default(21),
  /** Hours over which two times still share bits. */
  radiusHours: z.number().positive().max(24).default(9.49),
});

export const spatialPoolerParamsSchema = z
  .object({
    columnCount: z.number().int().min(1).max(65536).default(2048),
    /** Fraction of the input each column samples (global pool: potentialRadius = input size). */
    potentialPct: z.number().gt(0).max(1).default(0.8),
    /** numActiveColumnsPerInhArea, with global inhibition. */
    activeColumnCount: z.number().int().min(1).default(40),
    stimulusThreshold: z.number().int().min(0).default(0),
    /** synPermConnected; a multiple of 0.001 so that belowStimulusInc (= connected/10) is whole. */
    connectedPermanence: permanence
      .refine((p) => Math.abs(p * 1000 - Math.round(p * 1000)) < 1e-9, 'must be a multiple of 0.001')
      .default(0.2),
    /** synPermActiveInc; the trim threshold is half of it. */
    activeIncrement: permanence.default(0.003),
    /** synPermInactiveDec. */
    inactiveDecrement: permanence.default(0.0005),
    /** Probability a potential synapse starts connected (nupic initConnectedPct). */
    initConnectedPct: z.number().min(0).max(1).default(0.5),
    boostStrength: z.number().min(0).default(0),
    minPctOverlapDutyCycle: z.number().min(0).max(1).default(0.001),
    dutyCyclePeriod: z.number().int().min(1).default(1000),
    /** Iterations between refreshes of the minimum duty cycle. */
    updatePeriod: z.number().int().min(1).default(50),
    seed: seed.default(1956),
  })
  .refine((p) => p.activeColumnCount <= p.columnCount, 'activeColumnCount must not exceed columnCount');

export const temporalMemoryParamsSchema = z
  .object({
    cellsPerColumn: z.number().int().min(1).max(65536).default(32),
    activationThreshold: z.number().int().min(1).default(20),
    minThreshold: z.number().int().min(1).default(13),
    /** maxNewSynapseCount. */
    maxNewSynapseCount: z.number().int().min(1).default(31),
    initialPermanence: permanence.default(0.24),
    /** NAB's shim uses 0.5 here, not the SP's 0.2. */
    connectedPermanence: permanence.default(0.5),
    permanenceIncrement: permanence.default(0.04),
    permanenceDecrement: permanence.default(0.008),
    predictedSegmentDecrement: permanence.default(0.001),
    maxSegmentsPerCell: z.number().int().min(1).max(65535).default(128),
    maxSynapsesPerSegment: z.number().int().min(1).max(65535).default(128),
    seed: seed.default(1960),
  })
  .refine((p) => p.minThreshold <= p.activationThreshold, 'minThreshold must not exceed activationThreshold');

/**
 * NuPIC's backtracking temporal memory (BacktrackingTM / its C++ twin Cells4, `temporalImp:
 * 'cpp'`), which NAB's `numenta` detector runs. Defaults: `best_single_metric_anomaly_params_cpp.json`
 * (getScalarMetricWithTimeOfDayAnomalyParams with tmImplementation 'cpp') for what it sets, the
 * BacktrackingTMCPP constructor's defaults for the rest (connectedPerm, permanenceMax,
 * maxInfBacktrack, maxLrnBacktrack, maxSeqLength). globalDecay and maxAge are 0 there, as
 * fixed-size mode (maxSegmentsPerCell, maxSynapsesPerSegment) requires, so they are not settings.
 */
export const backtrackingTmParamsSchema = z
  .object({
    cellsPerColumn: z.number().int().min(1).max(65536).default(32),
    /** A segment predicts its cell when this many connected synapses are active. */
    activationThreshold: z.number().int().min(1).default(13),
    /** Learning reuses a segment with at least this many active synapses (any permanence). */
    minThreshold: z.number().int().min(1).default(10),
    /** Active synapses a learning segment is brought up to. */
    newSynapseCount: z.number().int().min(1).default(20),
    /** nupic initialPerm. */
    initialPermanence: permanence.default(0.21),
    /** nupic connectedPerm. */
    connectedPermanence: permanence.default(0.5),
    /** nupic permanenceInc. */
    permanenceIncrement: permanence.default(0.1),
    /** nupic permanenceDec. */
    permanenceDecrement: permanence.default(0.1),
    /** nupic permanenceMax. */
    permanenceMax: permanence.default(1),
    maxSegmentsPerCell: z.number().int().min(1).max(65535).default(128),
    maxSynapsesPerSegment: z.number().int().min(1).max(65535).default(32),
    /** Steps out of sequence before learning starts over on start cells ("pay attention mode"). */
    pamLength: z.number().int().min(1).default(3),
    /** Past inputs inference may replay from start cells after a miss; 0 turns inference backtracking off. */
    maxInfBacktrack: z.number().int().min(0).max(1000).default(10),
    /** Past inputs learning may replay when it starts over; 0 turns learning backtracking off. */
    maxLrnBacktrack: z.number().int().min(0).max(1000).default(5),
    /** Learning starts over after this many steps in one sequence; 0 = no limit. */
    maxSeqLength: z.number().int().min(0).default(32),
    /**
     * Which columns the raw anomaly counts as predicted: NuPIC's anomaly (TMRegion's
     * prevPredictedColumns, the non-zero column confidences) counts a column with a segment whose
     * active synapses of any permanence reach activationThreshold ('confidence'); 'predicted'
     * counts only columns with a predicted cell (active connected synapses).
     */
    rawAnomalyColumns: z.enum(['confidence', 'predicted']).default('confidence'),
    seed: seed.default(1960),
  })
  .refine((p) => p.minThreshold <= p.activationThreshold, 'minThreshold must not exceed activationThreshold')
  .refine((p) => p.newSynapseCount <= p.maxSynapsesPerSegment, 'newSynapseCount must not exceed maxSynapsesPerSegment')
  .refine((p) => p.initialPermanence > 0 && p.initialPermanence <= p.permanenceMax, 'initialPermanence must be in (0, permanenceMax]');

/** The temporal memories HtmModel can run: NuPIC's backtracking TM (NAB `numenta`) or the plain one (NAB `numentaTM`). */
export const temporalMemoryKinds = ['backtracking', 'plain'] as const;
export type TemporalMemoryKind = (typeof temporalMemoryKinds)[number];

export const likelihoodParamsSchema = z.object({
  /** L: records whose raw scores are skipped when the distribution is estimated. */
  learningPeriod: z.number().int().min(0).default(288),
  /** E: records used for the first estimate; likelihood is 0.5 for the first L + E records. */
  estimationSamples: z.number().int().min(0).default(100),
  /** H: most records kept for estimation. */
  historicWindowSize: z.number().int().min(1).default(8640),
  /** R: the distribution is re-estimated whenever the record index is a multiple of this. */
  reestimationPeriod: z.number().int().min(1).default(100),
  /** Raw scores are averaged over this many records before the tail probability is taken. */
  averagingWindow: z.number().int().min(1).default(10),
});

const finiteNumber = z.number().refine(Number.isFinite, 'must be finite');

export const htmParamsSchema = z
  .object({
    /**
     * The metric's expected range. Both or neither: without them the range is learnt from
     * the first `rangeLearningReadings` readings (see HtmModel).
     */
    valueMin: finiteNumber.optional(),
    valueMax: finiteNumber.optional(),
    /** Readings buffered to learn the range when valueMin/valueMax are not configured. */
    rangeLearningReadings: z.number().int().min(1).default(288),
    /** NAB's spatial anomaly: beyond the seen min/max by this fraction of their range. */
    spatialTolerance: z.number().min(0).default(0.05),
    /** A cell's remembered value is the mean of its last ~this many values (see CellValuePredictor). */
    predictorWindow: z.number().int().min(1).max(65535).default(10),
    rdse: rdseParamsSchema.prefault({}),
    timeOfDay: timeOfDayParamsSchema.prefault({}),
    sp: spatialPoolerParamsSchema.prefault({}),
    /** Which temporal memory runs: `backtrackingTm`'s parameters or `tm`'s. */
    temporalMemory: z.enum(temporalMemoryKinds).default('plain'),
    tm: temporalMemoryParamsSchema.prefault({}),
    backtrackingTm: backtrackingTmParamsSchema.prefault({}),
    likelihood: likelihoodParamsSchema.prefault({}),
  })
  .refine((p) => (p.valueMin === undefined) === (p.valueMax === undefined), 'give both valueMin and valueMax, or neither')
  .refine((p) => p.valueMin === undefined || p.valueMax === undefined || p.valueMin <= p.valueMax, 'valueMin must not exceed valueMax')
  .refine(
    (p) => p.sp.columnCount * (p.temporalMemory === 'plain' ? p.tm : p.backtrackingTm).cellsPerColumn <= 65536,
    'columns × cellsPerColumn must not exceed 65536 (cells are stored as 16-bit indices)',
  );

export type RdseParams = z.infer<typeof rdseParamsSchema>;
export type TimeOfDayParams = z.infer<typeof timeOfDayParamsSchema>;
export type SpatialPoolerParams = z.infer<typeof spatialPoolerParamsSchema>;
export type TemporalMemoryParams = z.infer<typeof temporalMemoryParamsSchema>;
export type BacktrackingTmParams = z.infer<typeof backtrackingTmParamsSchema>;
export type LikelihoodParams = z.infer<typeof likelihoodParamsSchema>;
export type HtmParams = z.infer<typeof htmParamsSchema>;
export type HtmParamsInput = z.input<typeof htmParamsSchema>;

/** The full parameter set with defaults filled in; throws a ZodError on invalid input. */
export function resolveHtmParams(input: HtmParamsInput = {}): HtmParams {
  return htmParamsSchema.parse(input);
}

/**
 * NAB's probationary period for a file of `recordCount` rows: 15 % of it, at most 750
 * (`nab/util.py` getProbationPeriod).
 */
export function nabProbationaryPeriod(recordCount: number): number {
  return Math.min(Math.floor(0.15 * recordCount), 750);
}

/**
 * The likelihood parameters NAB's numenta detector derives from its probationary period P:
 * L = floor(P / 2), E = P − L, R = 100, H kept at 8640.
 */
export function nabLikelihoodParams(probationaryPeriod: number): LikelihoodParams {
  const learningPeriod = Math.floor(probationaryPeriod / 2);
  return likelihoodParamsSchema.parse({
    learningPeriod,
    estimationSamples: probationaryPeriod - learningPeriod,
    reestimationPeriod: 100,
  });
}
