import { HtmModel, type HtmParamsInput, type HtmResult } from '../../../src/htm';
import type { HtmReading, HtmScoreInput, HtmScoreOutput } from '../../../src/htm-runtime';
import type { ModelKey, ModelStore, StoredModel } from '../../../src/model-store';
import { seededRandom } from '../../../src/samples';

/** A small but complete HTM (~0.1 ms a reading instead of ~1 ms), so exactness tests stay fast. */
export const smallParams: HtmParamsInput = {
  valueMin: 0,
  valueMax: 100,
  rdse: { size: 100, activeBits: 9 },
  timeOfDay: { activeBits: 9 },
  sp: { columnCount: 256, activeColumnCount: 10 },
  tm: { cellsPerColumn: 8, activationThreshold: 4, minThreshold: 3, maxNewSynapseCount: 8 },
  likelihood: { learningPeriod: 50, estimationSamples: 50, reestimationPeriod: 20 },
};

/** The same, learning its value range from the first readings (buffered state inside checkpoints). */
export const smallRangeLearningParams: HtmParamsInput = { ...smallParams, valueMin: undefined, valueMax: undefined, rangeLearningReadings: 30 };

/** The same with NuPIC's backtracking temporal memory (its pending proposals and replay buffers inside checkpoints). */
export const smallBacktrackingParams: HtmParamsInput = {
  ...smallRangeLearningParams,
  temporalMemory: 'backtracking',
  backtrackingTm: { cellsPerColumn: 8, activationThreshold: 4, minThreshold: 3, newSynapseCount: 8, maxSegmentsPerCell: 16, maxSynapsesPerSegment: 16 },
};

/** A daily-ish wave with noise, a few missing values and spikes, 5 minutes apart. */
export function makeReadings(seed: number, count: number): HtmReading[] {
  const random = seededRandom(seed);
  const start = Date.UTC(2024, 0, 1);
  return Array.from({ length: count }, (_, index): HtmReading => {
    const roll = random();
    const base = 50 + 30 * Math.sin((2 * Math.PI * index) / 288) + 5 * (random() - 0.5);
    const value = roll < 0.01 ? Number.NaN : roll < 0.02 ? base + 40 : base;
    return [start + index * 300_000, value];
  });
}

/** What one uninterrupted model says for every reading. */
export function directResults(params: HtmParamsInput, readings: readonly HtmReading[]): HtmResult[] {
  const model = HtmModel.create(params);
  return readings.map(([ts, value]) => model.compute(ts, value));
}

/**
 * Each result as text with every number's exact float64 bits, so `toEqual` on the lists
 * means bit-identical (plain deep equality would let -0 equal 0).
 */
export function exactResults(results: readonly HtmResult[]): string[] {
  return results.map((result) =>
    Object.entries(result)
      .map(([name, value]) => `${name}=${typeof value === 'number' ? float64Bits(value) : String(value)}`)
      .join(' '),
  );
}

function float64Bits(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0).toString(16);
}

/** Random batch sizes in [1, maxBatch] that add up to `total`. */
export function randomBatches(seed: number, total: number, maxBatch: number): number[] {
  const random = seededRandom(seed);
  const sizes: number[] = [];
  for (let left = total; left > 0; ) {
    const size = Math.min(left, 1 + Math.floor(random() * maxBatch));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/**
 * What the device workflow keeps per HTM field: the trusted checkpoint version and the
 * readings applied since. `input` builds a call; `apply` takes its output as the workflow
 * would (an output never applied is a result lost in a crash).
 */
export class SimulatedWorkflow {
  checkpointVersion = 0;
  sinceCheckpoint: HtmReading[] = [];
  readonly results: HtmResult[] = [];

  constructor(
    readonly deviceId: string,
    readonly field: string,
    readonly params: HtmParamsInput,
    readonly checkpointEvery: number,
  ) {}

  input(batch: readonly HtmReading[]): HtmScoreInput {
    return {
      deviceId: this.deviceId,
      field: this.field,
      params: this.params,
      checkpointVersion: this.checkpointVersion,
      readings: [...this.sinceCheckpoint, ...batch],
      newCount: batch.length,
      checkpointEvery: this.checkpointEvery,
    };
  }

  apply(batch: readonly HtmReading[], output: HtmScoreOutput): void {
    this.results.push(...output.results);
    if (output.checkpointVersion !== this.checkpointVersion) {
      this.checkpointVersion = output.checkpointVersion;
      this.sinceCheckpoint = [];
    } else {
      this.sinceCheckpoint.push(...batch);
    }
  }
}

/** A ModelStore in memory, for tests that run scoreReadings in-process. */
export class MemoryModelStore implements ModelStore {
  readonly saved = new Map<string, Map<number, Uint8Array>>();

  async load(key: ModelKey, version?: number): Promise<StoredModel | undefined> {
    const versions = this.saved.get(JSON.stringify(key));
    if (versions === undefined) return undefined;
    const chosen = version ?? Math.max(...versions.keys());
    const bytes = versions.get(chosen);
    return bytes === undefined ? undefined : { version: chosen, bytes };
  }

  async save(key: ModelKey, version: number, bytes: Uint8Array): Promise<void> {
    const id = JSON.stringify(key);
    const versions = this.saved.get(id) ?? new Map<number, Uint8Array>();
    versions.set(version, bytes);
    this.saved.set(id, versions);
  }
}
