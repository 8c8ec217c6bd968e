import { createHash } from 'node:crypto';
import { describeKey, type ModelKey } from './model-store';

/**
 * How every store keeps a checkpoint's bytes: magic "VMS1", the SHA-256 of the payload, the
 * payload. A store that hands back bytes another writer left half-written, or that bit rot
 * changed, is caught on load as a `ModelStoreCorruptError` instead of becoming a bad model.
 */
const MAGIC = Buffer.from('VMS1', 'ascii');
const DIGEST_BYTES = 32;
const HEADER_BYTES = MAGIC.length + DIGEST_BYTES;

export class ModelStoreCorruptError extends Error {
  override readonly name = 'ModelStoreCorruptError';
}

/** The parts to write, in order (a file store writes them with one writev). */
export function framedParts(bytes: Uint8Array): Uint8Array[] {
  return [MAGIC, createHash('sha256').update(bytes).digest(), bytes];
}

export function frame(bytes: Uint8Array): Buffer {
  return Buffer.concat(framedParts(bytes));
}

/**
 * The payload of a framed checkpoint, checked against its digest; `where` says where it was
 * read (a file, an object, a row) in the error.
 */
export function unframe(contents: Uint8Array, key: ModelKey, version: number, where: string): Uint8Array {
  const buffer = Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength);
  const corrupt = (why: string) => new ModelStoreCorruptError(`model checkpoint version ${version} of ${describeKey(key)} is corrupt (${why}): ${where}`);
  if (buffer.length < HEADER_BYTES || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('bad header');
  const payload = buffer.subarray(HEADER_BYTES);
  const expected = buffer.subarray(MAGIC.length, HEADER_BYTES);
  if (!createHash('sha256').update(payload).digest().equals(expected)) throw corrupt('checksum mismatch');
  return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
}
