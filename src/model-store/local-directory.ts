import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { assertValidVersion, describeKey, type ModelKey, type ModelStore, type SaveOptions, type StoredModel } from './model-store';

/** File header: magic "VMS1", then the SHA-256 of the payload (checked on every load). */
const MAGIC = Buffer.from('VMS1', 'ascii');
const DIGEST_BYTES = 32;
const HEADER_BYTES = MAGIC.length + DIGEST_BYTES;
/** Version numbers are safe integers: at most 16 decimal digits, so padding keeps names sortable. */
const VERSION_DIGITS = 16;
const VERSION_FILE = /^(\d{16})\.model$/;
const TEMP_PREFIX = '.tmp-';
/** A temp file this old belongs to a writer that died mid-save: nobody will rename it. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Most file systems cap a name at 255 bytes; longer keys fall back to a hash. */
const MAX_DIRECTORY_NAME = 200;

export class ModelStoreCorruptError extends Error {
  override readonly name = 'ModelStoreCorruptError';
}

export interface LocalDirectoryModelStoreOptions {
  /** How many of the newest versions each key keeps (default 3). */
  keepVersions?: number;
}

/**
 * Checkpoints in a local folder: `<dir>/<key>/<version>.model`, one folder per (device,
 * field). Single-machine only: workers on several machines need a shared `ModelStore`.
 *
 * - Key folders are the hex of the UTF-8 device id and field joined by '.', so any id is a
 *   safe file name, and case-insensitive file systems cannot merge two keys (base64 could).
 * - Writes are atomic: a uniquely named temp file in the key's folder, fsync, rename over
 *   the final name, fsync the folder. A crash leaves the old state or the new one, never a
 *   partial file under a version name; a SHA-256 header catches anything else (bit rot, a
 *   file system that reorders writes) as a `ModelStoreCorruptError` instead of a bad model.
 * - Each save keeps the newest `keepVersions` versions plus `options.keepVersion`.
 */
export class LocalDirectoryModelStore implements ModelStore {
  private readonly keepVersions: number;

  constructor(
    readonly dir: string,
    options: LocalDirectoryModelStoreOptions = {},
  ) {
    this.keepVersions = options.keepVersions ?? 3;
    if (!Number.isInteger(this.keepVersions) || this.keepVersions < 1) throw new RangeError(`keepVersions must be a whole number ≥ 1, got ${this.keepVersions}`);
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

    const digest = createHash('sha256').update(bytes).digest();
    const tempPath = path.join(keyDir, `${TEMP_PREFIX}${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`);
    try {
      const handle = await open(tempPath, 'wx');
      try {
        await handle.writev([MAGIC, digest, bytes]);
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
    const versions = await listVersions(keyDir);
    const doomed = versions.slice(0, Math.max(0, versions.length - this.keepVersions)).filter((version) => version !== keepVersion);
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
  const corrupt = (why: string) => new ModelStoreCorruptError(`model checkpoint version ${version} of ${describeKey(key)} is corrupt (${why}): ${file}`);
  if (contents.length < HEADER_BYTES || !contents.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('bad header');
  const payload = contents.subarray(HEADER_BYTES);
  const expected = contents.subarray(MAGIC.length, HEADER_BYTES);
  if (!createHash('sha256').update(payload).digest().equals(expected)) throw corrupt('checksum mismatch');
  return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
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
