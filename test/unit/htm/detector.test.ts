import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HtmModel, type HtmResult } from '../../../src/htm/detector';
import { temporalMemoryKinds } from '../../../src/htm/params';
import { logLikelihood } from '../../../src/htm/likelihood';
import { MT19937 } from '../../../src/random/mt19937';
import { expectSameBytes } from './helpers';

const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);

/** Hourly readings of a fixed daily shape plus a little noise: the time of day repeats every 24 readings. */
function dailyReadings(count: number, seed = 1): { timestamp: number; value: number }[] {
  const rng = new MT19937(seed);
  return Array.from({ length: count }, (_, k) => ({
    timestamp: START + k * HOUR,
    value: 50 + 30 * Math.sin((2 * Math.PI * (k % 24)) / 24) + (rng.getReal64() - 0.5),
  }));
}

describe('HtmModel: value range', () => {
  it('buffers the first readings with learning results, then replays them and returns the real result', () => {
    const model = HtmModel.create({ rangeLearningReadings: 30 });
    const readings = dailyReadings(40);
    for (const { timestamp, value } of readings.slice(0, 29)) {
      const result = model.compute(timestamp, value);
      expect(result).toEqual({
        rawScore: null,
        likelihood: 0.5,
        logLikelihood: logLikelihood(0.5),
        spatialAnomaly: false,
        score: logLikelihood(0.5),
        prediction: null,
        predictionNext: null,
        error: null,
        learningRange: true,
      });
    }
    expect(model.valueRange).toBeNull();
    const completing = model.compute(readings[29]!.timestamp, readings[29]!.value);
    expect(completing.learningRange).toBe(false);
    expect(completing.rawScore).not.toBeNull();
    const buffered = readings.slice(0, 30).map((reading) => reading.value);
    expect(model.valueRange).toMatchObject({ source: 'learnt', min: Math.min(...buffered), max: Math.max(...buffered) });
    expect(model.readingsApplied).toBe(30);
  });

  it('reaches the same state as a model configured with that range from the start', () => {
    const readings = dailyReadings(90);
    const learnt = HtmModel.create({ rangeLearningReadings: 30 });
    readings.slice(0, 30).forEach(({ timestamp, value }) => learnt.compute(timestamp, value));
    const range = learnt.valueRange!;
    const configured = HtmModel.create({ valueMin: range.min, valueMax: range.max });
    readings.slice(0, 30).forEach(({ timestamp, value }) => configured.compute(timestamp, value));
    for (const { timestamp, value } of readings.slice(30)) expect(learnt.compute(timestamp, value)).toEqual(configured.compute(timestamp, value));
  });

  it('derives the configured resolution as NAB does', () => {
    const model = HtmModel.create({ valueMin: 0, valueMax: 100 });
    expect(model.valueRange).toEqual({ source: 'configured', min: 0, max: 100, resolution: 140 / 130 });
    expect(() => HtmModel.create({ valueMin: 0 })).toThrow(/both valueMin and valueMax/);
  });
});

describe('HtmModel: detection', () => {
  it.each(temporalMemoryKinds)('learns a daily pattern (raw → low), predicts it, and flags a spike (NAB spatial override → score 1) (%s TM)', (temporalMemory) => {
    const model = HtmModel.create({ temporalMemory, valueMin: 20, valueMax: 80, likelihood: { learningPeriod: 100, estimationSamples: 100 } });
    const readings = dailyReadings(24 * 60);
    const results: HtmResult[] = readings.map(({ timestamp, value }) => model.compute(timestamp, value));
    const meanRaw = (from: number, to: number): number =>
      results.slice(from, to).reduce((sum, result) => sum + (result.rawScore ?? 0), 0) / (to - from);
    expect(meanRaw(0, 48)).toBeGreaterThan(0.5);
    expect(meanRaw(results.length - 240, results.length)).toBeLessThan(0.1);

    const late = results.slice(-48);
    expect(late.every((result) => result.prediction !== null && result.error !== null)).toBe(true);
    const meanAbsError = late.reduce((sum, result) => sum + Math.abs(result.error!), 0) / late.length;
    expect(meanAbsError).toBeLessThan(6); // the pattern spans 60

    const next = START + readings.length * HOUR;
    const spike = model.compute(next, 200);
    expect(spike.spatialAnomaly).toBe(true);
    expect(spike.score).toBe(1);
  });

  it('reports error = value − prediction, where prediction is the previous predictionNext', () => {
    const model = HtmModel.create({ valueMin: 20, valueMax: 80 });
    let previous: HtmResult | null = null;
    for (const { timestamp, value } of dailyReadings(24 * 10)) {
      const result = model.compute(timestamp, value);
      if (previous !== null) expect(result.prediction).toBe(previous.predictionNext);
      if (result.prediction !== null) expect(result.error).toBe(value - result.prediction);
      previous = result;
    }
  });

  it('treats NaN as missing and rejects infinities', () => {
    const model = HtmModel.create({ valueMin: 0, valueMax: 10 });
    model.compute(START, 5);
    model.compute(START + HOUR, 6);
    const missing = model.compute(START + 2 * HOUR, Number.NaN);
    expect(missing.spatialAnomaly).toBe(false);
    expect(missing.error).toBeNull();
    expect(() => model.compute(START + 3 * HOUR, Infinity)).toThrow(RangeError);
    expect(() => model.compute(Number.NaN, 1)).toThrow(RangeError);
  });

  it('does not widen the spatial range from readings it must not learn', () => {
    const model = HtmModel.create({ valueMin: 0, valueMax: 10 });
    model.compute(START, 0);
    model.compute(START + HOUR, 10);
    expect(model.compute(START + 2 * HOUR, 30, { learn: false }).spatialAnomaly).toBe(true);
    expect(model.compute(START + 3 * HOUR, 30, { learn: false }).spatialAnomaly).toBe(true);
    expect(model.compute(START + 4 * HOUR, 30).spatialAnomaly).toBe(true);
    expect(model.compute(START + 5 * HOUR, 30).spatialAnomaly).toBe(false);
  });
});

