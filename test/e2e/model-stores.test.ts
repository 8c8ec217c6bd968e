import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { prepareModelStore } from '../../src/connections/model-store';
import {
  CachedModelStore,
  CHECKPOINTS_TABLE,
  keyDirectoryName,
  LocalDirectoryModelStore,
  type ModelKey,
  type ModelStore,
  ModelStoreCorruptError,
  openModelStore,
  PostgresModelStore,
  s3ClientOf,
  S3ModelStore,
  type SharedStoreSpec,
  sharedStoreSpecOf,
} from '../../src/model-store';
import { ensureTestBucket, type SharedStoreKind, sharedStoreEnv, TEST_BUCKET } from '../support/model-stores';

/** Every test's keys start with this run's tag: the table and the bucket outlive a test. */
const run = `ms-${Date.now().toString(36)}`;
let keyCount = 0;
const newKey = (field = 'value'): ModelKey => ({ deviceId: `${run}-device-${++keyCount}`, field });
const bytesOf = (text: string) => new Uint8Array(Buffer.from(text));
const textOf = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString());

const folders: string[] = [];
const newFolder = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-model-cache-'));
  folders.push(dir);
  return dir;
};
const opened: ModelStore[] = [];

function specOf(kind: SharedStoreKind): SharedStoreSpec {
  const config = loadConfig({ ...process.env, ...sharedStoreEnv(kind, run) });
  return sharedStoreSpecOf(config.modelStore);
}

function openShared(kind: SharedStoreKind): PostgresModelStore | S3ModelStore {
  const spec = specOf(kind);
  const store = spec.kind === 'postgres' ? new PostgresModelStore(spec) : new S3ModelStore(spec);
  opened.push(store);
  return store;
}

/** Overwrites a stored version's bytes behind the store's back, as bit rot or a bad proxy would. */
async function corrupt(kind: SharedStoreKind, key: ModelKey, version: number, contents: Buffer): Promise<void> {
  const spec = specOf(kind);
  if (spec.kind === 'postgres') {
    const client = new Client({ connectionString: spec.connectionString });
    await client.connect();
    await client.query(`UPDATE ${CHECKPOINTS_TABLE} SET checkpoint = $4 WHERE device_id = $1 AND field = $2 AND version = $3`, [key.deviceId, key.field, version, contents]);
    await client.end();
  } else {
    const s3 = s3ClientOf(spec.client);
    await s3.send(new PutObjectCommand({ Bucket: spec.bucket, Key: `${spec.prefix}/${keyDirectoryName(key)}/${String(version).padStart(16, '0')}.model`, Body: contents }));
    s3.destroy();
  }
}

