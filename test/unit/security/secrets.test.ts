import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { REDACTED, Secret, scrubSecrets } from '../../../src/security/secret';

const tls = path.resolve(__dirname, '../../fixtures/tls');
const read = (file: string) => fs.readFileSync(path.join(tls, path.basename(file)), 'utf8');

/** Every secret Vigil's configuration can hold, each distinctive so a leak is found by search. */
const secrets = {
  apiKey: 'temporal-api-key-7f3a9c',
  saslPassword: 'kafka-scram-password-52be1d',
  dbPassword: 'pg-password-e8c4',
  boardToken: 'board-token-0123456789abcdef',
};
const env = {
  TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
  TEMPORAL_API_KEY: secrets.apiKey,
  TEMPORAL_TLS_CLIENT_CERT_PATH: '/client.pem',
  TEMPORAL_TLS_CLIENT_KEY_PATH: '/client.key',
  KAFKA_BROKERS: 'b-1.msk:9096',
  KAFKA_SSL: 'true',
  KAFKA_SSL_CERT: '/client.pem',
  KAFKA_SSL_KEY: '/client.key',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'vigil',
  KAFKA_SASL_PASSWORD: secrets.saslPassword,
  DATABASE_URL: `postgres://vigil:${secrets.dbPassword}@db.example.com:5432/vigil?sslmode=verify-full&sslkey=/client.key&sslcert=/client.pem`,
  VIGIL_BOARD_TOKEN: secrets.boardToken,
};
/** The private key's body: the part no log may hold. */
const privateKeyBody = read('client.key').split('\n')[1]!;
const leaks = (text: string) => [...Object.values(secrets), privateKeyBody].filter((secret) => text.includes(secret));

/** A logger as the processes' (same options, same scrubbing), writing into a string. */
function capturingLogger() {
  let written = '';
  const logger = createLogger(new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) }));
  return { logger, written: () => written };
}

describe('secrets never reach a log line, an inspection or an error', () => {
  it('a Secret shows [redacted] however it is turned into text, and gives its value only to reveal()', () => {
    const secret = new Secret('hunter2-value');
    expect([String(secret), `${secret}`, JSON.stringify({ secret }), inspect({ secret }), inspect(secret)]).toEqual([
      REDACTED,
      REDACTED,
      '{"secret":"[redacted]"}',
      '{ secret: [redacted] }',
      REDACTED,
    ]);
    expect(Object.keys(secret)).toEqual([]);
    expect(secret.reveal()).toBe('hunter2-value');
  });

  it('scrubs known secret values from text, also URL- and JSON-escaped, but not short ones', () => {
    new Secret('p@ss/w"rd-long');
    new Secret('abc');
    expect(scrubSecrets('url postgres://u:p%40ss%2Fw%22rd-long@h/d json "p@ss/w\\"rd-long" raw p@ss/w"rd-long abc')).toBe(
      'url postgres://u:[redacted]@h/d json "[redacted]" raw [redacted] abc',
    );
  });

  it('the whole configuration, with every kind of secret set, logs, serialises and inspects without one', () => {
    const config = loadConfig(env, read);
    // They are there, for the clients.
    expect([config.temporal.security.apiKey?.reveal(), config.kafka.security.sasl?.password.reveal(), config.postgres.password?.reveal(), config.board.token?.reveal()]).toEqual([
      secrets.apiKey,
      secrets.saslPassword,
      secrets.dbPassword,
      secrets.boardToken,
    ]);
    expect(config.postgres.url).toBe('postgres://vigil@db.example.com:5432/vigil?sslmode=verify-full&sslkey=/client.key&sslcert=/client.pem');
    const { logger, written } = capturingLogger();
    logger.info({ config }, 'configuration');
    logger.info(`as text: ${String(config.temporal.security.apiKey)} ${config.kafka.security.sasl?.password}`);
    expect(leaks(written())).toEqual([]);
    expect(leaks(JSON.stringify(config))).toEqual([]);
    expect(leaks(inspect(config, { depth: null }))).toEqual([]);
    expect(written()).toContain('"apiKey":"[redacted]"');
  });

  it('a secret that reaches a log line another way (a library error quoting it) is scrubbed from the line', () => {
    loadConfig(env, read);
    const { logger, written } = capturingLogger();
    logger.warn({ err: new Error(`auth failed for ${secrets.saslPassword}`), url: env.DATABASE_URL }, `connect with key ${secrets.apiKey}`);
    expect(leaks(written())).toEqual([]);
    expect(written()).toContain('auth failed for [redacted]');
  });

  it("a configuration error does not echo a secret's value", () => {
    const attempts = [
      { ...env, DATABASE_URL: `postgres://vigil:${secrets.dbPassword}@db/vigil?sslmode=prefer` },
      { ...env, DATABASE_URL: `postgres//vigil:${secrets.dbPassword}@db/vigil` },
      { ...env, VIGIL_BOARD_TOKEN: 'short-token' },
      { ...env, KAFKA_SASL_MECHANISM: 'kerberos' },
    ];
    const messages = attempts.map((attempt) => {
      try {
        loadConfig(attempt, read);
        return 'loaded';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(messages).toEqual([
      'sslmode in DATABASE_URL=prefer: node-pg cannot fall back between plaintext and TLS; use sslmode=require (or verify-full) for TLS, disable for none',
      'DATABASE_URL is not a URL: postgres://user:password@host:port/database?sslmode=verify-full',
      'VIGIL_BOARD_TOKEN must be at least 16 characters (e.g. openssl rand -hex 32)',
      'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, not "kerberos"',
    ]);
    expect(messages.flatMap(leaks)).toEqual([]);
  });
});