describe('HtmModel: snapshots', () => {
  it.each(temporalMemoryKinds)('restores to a model that continues identically (outputs and bytes), from every phase (%s TM)', (temporalMemory) => {
    // Small likelihood periods so the run crosses range learning, the replay, the likelihood
    // probation and several re-estimations.
    const params = { temporalMemory, rangeLearningReadings: 60, likelihood: { learningPeriod: 40, estimationSamples: 40, reestimationPeriod: 25 } };
    const readings = dailyReadings(260, 3);
    readings[200]!.value = Number.NaN;
    const snapshotAt = [0, 30, 59, 60, 61, 125, 201, 259];
    const reference = HtmModel.create(params);
    const outputs: HtmResult[] = [];
    const snapshots = new Map<number, Uint8Array>();
    readings.forEach(({ timestamp, value }, k) => {
      if (snapshotAt.includes(k)) snapshots.set(k, reference.snapshot());
      outputs.push(reference.compute(timestamp, value, { learn: k % 37 !== 36 }));
    });
    const finalBytes = reference.snapshot();
    for (const [at, bytes] of snapshots) {
      const restored = HtmModel.restore(bytes);
      expect(restored.readingsApplied).toBe(at);
      expectSameBytes(restored.snapshot(), bytes);
      readings.slice(at).forEach(({ timestamp, value }, offset) => {
        const k = at + offset;
        expect(restored.compute(timestamp, value, { learn: k % 37 !== 36 })).toEqual(outputs[k]);
      });
      expectSameBytes(restored.snapshot(), finalBytes);
    }
  });

  it('restores a snapshot of format 1 (before the backtracking TM) as the plain TM, which continues as it did', () => {
    // Written by the model of commit 24472ce (format 1) after 300 readings, with the results it
    // gave for the next 60 (a spike among them).
    const fixtures = path.join(__dirname, '../../fixtures/htm');
    const bytes = new Uint8Array(gunzipSync(readFileSync(path.join(fixtures, 'format-v1-model.bin.gz'))));
    const { readings, results } = JSON.parse(readFileSync(path.join(fixtures, 'format-v1-continuation.json'), 'utf8')) as {
      readings: [number, number][];
      results: HtmResult[];
    };
    expect(bytes[4]).toBe(1);
    const restored = HtmModel.restore(bytes);
    expect(restored.params.temporalMemory).toBe('plain');
    expect(restored.readingsApplied).toBe(300);
    expect(readings.map(([ts, value]) => restored.compute(ts, value))).toEqual(results);
    expect(results.some((result) => result.score === 1)).toBe(true);
    const again = HtmModel.restore(restored.snapshot());
    expect(again.params.temporalMemory).toBe('plain');
  });

  it('rejects foreign, truncated and future-version bytes', () => {
    const bytes = HtmModel.create({ valueMin: 0, valueMax: 1, sp: { columnCount: 256, activeColumnCount: 8 }, tm: { cellsPerColumn: 4 } }).snapshot();
    expect(() => HtmModel.restore(Uint8Array.of(1, 2, 3, 4, 5, 6))).toThrow(/not an HTM model snapshot/);
    expect(() => HtmModel.restore(bytes.slice(0, bytes.length - 3))).toThrow(/truncated/);
    const future = bytes.slice();
    future[4] = 99;
    expect(() => HtmModel.restore(future)).toThrow(/version 99/);
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    expect(() => HtmModel.restore(padded)).toThrow(/trailing/);
  });
});