beforeAll(async () => {
  await ensureTestBucket();
  // What a worker does at start: the table in the sink's database.
  await prepareModelStore(loadConfig({ ...process.env, ...sharedStoreEnv('postgres', run) }));
});

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close?.()));
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe.each(['postgres', 's3'] as const)('the %s model store, against the real server', (kind) => {
  it('loads the newest version, or exactly the version asked for', async () => {
    const store = openShared(kind);
    const key = newKey();
    expect(await store.load(key)).toBeUndefined();
    await store.save(key, 100, bytesOf('at 100'));
    await store.save(key, 200, bytesOf('at 200'));
    const newest = await store.load(key);
    expect({ version: newest?.version, text: textOf(newest?.bytes) }).toEqual({ version: 200, text: 'at 200' });
    expect(textOf((await store.load(key, 100))?.bytes)).toBe('at 100');
    expect(await store.load(key, 150)).toBeUndefined();
    expect(await store.load(newKey())).toBeUndefined();
  });

  it('replaces a version saved again', async () => {
    const store = openShared(kind);
    const key = newKey();
    await store.save(key, 100, bytesOf('first'));
    await store.save(key, 100, bytesOf('again'));
    expect(textOf((await store.load(key, 100))?.bytes)).toBe('again');
    expect(await store.versions(key)).toEqual([100]);
  });

  it('keeps the newest three versions, and the version the caller still trusts', async () => {
    const store = openShared(kind);
    const key = newKey();
    for (const version of [100, 200, 300, 400]) await store.save(key, version, bytesOf(`at ${version}`));
    expect(await store.versions(key)).toEqual([200, 300, 400]);
    for (const version of [450, 500, 550]) await store.save(key, version, bytesOf(`at ${version}`), { keepVersion: 400 });
    expect(await store.versions(key)).toEqual([400, 450, 500, 550]);
    expect(textOf((await store.load(key, 400))?.bytes)).toBe('at 400');
  });

  it('orders versions numerically', async () => {
    const store = openShared(kind);
    const key = newKey();
    for (const version of [9, 10, 1_000_000_000_000]) await store.save(key, version, bytesOf(`at ${version}`));
    expect(await store.versions(key)).toEqual([9, 10, 1_000_000_000_000]);
    expect((await store.load(key))?.version).toBe(1_000_000_000_000);
  });

  it('never returns a corrupt or truncated checkpoint', async () => {
    const store = openShared(kind);
    const key = newKey();
    await store.save(key, 100, bytesOf('a model of some size'));
    await corrupt(kind, key, 100, Buffer.concat([Buffer.from('VMS1'), Buffer.alloc(32), Buffer.from('a model of some size')]));
    await expect(store.load(key, 100)).rejects.toBeInstanceOf(ModelStoreCorruptError);
    await corrupt(kind, key, 100, Buffer.from('VMS1abc'));
    await expect(store.load(key)).rejects.toThrow(/version 100 of device ".*" field "value" is corrupt \(bad header\)/);
  });

  it('never hands out part of a checkpoint while it is being written, and survives concurrent saves of one version', async () => {
    const store = openShared(kind);
    const key = newKey();
    // Megabytes, as a model with NAB's parameters is; a reader racing the writers sees a whole one or none.
    const big = (fill: number) => new Uint8Array(Buffer.alloc(3 * 1024 * 1024, fill));
    const reads: Array<number | undefined> = [];
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const loaded = await store.load(key, 7);
        reads.push(loaded === undefined ? undefined : loaded.bytes.length);
        if (loaded !== undefined) expect(new Set(loaded.bytes).size).toBe(1);
      }
    })();
    await Promise.all(Array.from({ length: 4 }, (_, i) => store.save(key, 7, big(i + 1))));
    writing = false;
    await reader;
    expect(reads.every((length) => length === undefined || length === 3 * 1024 * 1024)).toBe(true);
    expect((await store.load(key, 7))?.bytes.length).toBe(3 * 1024 * 1024);
    expect(await store.versions(key)).toEqual([7]);
  });

  it('keeps any device id and field apart', async () => {
    const store = openShared(kind);
    const keys: ModelKey[] = [
      { deviceId: `${run}/a/b`, field: 'c' },
      { deviceId: `${run}/a`, field: 'b/c' },
      { deviceId: `${run}-Device`, field: 'x' },
      { deviceId: `${run}-device`, field: 'x' },
      { deviceId: `${run}-capteur-é-Ω`, field: 'température' },
      { deviceId: `${run}-${'x'.repeat(300)}`, field: 'value' },
    ];
    for (const [index, each] of keys.entries()) await store.save(each, 1, bytesOf(`key ${index}`));
    for (const [index, each] of keys.entries()) expect(textOf((await store.load(each))?.bytes)).toBe(`key ${index}`);
  });

  it('behind a local cache folder: reads a cached version locally, a missing or unreadable one from the store, the newest always from the store', async () => {
    const shared = openShared(kind);
    const cacheDir = newFolder();
    const cached = new CachedModelStore(new LocalDirectoryModelStore(cacheDir), shared);
    const key = newKey();
    await cached.save(key, 100, bytesOf('at 100'));
    expect(await shared.versions(key)).toEqual([100]); // saved to the shared store
    expect(await cached.load(key, 100)).toMatchObject({ version: 100, source: 'cache' });

    // Another worker (with another cache) saves a newer version: the newest comes from the store.
    const elsewhere = new CachedModelStore(new LocalDirectoryModelStore(newFolder()), shared);
    await elsewhere.save(key, 200, bytesOf('at 200'));
    expect(await cached.load(key)).toMatchObject({ version: 200, source: 'shared' });
    expect(textOf((await cached.load(key, 200))?.bytes)).toBe('at 200');
    expect(await cached.load(key, 200)).toMatchObject({ source: 'cache' }); // cached by the read before

    // The cache folder wiped (a new host): every version still loads, from the store.
    rmSync(cacheDir, { recursive: true, force: true });
    expect(await cached.load(key, 100)).toMatchObject({ version: 100, source: 'shared' });

    // A corrupt cached file is skipped for the store's copy.
    const keyDir = path.join(cacheDir, keyDirectoryName(key));
    for (const name of readdirSync(keyDir)) writeFileSync(path.join(keyDir, name), 'rotten');
    const errors: unknown[] = [];
    const noticing = new CachedModelStore(new LocalDirectoryModelStore(cacheDir), shared, (error) => errors.push(error));
    expect(await noticing.load(key, 100)).toMatchObject({ version: 100, source: 'shared' });
    expect(errors[0]).toBeInstanceOf(ModelStoreCorruptError);
  });

  it('is what VIGIL_MODEL_STORE opens, behind the cache folder VIGIL_MODEL_CACHE_DIR', async () => {
    const cacheDir = newFolder();
    const config = loadConfig({ ...process.env, ...sharedStoreEnv(kind, run), VIGIL_MODEL_CACHE_DIR: cacheDir });
    const store = openModelStore({ kind: 'cached', cacheDir, shared: sharedStoreSpecOf(config.modelStore) });
    opened.push(store);
    const key = newKey();
    await store.save(key, 5, bytesOf('five'));
    expect(textOf((await openShared(kind).load(key, 5))?.bytes)).toBe('five');
    expect(readdirSync(path.join(cacheDir, keyDirectoryName(key)))).toEqual(['0000000000000005.model']);
  });
});

describe('a shared store that cannot be reached', () => {
  it('is one line naming the bucket or the database at the worker’s start', async () => {
    const missingBucket = loadConfig({ ...process.env, ...sharedStoreEnv('s3', run), VIGIL_MODEL_STORE: `s3://no-such-bucket-${run}/m` });
    await expect(prepareModelStore(missingBucket)).rejects.toThrow(`S3 at s3://no-such-bucket-${run}: the bucket does not exist; create it, or name another in VIGIL_MODEL_STORE`);
    const port = loadConfig().postgres.port;
    const missingDatabase = loadConfig({ ...process.env, VIGIL_MODEL_STORE: `postgres://vigil@127.0.0.1:${port}/no_such_database` });
    await expect(prepareModelStore(missingDatabase)).rejects.toThrow(/^PostgreSQL at 127\.0\.0\.1:\d+\/no_such_database: the database does not exist \(.*\); check VIGIL_MODEL_STORE$/);
  });
});
