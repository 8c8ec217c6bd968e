import { describe, expect, it } from 'vitest';
import { seasonalIForestConfigSchema } from '../../src/detectors/seasonal-history';
import type { SourcedItem } from '../../src/device/item';
import { toCanonical } from '../../src/formats';
import { usageFormat } from '../../src/formats/usage';
import { generateUsageSample, USAGE_SAMPLE_TIME_ZONE } from '../../src/samples';
import { anomaliesOf, testDevice } from '../support/reference';

const never = { k: 4, minSamples: 1_000_000, direction: 'above' as const, clearAfter: 1, learnAnomalies: false, relearnAfter: null, window: null };
const connection = { disconnectAfterMs: 60_000, retireAfterMs: 86_400_000 };
const seasonal = { config: seasonalIForestConfigSchema.parse({ timeZone: USAGE_SAMPLE_TIME_ZONE }) };

/** The sample's rows as the ingest makes them: through the usage format, at offsets from `first`. */
function usageItems(first: number): SourcedItem[] {
  const format = usageFormat({ timeZone: USAGE_SAMPLE_TIME_ZONE, deviceId: 'library' });
  return generateUsageSample().rows.map((row, i) => ({
    source: { topic: 'usage', partition: 0, offset: first + i },
    reading: toCanonical(format, format.fromCsvRow({ usage_datetime_start_eastern_time: row.start, usage_datetime_end_eastern_time: row.end, usage_kw: String(row.usageKw) }), { key: 'library', timestamp: 0 }),
  }));
}

describe('seasonal Isolation Forest on a device (the meter sample)', () => {
  it('raises exactly the injected anomalies, each resolved by the next ordinary reading', () => {
    const state = testDevice('library', { zscore: never, connection, seasonal, judging: { usage: ['seasonal-iforest'] } });
    const events = usageItems(0).flatMap((item) => anomaliesOf(state, item)).filter((e) => e.detector === 'seasonal-iforest');
    const injected = generateUsageSample().anomalies;
    expect(events.filter((e) => e.status === 'raised').map((e) => [e.ts, e.value])).toEqual(injected.map((a) => [a.epochMs, a.value]));
    expect(events.map((e) => e.status)).toEqual(injected.flatMap(() => ['raised', 'resolved']));
    const first = events[0];
    expect(first?.explanation).toMatchObject({ kind: 'seasonal-iforest', comparables: expect.any(Number), historyDays: 30 });
    if (first?.explanation.kind !== 'seasonal-iforest') throw new Error('unexpected explanation');
    expect(first.explanation.score).toBeGreaterThan(0.5);
    expect(first.explanation.comparables).toBeGreaterThanOrEqual(4);
  });

  it('keeps its history within the documented bound and leaves a replay of the same file without effect', () => {
    const state = testDevice('library', { zscore: never, connection, seasonal, judging: { usage: ['seasonal-iforest'] } });
    const items = usageItems(0);
    for (const item of items) anomaliesOf(state, item);
    expect(JSON.stringify(state.memories['seasonal-iforest']).length).toBeLessThan(250_000);
    const before = structuredClone({ models: state.memories.zscore, windows: state.windows, history: state.memories['seasonal-iforest'], incidents: state.incidents, anomalies: state.counters.anomalyCount });

    // The same file again, at new offsets: the last hour is re-sent (duplicates), the rest is too late.
    const again = usageItems(items.length).flatMap((item) => anomaliesOf(state, item));
    expect(again).toEqual([]);
    expect({ models: state.memories.zscore, windows: state.windows, history: state.memories['seasonal-iforest'], incidents: state.incidents, anomalies: state.counters.anomalyCount }).toEqual(before);
    expect(state.counters.readingsApplied).toBe(items.length);
    expect(state.counters.duplicatesSkipped + state.counters.lateDropped).toBe(items.length);
    expect(state.counters.duplicatesSkipped).toBe(13); // 5-minute readings from the newest back to exactly 1 h before it
  });
});
