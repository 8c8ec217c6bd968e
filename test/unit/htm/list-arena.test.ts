import { describe, expect, it } from 'vitest';
import { ListArena } from '../../../src/htm/list-arena';
import { MT19937 } from '../../../src/random/mt19937';

describe('ListArena', () => {
  it('matches plain arrays through growth, moves, compaction, ordered and swap removals', () => {
    const rng = new MT19937(5);
    const arena = new ListArena(4, 2, 8);
    const mirror: number[][] = [[], [], [], []];
    for (let step = 0; step < 20_000; step++) {
      if (step === 5000) {
        arena.ensureLists(40);
        for (let list = 4; list < 40; list++) mirror.push([]);
      }
      const list = rng.getUInt32(mirror.length);
      const values = mirror[list]!;
      const action = rng.getUInt32(10);
      if (action < 6 || values.length === 0) {
        const value = rng.nextUint32();
        expect(arena.push(list, value)).toBe(values.length);
        values.push(value);
      } else if (action < 8) {
        const position = rng.getUInt32(values.length);
        arena.removeOrdered(list, position);
        values.splice(position, 1);
      } else if (action < 9) {
        const position = rng.getUInt32(values.length);
        const moved = arena.swapRemove(list, position);
        const last = values.pop()!;
        if (position < values.length) {
          expect(moved).toBe(last);
          values[position] = last;
        } else expect(moved).toBe(-1);
      } else {
        arena.clear(list);
        values.length = 0;
      }
    }
    mirror.forEach((values, list) => {
      expect(arena.length(list)).toBe(values.length);
      expect(Array.from({ length: values.length }, (_, position) => arena.get(list, position))).toEqual(values);
    });
  });
});
