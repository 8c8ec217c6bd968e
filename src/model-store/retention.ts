/**
 * The versions a save may delete: all but the newest `keepVersions`, and never `keepVersion`
 * (the checkpoint the saving caller's workflow still trusts). The same rule in every store.
 */
export function doomedVersions(versions: readonly number[], keepVersions: number, keepVersion: number | undefined): number[] {
  const sorted = [...versions].sort((a, b) => a - b);
  return sorted.slice(0, Math.max(0, sorted.length - keepVersions)).filter((version) => version !== keepVersion);
}

/** Checks a store's `keepVersions` option (default 3). */
export function keepVersionsOf(keepVersions: number | undefined): number {
  const keep = keepVersions ?? 3;
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keepVersions must be a whole number ≥ 1, got ${keep}`);
  return keep;
}
