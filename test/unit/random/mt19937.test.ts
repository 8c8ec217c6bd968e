import { describe, expect, it } from 'vitest';
import { MT19937 } from '../../../src/random/mt19937';

describe('MT19937', () => {
  it('matches std::mt19937 for the default seed', () => {
    const rng = new MT19937(5489);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([3499211612, 581869302, 3890346734]);
  });

  it('gives 4123659995 as the 10000th output of the default seed (the C++ standard requires it)', () => {
    const rng = new MT19937();
    let value = 0;
    for (let i = 0; i < 10000; i++) value = rng.nextUint32();
    expect(value).toBe(4123659995);
  });

  it('continues identically after saving and restoring its state mid-block', () => {
    const original = new MT19937(42);
    for (let i = 0; i < 1000; i++) original.nextUint32();
    const restored = MT19937.fromState(original.saveState());
    const a = Array.from({ length: 700 }, () => original.nextUint32());
    const b = Array.from({ length: 700 }, () => restored.nextUint32());
    expect(b).toEqual(a);
  });

  it('rejects a state of the wrong size', () => {
    expect(() => new MT19937().restoreState(new Uint8Array(10))).toThrow(/2500 bytes/);
  });

  it('shuffles to a permutation and samples distinct items', () => {
    const rng = new MT19937(7);
    const shuffled = rng.shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const picked = rng.sample(Array.from({ length: 100 }, (_, i) => i), 10);
    expect(new Set(picked).size).toBe(10);
  });

  it('keeps getReal64 and uniform inside their ranges', () => {
    const rng = new MT19937(1);
    for (let i = 0; i < 1000; i++) {
      const r = rng.getReal64();
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThanOrEqual(1);
      const u = rng.uniform(2, 3);
      expect(u).toBeGreaterThanOrEqual(2);
      expect(u).toBeLessThan(3);
    }
  });
});
