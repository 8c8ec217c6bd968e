import type { Publication } from '../activities/publish';
import type { SourcedReading } from '../reading';

/** Everything a batch has to say. */
export type Outputs = Required<Omit<Publication, 'late' | 'report'>> & { late: SourcedReading[]; report?: Publication['report'] };

/** Records per activity call: keeps each payload far below Temporal's 512 KB warning size, and each Kafka batch below 1 MB. */
export const PUBLISH_CHUNK = 400;

/**
 * A batch's outputs in as few publications as the chunk size allows, in order: anomalies
 * first, then window results, then late readings; connection events and the closed report
 * windows (a few runs) ride with the first. No
 * publication at all when there is nothing to say.
 */
export function chunkPublications(outputs: Outputs, late: { watermark: number; allowedLatenessMs: number }, chunk = PUBLISH_CHUNK): Publication[] {
  const { anomalies, aggregates, deviceEvents } = outputs;
  const chunks: Publication[] = [];
  let [i, j, k] = [0, 0, 0];
  const { report } = outputs;
  while (i < anomalies.length || j < aggregates.length || k < outputs.late.length || (chunks.length === 0 && (deviceEvents.length > 0 || report !== undefined))) {
    const a = anomalies.slice(i, i + chunk);
    const g = aggregates.slice(j, j + chunk - a.length);
    const l = outputs.late.slice(k, k + chunk - a.length - g.length);
    const first = chunks.length === 0;
    chunks.push({ anomalies: a, aggregates: g, deviceEvents: first ? deviceEvents : [], ...(l.length > 0 ? { late: { late: l, ...late } } : {}), ...(first && report ? { report } : {}) });
    [i, j, k] = [i + a.length, j + g.length, k + l.length];
  }
  return chunks;
}
