import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseOf, describePostgresSecurity, postgresClientConfig, postgresConnectionFromEnv, postgresTlsOptions } from '../../../src/security/postgres-ssl';

const tls = path.resolve(__dirname, '../../fixtures/tls');
const pem = (file: string) => fs.readFileSync(path.join(tls, file), 'utf8');
const read = (file: string) => fs.readFileSync(path.join(tls, path.basename(file)), 'utf8');
const LOCAL = 'postgres://vigil@127.0.0.1:5433/vigil';
const connection = (env: NodeJS.ProcessEnv) => postgresConnectionFromEnv(env, LOCAL, read);

describe("PostgreSQL's address, password and TLS, with libpq's meaning of sslmode", () => {
  it('is the local server in plaintext without settings', () => {
    const local = connection({});
    expect(local).toEqual({ url: LOCAL, password: undefined, ssl: { mode: 'disable', modeOrigin: 'default', ca: undefined, cert: undefined, key: undefined } });
    expect(postgresClientConfig(local)).toEqual({ connectionString: LOCAL, ssl: false });
    expect(describePostgresSecurity(local)).toBe('plaintext');
  });

  it('keeps the password out of the printable URL and puts it back, encoded, only for node-pg', () => {
    const db = connection({ DATABASE_URL: 'postgres://app:p%40ss%3Aw%2Frd%25@db.example.com:5432/vigil?sslmode=require&application_name=vigil' });
    expect(db.url).toBe('postgres://app@db.example.com:5432/vigil?sslmode=require&application_name=vigil');
    expect(db.password?.reveal()).toBe('p@ss:w/rd%');
    expect(String(db.password)).toBe('[redacted]');
    expect(postgresClientConfig(db)).toEqual({
      connectionString: 'postgres://app:p%40ss%3Aw%2Frd%25@db.example.com:5432/vigil?application_name=vigil',
      ssl: { rejectUnauthorized: false },
    });
    expect(postgresClientConfig(db, { database: 'postgres', connectionTimeoutMillis: 2000 })).toEqual({
      connectionString: 'postgres://app:p%40ss%3Aw%2Frd%25@db.example.com:5432/postgres?application_name=vigil',
      ssl: { rejectUnauthorized: false },
      connectionTimeoutMillis: 2000,
    });
    expect(databaseOf(db)).toBe('vigil');
  });

  it('verifies the chain and the name with verify-full and a CA from the URL', () => {
    const db = connection({ DATABASE_URL: 'postgres://app@db.example.com/vigil?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem' });
    expect(db.ssl.mode).toBe('verify-full');
    expect(db.ssl.ca).toEqual({ pem: pem('ca.pem'), origin: { variable: 'sslrootcert in DATABASE_URL', path: '/etc/ssl/ca.pem' } });
    expect(postgresTlsOptions(db.ssl)).toEqual({ ca: pem('ca.pem'), rejectUnauthorized: true });
    expect(describePostgresSecurity(db)).toBe('TLS (sslmode verify-full)');
  });

  it('verifies only the chain with verify-ca, and with require and a CA (libpq); require alone only encrypts', () => {
    const verifyCa = postgresTlsOptions(connection({ DATABASE_URL: 'postgres://a@h/d?sslmode=verify-ca&sslrootcert=/ca.pem' }).ssl);
    expect(verifyCa).toMatchObject({ ca: pem('ca.pem'), rejectUnauthorized: true });
    expect(typeof (verifyCa as { checkServerIdentity?: unknown }).checkServerIdentity).toBe('function');
    const requireWithCa = postgresTlsOptions(connection({ DATABASE_URL: 'postgres://a@h/d?sslmode=require&sslrootcert=/ca.pem' }).ssl);
    expect(requireWithCa).toMatchObject({ ca: pem('ca.pem'), rejectUnauthorized: true });
    expect((requireWithCa as { checkServerIdentity: () => unknown }).checkServerIdentity()).toBeUndefined();
    expect(postgresTlsOptions(connection({ DATABASE_URL: 'postgres://a@h/d?sslmode=require' }).ssl)).toEqual({ rejectUnauthorized: false });
  });

  it('falls back to PGSSLMODE, PGSSLROOTCERT, PGSSLCERT and PGSSLKEY, which the URL overrides; a CA alone means verify-full', () => {
    const fromEnv = connection({ DATABASE_URL: 'postgres://a@h/d', PGSSLROOTCERT: '/ca.pem', PGSSLCERT: '/client.pem', PGSSLKEY: '/client.key' });
    expect([fromEnv.ssl.mode, fromEnv.ssl.modeOrigin, fromEnv.ssl.ca?.origin.variable, fromEnv.ssl.cert?.origin.variable, fromEnv.ssl.key?.origin.variable]).toEqual([
      'verify-full',
      'implied by PGSSLROOTCERT',
      'PGSSLROOTCERT',
      'PGSSLCERT',
      'PGSSLKEY',
    ]);
    expect(postgresTlsOptions(fromEnv.ssl)).toEqual({ ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key'), rejectUnauthorized: true });
    const urlWins = connection({ DATABASE_URL: 'postgres://a@h/d?sslmode=disable', PGSSLMODE: 'verify-full' });
    expect([urlWins.ssl.mode, urlWins.ssl.modeOrigin]).toEqual(['disable', 'sslmode in DATABASE_URL']);
    expect(connection({ PGSSLMODE: 'require' }).ssl).toMatchObject({ mode: 'require', modeOrigin: 'PGSSLMODE' });
    // libpq's `sslrootcert=system`: the system's CAs.
    expect(postgresTlsOptions(connection({ DATABASE_URL: 'postgres://a@h/d?sslrootcert=system' }).ssl)).toEqual({ rejectUnauthorized: true });
  });

  it('stops on what node-pg cannot do or would override, and on contradictions, without echoing the URL', () => {
    expect(() => connection({ DATABASE_URL: 'postgres://a@h/d?sslmode=prefer' })).toThrow(
      new Error('sslmode in DATABASE_URL=prefer: node-pg cannot fall back between plaintext and TLS; use sslmode=require (or verify-full) for TLS, disable for none'),
    );
    expect(() => connection({ DATABASE_URL: 'postgres://a@h/d?sslmode=verify-ca' })).toThrow(
      new Error('sslmode in DATABASE_URL=verify-ca needs the CA: sslrootcert in DATABASE_URL or PGSSLROOTCERT'),
    );
    expect(() => connection({ DATABASE_URL: 'postgres://a@h/d?sslmode=strict' })).toThrow(
      new Error('sslmode in DATABASE_URL must be one of disable, require, verify-ca, verify-full, not "strict"'),
    );
    expect(() => connection({ DATABASE_URL: 'postgres://a@h/d?ssl=true' })).toThrow(
      new Error('DATABASE_URL: the parameter ssl is not supported; use sslmode (disable, require, verify-ca, verify-full)'),
    );
    expect(() => connection({ DATABASE_URL: 'postgres://a@h/d?sslmode=disable&sslrootcert=/ca.pem' })).toThrow(
      new Error('sslmode in DATABASE_URL=disable contradicts sslrootcert in DATABASE_URL: unset one or the other'),
    );
    expect(() => connection({ DATABASE_URL: 'mysql://a:hunter22@h/d' })).toThrow(new Error('DATABASE_URL must start with postgres:// or postgresql://'));
    expect(() => connection({ DATABASE_URL: 'not a url with hunter22' })).toThrow(new Error('DATABASE_URL is not a URL: postgres://user:password@host:port/database?sslmode=verify-full'));
  });
});
