/**
 * What a detector is: a small object with one pure step per reading of a field, in the spirit of
 * NAB's detector base class (`handleRecord`) and Flink's keyed process functions.
 *
 * A detector owns everything about itself and nothing else:
 * - its settings (one zod schema, defaults included): what a device was configured with;
 * - its memory per field (one zod schema): what it remembers between readings, kept in the
 *   device's durable state, so a restarted worker carries on exactly;
 * - `judge`: memory + reading + settings → verdict, new memory and explanation. Pure and
 *   deterministic: no clock, no randomness, no I/O, since it runs inside the device workflow;
 * - its explanation (one zod schema): what an anomaly event says it was judged against;
 * - its backtest columns: what `bin/vigil score` prints for it per reading.
 *
 * The device core (`src/device/apply.ts`) runs every registered detector the same way and owns
 * what they share: the ledger, the one open anomaly per (detector, field), windows, counters.
 * The registry (`registry.ts`) lists the detectors; adding one is a new file and a line there.
 */
import type { z } from 'zod';

export type Side = 'low' | 'high';

/** A detector's conclusion about one reading, which the anomaly lifecycle (incident.ts) steps on. */
export interface Verdict {
  /** The detector's condition holds: an anomaly is (or stays) open. */
  firing: boolean;
  /** This reading itself is abnormal: it updates an open anomaly. */
  violated: boolean;
  /** An open anomaly may resolve with this reading. */
  clears: boolean;
  side: Side | null;
}

/** One field's value of a reading, as a detector sees it. */
export interface FieldReading<Evidence = undefined> {
  field: string;
  /** Event time, epoch ms. */
  ts: number;
  value: number;
  /** Event time with the device's silent (DISCONNECTED) spans taken out: the clock of window rules. */
  activeTs: number;
  /** For a deferred detector, what its scorer computed for this reading; otherwise undefined. */
  evidence: Evidence;
}

export interface JudgeContext<Settings> {
  settings: Settings;
  /** The side of this detector's open anomaly on the field; null when none is open. */
  openSide: Side | null;
}

export interface Judgement<Memory, Explanation, Observation> {
  /** The field's new memory; undefined forgets it. */
  memory: Memory | undefined;
  /** No finding (e.g. still warming up): an open anomaly stays as it is. */
  finding?: { verdict: Verdict; explanation: Explanation };
  /** The per-reading figures the backtest prints (and an observer of applyItem sees). */
  observation: Observation;
}

export type Cell = number | string | boolean | null;

/** What `bin/vigil score` prints for this detector, after `timestamp,value,anomaly_score`. */
export interface BacktestColumns<Observation> {
  columns: readonly string[];
  /** The row's anomaly score and its further columns; `event` and `skipped` are filled in by the backtest. */
  row(observation: Observation): { anomalyScore: number; extras: Record<string, Cell> };
}

/** How a detector shows one field in `device show`, the UI's memo and its details panel. */
export interface FieldSummary {
  /** One line for people, e.g. `k 4 above, min 30; n 120, mean 21.0, stdev 0.6`. */
  text: string;
  /** The same as JSON for the memo (what the Temporal UI and the board read without a worker). */
  values: Record<string, number | string | boolean | null>;
}

export interface Detector<Name extends string, Settings, Memory, Explanation extends { kind: Name }, Observation, Evidence = undefined> {
  name: Name;
  /** The device-level settings, defaults included: `settingsSchema.parse({})` is a working detector. */
  settingsSchema: z.ZodType<Settings>;
  memorySchema: z.ZodType<Memory>;
  explanationSchema: z.ZodType<Explanation>;
  /**
   * For a detector that judges a field only when its own settings name it (a threshold rule):
   * whether they do. Such a detector judges exactly those fields, and then alone unless the
   * device asks for more (device/judging.ts); any other detector judges the fields it is chosen for.
   */
  configuredFor?(settings: Settings, field: string): boolean;
  judge(memory: Memory | undefined, reading: FieldReading<Evidence>, context: JudgeContext<Settings>): Judgement<Memory, Explanation, Observation>;
  /**
   * When the detector stops judging a field while its anomaly there is open (a threshold
   * removed, another choice of detectors): the explanation of the step that resolves it, with
   * `reason: 'released'`. Its memory of the field is forgotten.
   */
  release(settings: Settings, memory: Memory | undefined, field: string): Explanation;
  /**
   * True when the evidence is computed outside the device workflow (HTM's models are megabytes
   * and score on worker threads): applying a reading queues it, and `judge` runs when the
   * scorer's evidence for it comes back, in the order the readings were applied.
   */
  deferred?: boolean;
  /** An anomaly step's explanation in a few words, for `tail` and the demo. */
  explain(explanation: Explanation): string;
  /** Fields these settings name before any reading of them (a threshold rule), so a summary lists them. */
  configuredFields?(settings: Settings): string[];
  /** The field as this detector sees it, for a field it judges. */
  summary(settings: Settings, memory: Memory | undefined, field: string): FieldSummary;
  backtest: BacktestColumns<Observation>;
}

/** Checks a detector's shape where it is written; the registry holds them as they are. */
export function defineDetector<Name extends string, Settings, Memory, Explanation extends { kind: Name }, Observation, Evidence = undefined>(
  detector: Detector<Name, Settings, Memory, Explanation, Observation, Evidence>,
): Detector<Name, Settings, Memory, Explanation, Observation, Evidence> {
  return detector;
}

/** Undefined and null (an empty cell) for a number the summary may not have. */
export const round3 = (x: number | undefined): number | null => (x === undefined ? null : Math.round(x * 1000) / 1000);
