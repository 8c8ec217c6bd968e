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
 * The text of a keyed, bounded, UTF-8 message, or a Rejection saying which of these it is not.
 * `keyRequired` false: the format itself decides what a missing key means.
 */
export function messageText(value: Buffer | null, meta: MessageMeta, maxBytes: number, keyRequired = true): string {
  if (!value || value.length === 0) throw new Rejection('invalid-json', 'empty message');
  if (value.length > maxBytes) throw new Rejection('oversized', `${value.length} bytes > limit ${maxBytes}`);
  if (keyRequired && (meta.key === undefined || meta.key === '')) throw new Rejection('missing-key', 'the message has no key');
  try {
    return strictUtf8.decode(value);
  } catch {
    throw new Rejection('invalid-encoding', 'the value is not valid UTF-8');
  }
}

export function requireKeyMatches(key: string | undefined, deviceId: string): void {
  if (deviceId !== key) throw new Rejection('key-mismatch', `key ${JSON.stringify(key)} ≠ device id ${JSON.stringify(deviceId)}`);
}

/** A message's text as the format's raw object: JSON, or the format's own line syntax. */
export function parseText(format: InputFormat, text: string): unknown {
  return format.parseText ? format.parseText(text) : parseJson(text);
}

/**
 * Turns one Kafka message into a canonical reading, or throws a Rejection.
 * The key must name the device: it decides the partition, and so the device's order.
 */
export function decodeMessage(format: InputFormat, value: Buffer | null, meta: MessageMeta, maxBytes: number): Reading {
  if (format.deviceIdFromKey) {
    // The record names no device, so there is nothing for the key to match: it is the id.
    const text = messageText(value, meta, maxBytes, false);
    const deviceId = format.deviceIdFromKey(meta.key);
    return toCanonical(format, parseText(format, text), { ...meta, key: deviceId });
  }
  const reading = toCanonical(format, parseText(format, messageText(value, meta, maxBytes)), meta);
  requireKeyMatches(meta.key, reading.deviceId);
  return reading;
}
