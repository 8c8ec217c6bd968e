import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkKeyPair, envBoolean, envPem, envSecret, readNamedFile } from '../../../src/security/env-settings';

const tls = path.resolve(__dirname, '../../fixtures/tls');
const pem = (file: string) => fs.readFileSync(path.join(tls, file), 'utf8');
/** Files by name, as the tests' own file system; anything else does not exist. */
const files = (entries: Record<string, string>) => (file: string) => {
  if (file in entries) return entries[file]!;
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: 'ENOENT' });
};

describe('reading security settings from the environment', () => {
  it('takes true and false, and stops on anything else naming the variable', () => {
    expect(envBoolean({}, 'KAFKA_SSL')).toBeUndefined();
    expect(envBoolean({ KAFKA_SSL: '' }, 'KAFKA_SSL')).toBeUndefined();
    expect(envBoolean({ KAFKA_SSL: 'TRUE' }, 'KAFKA_SSL')).toBe(true);
    expect(envBoolean({ KAFKA_SSL: 'false' }, 'KAFKA_SSL')).toBe(false);
    expect(() => envBoolean({ KAFKA_SSL: 'yes' }, 'KAFKA_SSL')).toThrow(new Error('KAFKA_SSL must be true or false, not "yes"'));
  });

  it('reads a secret from its variable or from the file its _FILE twin names, never both', () => {
    expect(envSecret({}, 'TEMPORAL_API_KEY', files({}))).toBeUndefined();
    expect(envSecret({ TEMPORAL_API_KEY: 'key-one' }, 'TEMPORAL_API_KEY', files({}))?.reveal()).toBe('key-one');
    expect(envSecret({ TEMPORAL_API_KEY_FILE: '/run/secrets/key' }, 'TEMPORAL_API_KEY', files({ '/run/secrets/key': 'key-two\n' }))?.reveal()).toBe('key-two');
    expect(() => envSecret({ TEMPORAL_API_KEY: 'a', TEMPORAL_API_KEY_FILE: '/x' }, 'TEMPORAL_API_KEY', files({}))).toThrow(
      new Error('TEMPORAL_API_KEY and TEMPORAL_API_KEY_FILE are both set: set one'),
    );
    expect(() => envSecret({ TEMPORAL_API_KEY_FILE: '/run/secrets/none' }, 'TEMPORAL_API_KEY', files({}))).toThrow(
      new Error('TEMPORAL_API_KEY_FILE: cannot read /run/secrets/none (no such file)'),
    );
  });

  it('names the variable and the reason when a file cannot be read', () => {
    const refuse = (code: string) => () => {
      throw Object.assign(new Error(code), { code });
    };
    expect(() => readNamedFile('KAFKA_SSL_CA', '/etc/ca.pem', refuse('EACCES'))).toThrow(new Error('KAFKA_SSL_CA: cannot read /etc/ca.pem (permission denied)'));
    expect(() => readNamedFile('KAFKA_SSL_CA', '/etc', refuse('EISDIR'))).toThrow(new Error('KAFKA_SSL_CA: cannot read /etc (it is a folder)'));
  });

  it('reads a PEM file by path, under its name or an alias that agrees, or as PEM text', () => {
    const spec = { pathVariables: ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_CA'], dataVariable: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', kind: 'certificate' as const };
    const read = files({ '/ca.pem': pem('ca.pem'), '/other.pem': pem('other-ca.pem') });
    expect(envPem({}, spec, read)).toBeUndefined();
    expect(envPem({ TEMPORAL_TLS_CA: '/ca.pem' }, spec, read)).toEqual({ pem: pem('ca.pem'), origin: { variable: 'TEMPORAL_TLS_CA', path: '/ca.pem' } });
    expect(envPem({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem', TEMPORAL_TLS_CA: '/ca.pem' }, spec, read)?.origin).toEqual({ variable: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', path: '/ca.pem' });
    expect(envPem({ TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem('ca.pem') }, spec, read)).toEqual({ pem: pem('ca.pem'), origin: { variable: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA' } });
    expect(() => envPem({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem', TEMPORAL_TLS_CA: '/other.pem' }, spec, read)).toThrow(
      new Error('TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_CA name different files: set one'),
    );
    expect(() => envPem({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem', TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem('ca.pem') }, spec, read)).toThrow(
      new Error('TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_SERVER_CA_CERT_DATA are both set: set one'),
    );
    expect(() => envPem({ TEMPORAL_TLS_CA: '/missing.pem' }, spec, read)).toThrow(new Error('TEMPORAL_TLS_CA: cannot read /missing.pem (no such file)'));
  });

  it('refuses a file that holds no PEM block of its kind, and an encrypted key', () => {
    const read = files({ '/key.pem': pem('client.key'), '/cert.pem': pem('client.pem'), '/enc.pem': '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n' });
    expect(() => envPem({ KAFKA_SSL_CERT: '/key.pem' }, { pathVariables: ['KAFKA_SSL_CERT'], kind: 'certificate' }, read)).toThrow(
      new Error('KAFKA_SSL_CERT (/key.pem) holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)'),
    );
    expect(() => envPem({ KAFKA_SSL_KEY: '/cert.pem' }, { pathVariables: ['KAFKA_SSL_KEY'], kind: 'private key' }, read)).toThrow(
      new Error('KAFKA_SSL_KEY (/cert.pem) holds no PEM private key (a "-----BEGIN PRIVATE KEY-----" block)'),
    );
    expect(() => envPem({ KAFKA_SSL_KEY: '/enc.pem' }, { pathVariables: ['KAFKA_SSL_KEY'], kind: 'private key' }, read)).toThrow(
      new Error('KAFKA_SSL_KEY (/enc.pem) is an encrypted private key: give the key unencrypted (openssl pkey -in key.pem -out plain.pem)'),
    );
  });

  it("accepts a certificate with its own key and names both settings when the key is another's", () => {
    const cert = { pem: pem('client.pem'), origin: { variable: 'KAFKA_SSL_CERT', path: '/c.pem' } };
    expect(() => checkKeyPair(cert, { pem: pem('client.key'), origin: { variable: 'KAFKA_SSL_KEY', path: '/k.pem' } })).not.toThrow();
    expect(() => checkKeyPair(cert, { pem: pem('other-client.key'), origin: { variable: 'KAFKA_SSL_KEY', path: '/k.pem' } })).toThrow(
      new Error('KAFKA_SSL_KEY (/k.pem) is not the key of KAFKA_SSL_CERT (/c.pem)'),
    );
  });
});
