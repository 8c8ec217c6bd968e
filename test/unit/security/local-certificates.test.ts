import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';

const fixtures = path.resolve(__dirname, '../../fixtures/tls');

/** A state folder whose certs/ holds the test CA's files under the names `services up` gives the local ones. */
function homeWithCertificates(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-local-certs-'));
  fs.mkdirSync(path.join(home, 'certs'));
  for (const [from, to] of [['ca.pem', 'ca.crt'], ['client.pem', 'client.crt'], ['client.key', 'client.key']]) {
    fs.copyFileSync(path.join(fixtures, from!), path.join(home, 'certs', to!));
  }
  return home;
}

const home = homeWithCertificates();
const emptyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-no-certs-'));
afterAll(() => {
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(emptyHome, { recursive: true, force: true });
});

describe("the local production Temporal server's clients (VIGIL_TEMPORAL_BACKEND=server)", () => {
  it('connect with mutual TLS by default: the local CA, client certificate and key, server name localhost', () => {
    const { security } = loadConfig({ VIGIL_HOME: home, VIGIL_TEMPORAL_BACKEND: 'server' }).temporal;
    expect(security.tls).toBe(true);
    expect(security.serverCa?.origin).toEqual({ variable: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', path: path.join(home, 'certs', 'ca.crt') });
    expect(security.clientCert?.origin).toEqual({ variable: 'TEMPORAL_TLS_CLIENT_CERT_PATH', path: path.join(home, 'certs', 'client.crt') });
    expect(security.clientKey?.origin.path).toBe(path.join(home, 'certs', 'client.key'));
    expect(security.serverName).toBe('localhost');
  });

  it('keep what the environment says: its own TLS or API key settings, another address, or the dev server', () => {
    const own = loadConfig({ VIGIL_HOME: home, VIGIL_TEMPORAL_BACKEND: 'server', TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(fixtures, 'other-ca.pem') }).temporal.security;
    expect([own.serverCa?.origin.path, own.clientCert, own.serverName]).toEqual([path.join(fixtures, 'other-ca.pem'), undefined, undefined]);
    expect(loadConfig({ VIGIL_HOME: home, VIGIL_TEMPORAL_BACKEND: 'server', TEMPORAL_ADDRESS: 'temporal.internal:7233' }).temporal.security.tls).toBe(false);
    expect(loadConfig({ VIGIL_HOME: home }).temporal.security.tls).toBe(false);
  });

  it('stay plaintext until `services up` made the certificates (its server then refuses them in one line)', () => {
    expect(loadConfig({ VIGIL_HOME: emptyHome, VIGIL_TEMPORAL_BACKEND: 'server' }).temporal.security.tls).toBe(false);
  });
});
