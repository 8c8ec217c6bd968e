import type { BadMessage } from './sensor-run';

/** A valid sensor record's JSON, for the kinds whose fault is elsewhere (key, encoding). */
const record = (id: string, n: number) => JSON.stringify({ id, ts: 1_790_000_000_000 + n, temp: 21, hum: 45 });

/**
 * One kind of hostile record: `n` makes each one unique, so each dead letter can be matched to
 * the record it came from; `id` is a device of the run and `other` another one, so the hostile
 * records share the partitions of the valid readings.
 */
type HostileKind = (n: number, id: string, other: string) => BadMessage;

const kinds: HostileKind[] = [
  // Malformed JSON, including the non-finite literals JSON has no syntax for.
  (n, id) => ({ key: id, value: `{"id": "${id}", "ts": ${n}`, reason: 'invalid-json' }),
  (n, id) => ({ key: id, value: `${record(id, n)} and more`, reason: 'invalid-json' }),
  (n, id) => ({ key: id, value: `{'id': '${id}', 'ts': ${n}, 'temp': 1, 'hum': 2}`, reason: 'invalid-json' }),
  (n, id) => ({ key: id, value: `{"id": "${id}", "ts": ${n}, "temp": NaN, "hum": 2}`, reason: 'invalid-json' }),
  (n, id) => ({ key: id, value: `{"id": "${id}", "ts": ${n}, "temp": 1, "hum": -Infinity}`, reason: 'invalid-json' }),
  (_, id) => ({ key: id, value: null, reason: 'invalid-json' }),
  (_, id) => ({ key: id, value: '', reason: 'invalid-json' }),
  // Wrong types, numbers JSON turns into ±Infinity, and shapes that are not a record.
  (n, id) => ({ key: id, value: JSON.stringify({ id, ts: String(n), temp: 1, hum: 2 }), reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: JSON.stringify({ id, ts: n, temp: '21.5', hum: 2 }), reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: JSON.stringify({ id, ts: n, temp: 1, hum: true }), reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: JSON.stringify({ id, ts: n, temp: 1 }), reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: JSON.stringify({ id, ts: n + 0.5, temp: 1, hum: 2 }), reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: JSON.stringify({ id, ts: -1 - n, temp: 1, hum: 2 }), reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: JSON.stringify({ id, ts: n, temp: 'NaN', hum: 2 }), reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: `{"id": "${id}", "ts": ${n}, "temp": 1e999, "hum": 2}`, reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: `{"id": "${id}", "ts": ${n}, "temp": 1, "hum": -1e999}`, reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: JSON.stringify([id, n, 1, 2]), reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: String(n), reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: `{"id": "${id}", "ts": ${n}, "temp": 1, "hum": 2, "__proto__": {"admin": true}}`, reason: 'invalid-schema' }),
  (n, id) => ({ key: id, value: `${'['.repeat(5000)}${n}${']'.repeat(5000)}`, reason: 'invalid-schema' }),
  // Device ids a real limit forbids: they become workflow ids and Kafka keys.
  (n) => ({ key: `ctl\u0000${n}`, value: record(`ctl\u0000${n}`, n), reason: 'invalid-schema' }),
  (n) => ({ key: `${n}-`.padEnd(201, 'é'), value: record(`${n}-`.padEnd(201, 'é'), n), reason: 'invalid-schema' }),
  (n) => ({ key: String(n), value: record('', n), reason: 'invalid-schema' }),
  // Not UTF-8: a stray byte, UTF-16 with its byte-order mark, an encoded surrogate, an overlong '/'.
  (n, id) => ({ key: id, value: Buffer.concat([Buffer.from(`{"id": "${id}", "ts": ${n}, "temp": `), Buffer.from([0xff]), Buffer.from(', "hum": 2}')]), reason: 'invalid-encoding' }),
  (n, id) => ({ key: id, value: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(record(id, n), 'utf16le')]), reason: 'invalid-encoding' }),
  (n, id) => ({ key: id, value: Buffer.concat([Buffer.from(`{"id": "${id}`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(`", "ts": ${n}}`)]), reason: 'invalid-encoding' }),
  (n, id) => ({ key: id, value: Buffer.concat([Buffer.from(`{"id": "${id}`), Buffer.from([0xc0, 0xaf]), Buffer.from(`", "ts": ${n}}`)]), reason: 'invalid-encoding' }),
  // No key, and nothing in the record that names a device: there is no device to take it.
  (n) => ({ key: null, value: record('', n), reason: 'invalid-schema' }),
  (n) => ({ key: '', value: `{"ts": ${n}, "temp": 1, "hum": 2}`, reason: 'invalid-schema' }),
  // The key names another device than the record: another device, case, a space, Unicode
  // normalisation (NFD key, NFC id), and a lone surrogate that no key can carry.
  (n, id, other) => ({ key: other, value: record(id, n), reason: 'key-mismatch' }),
  (n, id) => ({ key: id.toUpperCase(), value: record(id, n), reason: 'key-mismatch' }),
  (n, id) => ({ key: `${id} `, value: record(id, n), reason: 'key-mismatch' }),
  (n, id) => ({ key: `${id}-é`.normalize('NFD'), value: record(`${id}-é`.normalize('NFC'), n), reason: 'key-mismatch' }),
  (n, id) => ({ key: `${id}-\ud800`, value: record(`${id}-\ud800`, n), reason: 'key-mismatch' }),
  // Larger than the ingest's 64 KB limit.
  (n, id) => ({ key: id, value: JSON.stringify({ id, ts: n, temp: 1, hum: 2, pad: 'x'.repeat(70 * 1024) }), reason: 'oversized' }),
];

export const HUGE_BYTES = 2 * 1024 * 1024;

/**
 * `count` hostile records of every kind above in turn, `huge` of them 2 MB payloads spread
 * evenly, each with the DLQ reason it must get. Their keys are `deviceIds`, in turn.
 */
export function hostileMessages(deviceIds: string[], count: number, huge: number): BadMessage[] {
  const hugeEvery = Math.floor(count / huge);
  return Array.from({ length: count }, (_, n) => {
    const id = deviceIds[n % deviceIds.length] as string;
    const other = deviceIds[(n + 1) % deviceIds.length] as string;
    if (n % hugeEvery === hugeEvery - 1) {
      return { key: id, value: JSON.stringify({ id, ts: n, temp: 1, hum: 2, pad: 'x'.repeat(HUGE_BYTES) }), reason: 'oversized' };
    }
    return (kinds[n % kinds.length] as HostileKind)(n, id, other);
  });
}

/**
 * Device ids that look hostile but are valid, so they must be applied like any other: accents,
 * CJK and emoji, right-to-left text with a combining mark, and one at the 200-character limit.
 */
export function unicodeDeviceIds(runName: string): string[] {
  const atLimit = `${runName}-${'🙂'.repeat(100)}`.slice(0, 199);
  return [
    `${runName}-capteur-é-温度-🙂`,
    `${runName}-שלום-e\u0301`,
    `${runName}-"quoted" <b>&amp;</b> 'x'`,
    // Cut so no emoji is split in half, then padded to exactly 200 UTF-16 units.
    (/[\ud800-\udbff]$/.test(atLimit) ? atLimit.slice(0, -1) : atLimit).padEnd(200, 'é'),
  ];
}
