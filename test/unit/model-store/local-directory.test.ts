import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyDirectoryName, LocalDirectoryModelStore, type ModelKey, ModelStoreCorruptError } from '../../../src/model-store';

const roots: string[] = [];

function newStore(keepVersions?: number): LocalDirectoryModelStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-model-store-'));
  roots.push(dir);
  return new LocalDirectoryModelStore(dir, { keepVersions });
}

afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

const key: ModelKey = { deviceId: 'device-1', field: 'value' };
const bytesOf = (text: string) => new Uint8Array(Buffer.from(text));
const textOf = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString());

function versionFile(store: LocalDirectoryModelStore, version: number): string {
  return path.join(store.keyDirectory(key), `${String(version).padStart(16, '0')}.model`);
}

describe('LocalDirectoryModelStore', () => {
  it('loads the newest version, or exactly the version asked for', async () => {
    const store = newStore();
    expect(await store.load(key)).toBeUndefined();
    await store.save(key, 100, bytesOf('at 100'));
    await store.save(key, 200, bytesOf('at 200'));
    const newest = await store.load(key);
    expect({ version: newest?.version, text: textOf(newest?.bytes) }).toEqual({ version: 200, text: 'at 200' });
    expect(textOf((await store.load(key, 100))?.bytes)).toBe('at 100');
    expect(await store.load(key, 150)).toBeUndefined();
    expect(await store.load({ deviceId: 'device-2', field: 'value' })).toBeUndefined();
  });

  it('replaces a version saved again', async () => {
    const store = newStore();
    await store.save(key, 100, bytesOf('first'));
    await store.save(key, 100, bytesOf('again'));
    expect(textOf((await store.load(key, 100))?.bytes)).toBe('again');
    expect(await store.versions(key)).toEqual([100]);
  });

  it('keeps the newest three versions, and the version the caller still trusts', async () => {
    const store = newStore();
    for (const version of [100, 200, 300, 400]) await store.save(key, version, bytesOf(`at ${version}`));
    expect(await store.versions(key)).toEqual([200, 300, 400]);
    // Three attempts whose results were lost each wrote a newer checkpoint; the workflow
    // still trusts 400, which must survive.
    for (const version of [450, 500, 550]) await store.save(key, version, bytesOf(`at ${version}`), { keepVersion: 400 });
    expect(await store.versions(key)).toEqual([400, 450, 500, 550]);
    expect(textOf((await store.load(key, 400))?.bytes)).toBe('at 400');
  });

  it('orders versions numerically, not by name length', async () => {
    const store = newStore();
    for (const version of [9, 10, 1_000_000_000_000]) await store.save(key, version, bytesOf(`at ${version}`));
    expect(await store.versions(key)).toEqual([9, 10, 1_000_000_000_000]);
    expect((await store.load(key))?.version).toBe(1_000_000_000_000);
  });

  it('never returns a corrupt or truncated checkpoint', async () => {
    const store = newStore();
    await store.save(key, 100, bytesOf('a model of some size'));
    const file = versionFile(store, 100);
    const contents = readFileSync(file);
    contents[contents.length - 1]! ^= 0xff;
    writeFileSync(file, contents);
    await expect(store.load(key, 100)).rejects.toBeInstanceOf(ModelStoreCorruptError);
    writeFileSync(file, contents.subarray(0, 10));
    await expect(store.load(key)).rejects.toThrow(/version 100 of device "device-1" field "value" is corrupt \(bad header\)/);
  });

  it('leaves no temp file behind and ignores one from a writer that died', async () => {
    const store = newStore();
    await store.save(key, 100, bytesOf('at 100'));
    const keyDir = store.keyDirectory(key);
    expect(readdirSync(keyDir)).toEqual(['0000000000000100.model']);
    const orphan = path.join(keyDir, '.tmp-999-0-abcdef');
    writeFileSync(orphan, 'half a model');
    expect((await store.load(key))?.version).toBe(100);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(orphan, twoHoursAgo, twoHoursAgo);
    await store.save(key, 200, bytesOf('at 200'));
    expect(readdirSync(keyDir).sort()).toEqual(['0000000000000100.model', '0000000000000200.model']);
  });

  it('survives concurrent saves of the same version', async () => {
    const store = newStore();
    await Promise.all(Array.from({ length: 8 }, () => store.save(key, 100, bytesOf('same bytes'))));
    expect(textOf((await store.load(key, 100))?.bytes)).toBe('same bytes');
    expect(readdirSync(store.keyDirectory(key))).toEqual(['0000000000000100.model']);
  });

  it('gives every key its own safe folder name', async () => {
    const keys: ModelKey[] = [
      { deviceId: 'a/b', field: 'c' },
      { deviceId: 'a', field: 'b/c' },
      { deviceId: '..', field: '.' },
      { deviceId: 'Device', field: 'x' },
      { deviceId: 'device', field: 'x' },
      { deviceId: 'capteur-é-Ω', field: 'température' },
      { deviceId: 'x'.repeat(500), field: 'value' },
    ];
    const names = keys.map(keyDirectoryName);
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(keys.length);
    for (const name of names) {
      expect(name).toMatch(/^[0-9a-z.-]+$/);
      expect(name.length).toBeLessThanOrEqual(200);
      expect(name === '.' || name === '..').toBe(false);
    }
    const store = newStore();
    for (const [index, each] of keys.entries()) await store.save(each, 1, bytesOf(`key ${index}`));
    for (const [index, each] of keys.entries()) expect(textOf((await store.load(each))?.bytes)).toBe(`key ${index}`);
    expect(() => keyDirectoryName({ deviceId: '', field: 'value' })).toThrow(/needs a device id and a field/);
  });

  it('rejects versions that are not whole numbers', async () => {
    const store = newStore();
    await expect(store.save(key, 1.5, bytesOf('x'))).rejects.toThrow(/whole number/);
    await expect(store.load(key, -1)).rejects.toThrow(/whole number/);
  });
});
