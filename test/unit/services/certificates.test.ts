import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caArgs, certificateFiles, CLIENT_ROLE, ensureCertificates, extensionsFile, keyArgs, SERVER_ROLE, signArgs } from '../../../src/services/certificates';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-certs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the local CA and certificates: openssl command lines', () => {
  const files = certificateFiles('/s/certs');

  it('makes P-256 keys and a CA that only signs certificates', () => {
    expect(keyArgs('/s/certs/ca.key')).toEqual(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', '/s/certs/ca.key']);
    expect(caArgs(files, 'Vigil local CA')).toEqual([
      'req', '-x509', '-new', '-key', '/s/certs/ca.key', '-out', '/s/certs/ca.crt', '-days', '3650', '-sha256', '-subj', '/CN=Vigil local CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  });

  it('gives the server certificate localhost and 127.0.0.1, the client one client authentication only', () => {
    expect(extensionsFile(SERVER_ROLE)).toBe(
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
    );
    expect(extensionsFile(CLIENT_ROLE)).toBe('basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
    expect(signArgs(files, '/s/r.csr', '/s/r.ext', '/s/certs/server.crt', 'ab12')).toEqual([
      'x509', '-req', '-in', '/s/r.csr', '-CA', '/s/certs/ca.crt', '-CAkey', '/s/certs/ca.key', '-set_serial', '0xab12',
      '-days', '825', '-sha256', '-extfile', '/s/r.ext', '-out', '/s/certs/server.crt',
    ]);
  });
});

describe('the local CA and certificates, made with openssl', () => {
  it('makes a CA, a server and a client certificate it signed, keys readable by their owner only, once', () => {
    const { files, made } = ensureCertificates(dir);
    expect(made).toBe(true);
    const ca = new X509Certificate(fs.readFileSync(files.ca));
    const server = new X509Certificate(fs.readFileSync(files.serverCert));
    const client = new X509Certificate(fs.readFileSync(files.clientCert));
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey) && client.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(client.subject).toBe('CN=vigil');
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    for (const key of [files.caKey, files.serverKey, files.clientKey, files.serverPem]) expect(fs.statSync(key).mode & 0o777, key).toBe(0o600);
    expect(fs.readFileSync(files.serverKey, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(fs.readFileSync(files.serverPem, 'utf8').match(/-----BEGIN [A-Z ]+-----/g)).toEqual(['-----BEGIN PRIVATE KEY-----', '-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----']);

    const before = fs.readFileSync(files.serverCert, 'utf8');
    expect(ensureCertificates(dir).made, 'good certificates are kept').toBe(false);
    expect(fs.readFileSync(files.serverCert, 'utf8')).toBe(before);
  });

  it('makes them all anew when one is missing', () => {
    const { files } = ensureCertificates(dir);
    const oldCa = fs.readFileSync(files.ca, 'utf8');
    fs.rmSync(files.clientCert);
    expect(ensureCertificates(dir).made).toBe(true);
    expect(fs.readFileSync(files.ca, 'utf8')).not.toBe(oldCa);
  });
});
