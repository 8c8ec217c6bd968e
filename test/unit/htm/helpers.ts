import { expect } from 'vitest';

/** Byte-array equality without per-element matcher overhead (model snapshots are megabytes). */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  let firstDifference = -1;
  for (let i = 0; i < actual.length && firstDifference === -1; i++) if (actual[i] !== expected[i]) firstDifference = i;
  expect(firstDifference).toBe(-1);
}
