import { describe, expect, it } from 'vitest';
import type { Aggregate } from '../../src/contracts/aggregates';
import type { AnomalyEvent } from '../../src/contracts/anomalies';
import { deviceEvent } from '../../src/contracts/device-events';
import type { SourcedReading } from '../../src/reading';
import { chunkPublications } from '../../src/workflows/publication';

// Only their identity matters here: each is told apart by its number.
const anomalies = (n: number) => Array.from({ length: n }, (_, i) => ({ eventId: `a${i}` }) as AnomalyEvent);
const aggregates = (n: number) => Array.from({ length: n }, (_, i) => ({ windowStart: i }) as Aggregate);
const late = (n: number) => Array.from({ length: n }, (_, i) => ({ source: { topic: 't', partition: 0, offset: i } }) as SourcedReading);
const connected = deviceEvent('d', 'CONNECTED', 5, 5, 1);
const clock = { watermark: 1000, allowedLatenessMs: 60_000 };
const sizes = (chunks: ReturnType<typeof chunkPublications>) => chunks.map((c) => [c.anomalies.length, c.aggregates.length, c.deviceEvents.length, c.late?.late.length ?? 0]);

describe('chunkPublications', () => {
  it('publishes nothing for a batch with nothing to say', () => {
    expect(chunkPublications({ anomalies: [], aggregates: [], deviceEvents: [], late: [] }, clock)).toEqual([]);
  });

  it('sends a connection change alone when it is all there is', () => {
    expect(chunkPublications({ anomalies: [], aggregates: [], deviceEvents: [connected], late: [] }, clock)).toEqual([{ anomalies: [], aggregates: [], deviceEvents: [connected] }]);
  });

  it('fills each chunk in order (anomalies, then windows, then late readings), the connection change in the first', () => {
    const chunks = chunkPublications({ anomalies: anomalies(5), aggregates: aggregates(4), deviceEvents: [connected], late: late(3) }, clock, 4);
    expect(sizes(chunks)).toEqual([
      [4, 0, 1, 0],
      [1, 3, 0, 0],
      [0, 1, 0, 3],
    ]);
    expect(chunks.flatMap((c) => c.anomalies.map((a) => a.eventId))).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(chunks.flatMap((c) => c.aggregates.map((a) => a.windowStart))).toEqual([0, 1, 2, 3]);
    expect(chunks[2]?.late).toEqual({ late: late(3), watermark: 1000, allowedLatenessMs: 60_000 });
  });

  it('keeps every chunk at the default size at most', () => {
    const chunks = chunkPublications({ anomalies: anomalies(850), aggregates: aggregates(10), deviceEvents: [], late: late(5) }, clock);
    expect(sizes(chunks)).toEqual([
      [400, 0, 0, 0],
      [400, 0, 0, 0],
      [50, 10, 0, 5],
    ]);
  });
});
