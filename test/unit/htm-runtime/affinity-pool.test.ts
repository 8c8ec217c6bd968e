import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AffinityPool, fnv1a32, threadEntry } from '../../../src/htm-runtime';

describe('AffinityPool routing', () => {
  it('sends a key to the same thread every time and spreads keys over all threads', () => {
    const pool = new AffinityPool<unknown, unknown>({ entry: threadEntry('score-thread'), threadCount: 3, workerData: undefined });
    const counts = [0, 0, 0];
    for (let index = 0; index < 300; index++) {
      const key = JSON.stringify([`device-${index}`, 'value']);
      const thread = pool.threadIndexFor(key);
      expect(pool.threadIndexFor(key)).toBe(thread);
      counts[thread]!++;
    }
    for (const count of counts) expect(count).toBeGreaterThan(60);
  });

  it('hashes with 32-bit FNV-1a', () => {
    // Reference values of the FNV-1a specification.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('starts threads from the TypeScript sources with tsx preloaded, independent of the current directory', () => {
    const entry = threadEntry('score-thread');
    expect(entry.file).toMatch(/score-thread\.ts$/);
    expect(existsSync(entry.file)).toBe(true);
    expect(entry.execArgv).toEqual(['--require', expect.stringMatching(/tsx[/\\]dist[/\\]cjs[/\\]index\.cjs$/)]);
  });
});
