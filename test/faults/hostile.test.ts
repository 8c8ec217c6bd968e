import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_DEAD_LETTER_BYTES } from '../../src/ingest/dead-letters';
import { expectSurvived, ProcessWatch, streamInChunks } from '../support/faults';
import { HUGE_BYTES, hostileMessages, unicodeDeviceIds } from '../support/hostile';
import { usePipeline } from '../support/pipeline';
import { type BadMessage, deviceIdsOf, messagesOf, sampleFor, waitUntilDrained, withDeviceIds } from '../support/sensor-run';

const HOSTILE = 10_000;
const HUGE = 4;

const newPipeline = usePipeline();

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** A dead letter as the DLQ must hold it: reason, original key, original bytes (truncated when huge). */
function fingerprint(reason: string, key: Buffer | string | null | undefined, value: Buffer | string | null): string {
  const bytes = Buffer.from(value ?? '');
  return `${reason} key=${sha(Buffer.from(key ?? ''))} value=${sha(bytes.subarray(0, MAX_DEAD_LETTER_BYTES))}`;
}

function countByReason(reasons: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reason of reasons) counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

describe('faults: hostile input', () => {
  it('dead-letters 10,000 hostile records, each with its own reason, and applies every valid one, Unicode device ids included', async () => {
    const p = newPipeline('fault-hostile');
    await p.setUp();
    const prefix = `${p.runName}-dev-`;
    const unicodeIds = unicodeDeviceIds(p.runName);
    const sample = withDeviceIds(sampleFor(p), (id) => unicodeIds[Number(id.slice(prefix.length)) - 1]);
    const hostile: BadMessage[] = hostileMessages(deviceIdsOf(sample), HOSTILE, HUGE);
    const messages = messagesOf(sample, hostile);
    const processes = new ProcessWatch(p);
    await processes.start('worker');
    await processes.start('ingest');

    await streamInChunks(p, p.topicFor('sensor'), messages, 10, () => undefined);

    const states = await waitUntilDrained(p, sample, hostile.length, { stillHealthy: () => processes.expectNoCrash() });
    expectSurvived(p, processes, { sample, bad: hostile, sent: messages.length, states });
    for (const id of unicodeIds) expect(states.get(id)?.counters.readingsApplied, `${id} is a valid device id`).toBeGreaterThan(0);

    // Each hostile record once, with its own reason, key and bytes.
    const letters = p.deadLetters;
    const reasons = letters.map((l) => l.headers['vigil.dlq.reason'] ?? '(none)');
    expect(countByReason(reasons), 'dead letters per reason').toEqual(countByReason(hostile.map((h) => h.reason)));
    expect(letters.map((l) => fingerprint(l.headers['vigil.dlq.reason'] ?? '(none)', l.key, l.value)).sort(), 'each record its reason').toEqual(
      hostile.map((h) => fingerprint(h.reason, h.key, h.value)).sort(),
    );
    const ingest = await p.metrics('ingest');
    for (const [reason, count] of Object.entries(countByReason(reasons))) {
      expect(ingest.get(`vigil_dead_letters_total{reason="${reason}"}`), `${reason} counted in the metrics`).toBe(count);
    }

    // The 2 MB payloads reach the ingest and go to the DLQ truncated, and say so.
    const truncated = letters.filter((l) => l.headers['vigil.dlq.truncated'] === 'true');
    expect(truncated, 'the 2 MB payloads, truncated').toHaveLength(HUGE);
    for (const letter of truncated) {
      expect(letter.headers['vigil.dlq.reason']).toBe('oversized');
      expect(letter.value?.length).toBe(MAX_DEAD_LETTER_BYTES);
      expect(Number(letter.headers['vigil.dlq.original.bytes'])).toBeGreaterThan(HUGE_BYTES);
    }
  });
});
