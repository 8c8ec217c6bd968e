import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { framedParts, unframe } from './checkpoint-frame';
import { assertValidVersion, describeKey, type ModelKey, type ModelStore, type SaveOptions, type StoredModel } from './model-store';
import { doomedVersions, keepVersionsOf } from './retention';
/** Version numbers are safe integers: at most 16 decimal digits, so padding keeps names sortable. */
const VERSION_DIGITS = 16;
const VERSION_FILE = /^(\d{16})\.model$/;
const TEMP_PREFIX = '.tmp-';
/** A temp file this old belongs to a writer that died mid-save: nobody will rename it. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Most file systems cap a name at 255 bytes; longer keys fall back to a hash. */
const MAX_DIRECTORY_NAME = 200;

export interface LocalDirectoryModelStoreOptions {
  /** How many of the newest versions each key keeps (default 3). */
  keepVersions?: number;
}

/**
 * Checkpoints in a local folder: `<dir>/<key>/<version>.model`, one folder per (device,
 * field). On its own it serves one machine; workers on several machines use a shared store
 * (PostgreSQL, S3) with a local folder as its cache (`CachedModelStore`).
 *
 * - Key folders are the hex of the UTF-8 device id and field joined by '.', so any id is a
 *   safe file name, and case-insensitive file systems cannot merge two keys (base64 could).
 * - Writes are atomic: a uniquely named temp file in the key's folder, fsync, rename over
 *   the final name, fsync the folder. A crash leaves the old state or the new one, never a
 *   partial file under a version name; the SHA-256 header (checkpoint-frame.ts) catches anything
 *   else (bit rot, a file system that reorders writes) as a `ModelStoreCorruptError`.
 * - Each save keeps the newest `keepVersions` versions plus `options.keepVersion`.
 */
export class LocalDirectoryModelStore implements ModelStore {
  private readonly keepVersions: number;

  constructor(
    readonly dir: string,
    options: LocalDirectoryModelStoreOptions = {},
  ) {
    this.keepVersions = keepVersionsOf(options.keepVersions);
  }

  async load(key: ModelKey, version?: number): Promise<StoredModel | undefined> {
    const keyDir = this.keyDirectory(key);
    if (version !== undefined) {
      assertValidVersion(version);
      const bytes = await readVerified(keyDir, version, key);
      return bytes === undefined ? undefined : { version, bytes };
    }
    // Newest first; a version pruned by a concurrent save between listing and reading is skipped.
    for (const candidate of (await listVersions(keyDir)).reverse()) {
      const bytes = await readVerified(keyDir, candidate, key);
      if (bytes !== undefined) return { version: candidate, bytes };
    }
    return undefined;
  }

  async save(key: ModelKey, version: number, bytes: Uint8Array, options: SaveOptions = {}): Promise<void> {
    assertValidVersion(version);
    const keyDir = this.keyDirectory(key);
    const createdFrom = await mkdir(keyDir, { recursive: true });
    // A new folder is durable only once its parent's entry is: fsync the parent.
    if (createdFrom !== undefined) await fsyncDirectory(path.dirname(keyDir));

    const tempPath = path.join(keyDir, `${TEMP_PREFIX}${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`);
    try {
      const handle = await open(tempPath, 'wx');
      try {
        await handle.writev(framedParts(bytes));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tempPath, path.join(keyDir, versionFileName(version)));
    } catch (error) {
      await unlink(tempPath).catch(() => undefined);
      throw error;
    }
    await fsyncDirectory(keyDir);
    await this.prune(keyDir, options.keepVersion);
  }

  /** The versions stored for a key, oldest first. */
  async versions(key: ModelKey): Promise<number[]> {
    return listVersions(this.keyDirectory(key));
  }

  keyDirectory(key: ModelKey): string {
    return path.join(this.dir, keyDirectoryName(key));
  }

  private async prune(keyDir: string, keepVersion: number | undefined): Promise<void> {
    const doomed = doomedVersions(await listVersions(keyDir), this.keepVersions, keepVersion);
    for (const version of doomed) await unlink(path.join(keyDir, versionFileName(version))).catch(ignoreMissing);
    await removeStaleTempFiles(keyDir);
  }
}

export function keyDirectoryName(key: ModelKey): string {
  if (key.deviceId === '' || key.field === '') throw new RangeError(`model key needs a device id and a field, got ${describeKey(key)}`);
  const name = `${Buffer.from(key.deviceId, 'utf8').toString('hex')}.${Buffer.from(key.field, 'utf8').toString('hex')}`;
  if (name.length <= MAX_DIRECTORY_NAME) return name;
  // Hex names always contain '.', hashed ones never do: the two cannot collide.
  return `sha256-${createHash('sha256').update(JSON.stringify([key.deviceId, key.field])).digest('hex')}`;
}

function versionFileName(version: number): string {
  return `${String(version).padStart(VERSION_DIGITS, '0')}.model`;
}

async function listVersions(keyDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(keyDir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const versions: number[] = [];
  for (const name of names) {
    const match = VERSION_FILE.exec(name);
    if (match?.[1] !== undefined) versions.push(Number(match[1]));
  }
  return versions.sort((a, b) => a - b);
}

async function readVerified(keyDir: string, version: number, key: ModelKey): Promise<Uint8Array | undefined> {
  const file = path.join(keyDir, versionFileName(version));
  let contents: Buffer;
  try {
    contents = await readFile(file);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  return unframe(contents, key, version, file);
}

async function removeStaleTempFiles(keyDir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(keyDir)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const file = path.join(keyDir, name);
    const info = await stat(file).catch(() => undefined);
    if (info !== undefined && now - info.mtimeMs > STALE_TEMP_MS) await unlink(file).catch(ignoreMissing);
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows, a few network file systems) cannot fsync a directory; the
    // rename is still atomic there, only its durability across power loss is weaker.
    if (!isErrorCode(error, 'EINVAL') && !isErrorCode(error, 'EPERM') && !isErrorCode(error, 'EISDIR')) throw error;
  } finally {
    await handle?.close();
  }
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function isMissing(error: unknown): boolean {
  return isErrorCode(error, 'ENOENT');
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}
