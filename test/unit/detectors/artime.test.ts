import { describe, expect, it } from 'vitest';
import { type ArtimeMemory, artimeDetector, artimeMemorySchema, artimeSettingsSchema, haar } from '../../../src/detectors/artime';

const settings = artimeSettingsSchema.parse({});

/** A seeded linear congruential source in [0, 1): the same series on every machine. */
function uniform(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** 50 + 20·sin over 70 readings, ±1 of noise; a spike to 90 at 1500. */
function sineWithSpike(): number[] {
  const noise = uniform(7);
  const values = Array.from({ length: 2400 }, (_, i) => 50 + 20 * Math.sin((2 * Math.PI * i) / 70) + (noise() - 0.5) * 2);
  values[1500] = 90;
  return values;
}

function run(values: readonly number[], options: { restart?: boolean; settings?: typeof settings } = {}) {
  let memory: ArtimeMemory | undefined;
  const scores: number[] = [];
  values.forEach((value, i) => {
    // A restart reads the memory back as the device state holds it: JSON, then the schema.
    const given = options.restart && memory !== undefined ? artimeMemorySchema.parse(JSON.parse(JSON.stringify(memory))) : memory;
    const judged = artimeDetector.judge(given, { field: 'x', ts: i * 60_000, value, activeTs: i * 60_000, evidence: undefined }, { settings: options.settings ?? settings, openSide: null });
    memory = judged.memory;
    scores.push(judged.observation.score);
  });
  return { scores, memory: memory! };
}

describe('the ARTime detector', () => {
  it('learns the range and the first vigilance in its probation, then judges by resonance', () => {
    const values = sineWithSpike();
    const before = run(values.slice(0, settings.probationReadings - 1)).memory;
    expect(before.phase).toBe('probation');
    const after = run(values.slice(0, settings.probationReadings)).memory;
    expect(after.phase).toBe('running');
    if (after.phase === 'running') {
      expect(after.range.min).toBeLessThan(31);
      expect(after.range.max).toBeGreaterThan(69);
      expect(after.network.lastUsed.length).toBeGreaterThan(1);
    }
  });

  it('alarms at the spike and at the first period’s new extremes, nowhere else on the sine', () => {
    const { scores } = run(sineWithSpike());
    const alarms = scores.flatMap((score, i) => (score >= settings.threshold ? [i] : []));
    // 36..45: the first trough, each a new low (beyond the range seen by 5 %) once 30 readings are in.
    // 1500: the spike, outside the range; 1504: the first sample whose shape holds it founds a category.
    expect(alarms).toEqual([36, 38, 40, 41, 43, 45, 1500, 1504]);
    expect(scores[1500]).toBe(1);
  });

  it('transforms a window as ARTime’s Haar dwt does (Wavelets.jl): each detail is the second of a pair minus the first', () => {
    // By hand: pairs (1,2)…(7,8) give averages 3, 7, 11, 15 and details 1 (÷√2); then 10/2, 26/2 and 4/2, 4/2; then 18 and 8 (÷√2).
    const expected = [18 / Math.SQRT2, 8 / Math.SQRT2, 2, 2, ...new Array<number>(4).fill(1 / Math.SQRT2)];
    haar([1, 2, 3, 4, 5, 6, 7, 8]).forEach((c, k) => expect(c).toBeCloseTo(expected[k]!, 12));
    // A falling window has negative details: the sign is what the features' shift to 0..1 keeps.
    haar([8, 7, 6, 5, 4, 3, 2, 1]).slice(1).forEach((c, k) => expect(c).toBeCloseTo(-expected[k + 1]!, 12));
  });

  it('continues exactly from its memory read back from JSON, as after a worker restart', () => {
    const values = sineWithSpike();
    expect(run(values, { restart: true }).scores).toEqual(run(values).scores);
  });

  it('keeps its memory small: at most maxCategories categories, the least recently used replaced', () => {
    const noise = uniform(3);
    const values = Array.from({ length: 30_000 }, () => noise() * 100);
    const { memory } = run(values);
    expect(memory.phase).toBe('running');
    if (memory.phase === 'running') expect(memory.network.lastUsed.length).toBeLessThanOrEqual(settings.maxCategories);
    expect(JSON.stringify(memory).length).toBeLessThan(40_000);
    const capped = run(values.slice(0, 5000), { settings: { ...settings, maxCategories: 16 } }).memory;
    if (capped.phase === 'running') expect(capped.network.lastUsed.length).toBe(16);
  });
});
