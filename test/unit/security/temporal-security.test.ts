import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeTemporalSecurity, temporalConnectionSecurity, temporalSecurityFromEnv } from '../../../src/security/temporal-security';

const tls = path.resolve(__dirname, '../../fixtures/tls');
const pem = (file: string) => fs.readFileSync(path.join(tls, file), 'utf8');
const read = (file: string) => fs.readFileSync(path.join(tls, path.basename(file)), 'utf8');
const settings = (env: NodeJS.ProcessEnv) => temporalSecurityFromEnv(env, read);

describe("Temporal's connection security, from Temporal's own client variables", () => {
  it('is plaintext without settings, as for the local dev server', () => {
    const security = settings({});
    expect(security).toEqual({ tls: false, serverCa: undefined, clientCert: undefined, clientKey: undefined, serverName: undefined, apiKey: undefined });
    expect(temporalConnectionSecurity(security)).toEqual({ tls: false });
    expect(describeTemporalSecurity(security)).toBe('plaintext');
  });

  it('turns TLS on with the system CAs for an API key (Temporal Cloud), and sends the key', () => {
    const security = settings({ TEMPORAL_API_KEY: 'cloud-api-key-1' });
    expect(security.tls).toBe(true);
    expect(temporalConnectionSecurity(security)).toEqual({ tls: {}, apiKey: 'cloud-api-key-1' });
    expect(describeTemporalSecurity(security)).toBe('TLS, API key');
  });

  it('keeps an API key in plaintext only when TEMPORAL_TLS=false says so', () => {
    const security = settings({ TEMPORAL_API_KEY: 'proxy-key-1', TEMPORAL_TLS: 'false' });
    expect(temporalConnectionSecurity(security)).toEqual({ tls: false, apiKey: 'proxy-key-1' });
    expect(describeTemporalSecurity(security)).toBe('plaintext, API key');
  });

  it('gives the SDK the CA, the client certificate and key, and the server name (mTLS)', () => {
    const security = settings({
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/etc/vigil/ca.pem',
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/vigil/client.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/vigil/client.key',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(security.serverCa).toEqual({ pem: pem('ca.pem'), origin: { variable: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', path: '/etc/vigil/ca.pem' } });
    expect(security.clientKey?.origin).toEqual({ variable: 'TEMPORAL_TLS_CLIENT_KEY_PATH', path: '/etc/vigil/client.key' });
    expect(String(security.clientKey?.pem)).toBe('[redacted]');
    expect(temporalConnectionSecurity(security)).toEqual({
      tls: {
        serverRootCACertificate: Buffer.from(pem('ca.pem')),
        clientCertPair: { crt: Buffer.from(pem('client.pem')), key: Buffer.from(pem('client.key')) },
        serverNameOverride: 'temporal.internal',
      },
    });
    expect(describeTemporalSecurity(security)).toBe('TLS, client certificate');
  });

  it("reads the Temporal CLI's older names too", () => {
    const security = settings({ TEMPORAL_TLS_CA: '/ca.pem', TEMPORAL_TLS_CERT: '/client.pem', TEMPORAL_TLS_KEY: '/client.key' });
    expect([security.tls, security.serverCa?.origin.variable, security.clientCert?.origin.variable, security.clientKey?.origin.variable]).toEqual([
      true,
      'TEMPORAL_TLS_CA',
      'TEMPORAL_TLS_CERT',
      'TEMPORAL_TLS_KEY',
    ]);
  });

  it('stops on settings that contradict each other or lack their pair, naming them', () => {
    expect(() => settings({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem', TEMPORAL_TLS_SERVER_NAME: 'x' })).toThrow(
      new Error('TEMPORAL_TLS=false contradicts TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME: unset one or the other'),
    );
    expect(() => settings({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/client.pem' })).toThrow(
      new Error('TEMPORAL_TLS_CLIENT_CERT_PATH is set without TEMPORAL_TLS_CLIENT_KEY_PATH: mTLS needs both the certificate and its key'),
    );
    expect(() => settings({ TEMPORAL_TLS_CLIENT_KEY_PATH: '/client.key' })).toThrow(
      new Error('TEMPORAL_TLS_CLIENT_KEY_PATH is set without TEMPORAL_TLS_CLIENT_CERT_PATH: mTLS needs both the certificate and its key'),
    );
    expect(() => settings({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/client.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/other-client.key' })).toThrow(
      new Error('TEMPORAL_TLS_CLIENT_KEY_PATH (/other-client.key) is not the key of TEMPORAL_TLS_CLIENT_CERT_PATH (/client.pem)'),
    );
    expect(() => settings({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' })).toThrow(
      new Error("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=true is not supported by the TypeScript SDK: set TEMPORAL_TLS_SERVER_NAME to the name in the server's certificate"),
    );
    expect(() => settings({ TEMPORAL_TLS: 'on' })).toThrow(new Error('TEMPORAL_TLS must be true or false, not "on"'));
  });
});
