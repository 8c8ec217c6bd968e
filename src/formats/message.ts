import type { z } from 'zod';
import { type Reading, readingSchema } from '../reading';
import type { InputFormat, MessageMeta } from './format';
import { Rejection } from './rejection';

/**
 * From a Kafka message to a canonical reading, or a Rejection that says why not (which becomes
 * the dead letter's reason): size, key, encoding, JSON or the format's line syntax, its schema.
 */

// Node's global TextDecoder: a fatal one refuses bytes that are not UTF-8 instead of replacing them.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'does not match the schema';
  const where = issue.path.length > 0 ? issue.path.join('.') : 'record';
  return `${where}: ${issue.message}`;
}

/** Rejects an own `__proto__` key, which later copies would silently turn into a prototype. */
function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new Rejection('invalid-schema', '"__proto__" is not allowed as a key');
  return value;
}

export function parseJson(text: string): unknown {
  try {
    // The reviver costs a call per key, so only text that mentions the key pays for it.
    return text.includes('"__proto__"') ? JSON.parse(text, refuseProtoKey) : JSON.parse(text);
  } catch (error) {
    if (error instanceof Rejection) throw error;
    throw new Rejection('invalid-json', (error as Error).message);
  }
}

/** Validates parsed JSON against the format's wire schema and maps it to a canonical reading. */
export function toCanonical(format: InputFormat, json: unknown, meta: MessageMeta): Reading {
  const wire = format.wireSchema.safeParse(json);
  if (!wire.success) throw new Rejection('invalid-schema', firstIssue(wire.error));
  const canonical = readingSchema.safeParse(format.toReading(wire.data, meta));
  if (!canonical.success) throw new Rejection('invalid-schema', firstIssue(canonical.error));
  return canonical.data;
}

/**
 * The text of a bounded, UTF-8 message, or a Rejection saying which of these it is not. A key is
 * not required: a record that names its device is accepted without one (see `decodeMessage`).
 */
export function messageText(value: Buffer | null, maxBytes: number): string {
  if (!value || value.length === 0) throw new Rejection('invalid-json', 'empty message');
  if (value.length > maxBytes) throw new Rejection('oversized', `${value.length} bytes > limit ${maxBytes}`);
  try {
    return strictUtf8.decode(value);
  } catch {
    throw new Rejection('invalid-encoding', 'the value is not valid UTF-8');
  }
}

/** True when the message carries no key (null, or empty as some clients send "no key"). */
export const isUnkeyed = (key: string | undefined): boolean => key === undefined || key === '';

/**
 * A key, when there is one, must name the record's device: it decided the partition, and so the
 * device's order. `sameDevice` lets a format say two spellings are one device (EPA codes with
 * and without their leading zeros). No key: nothing to match.
 */
export function requireKeyMatches(key: string | undefined, deviceId: string, sameDevice?: (key: string, deviceId: string) => boolean): void {
  if (isUnkeyed(key) || key === deviceId || sameDevice?.(key as string, deviceId)) return;
  throw new Rejection('key-mismatch', `key ${JSON.stringify(key)} ≠ device id ${JSON.stringify(deviceId)}`);
}

/** A message's text as the format's raw object: JSON, or the format's own line syntax. */
export function parseText(format: InputFormat, text: string): unknown {
  return format.parseText ? format.parseText(text) : parseJson(text);
}

/**
 * Turns one Kafka message into a canonical reading, or throws a Rejection. A record that names
 * its device is accepted with or without a key; with one, the key must be that device.
 */
export function decodeMessage(format: InputFormat, value: Buffer | null, meta: MessageMeta, maxBytes: number): Reading {
  const text = messageText(value, maxBytes);
  if (format.deviceIdFromKey) {
    // The record names no device, so there is nothing for the key to match: it is the id.
    const deviceId = format.deviceIdFromKey(meta.key);
    return toCanonical(format, parseText(format, text), { ...meta, key: deviceId });
  }
  const reading = toCanonical(format, parseText(format, text), meta);
  requireKeyMatches(meta.key, reading.deviceId, format.sameDevice);
  return reading;
}
