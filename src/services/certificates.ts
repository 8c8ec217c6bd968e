import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { requireProgram } from './processes';

/**
 * The local certificate authority and the certificates the local servers and Vigil's clients
 * use: made with openssl the first time, kept in one folder (by default `.vigil/certs`), made
 * anew only when one is missing, no longer signed by the CA, or within 30 days of expiring.
 * Keys are written with mode 600 and never printed.
 */
export { type CertificateFiles, certificateFiles, certificatesDir } from '../security/local-certificates';
import { type CertificateFiles, certificateFiles } from '../security/local-certificates';

/** What a certificate is for: its subject, names and key usage. */
export interface CertificateRole {
  commonName: string;
  /** `DNS:localhost`, `IP:127.0.0.1`, … (none for a client). */
  altNames: string[];
  usage: 'serverAuth' | 'clientAuth';
}

export const SERVER_ROLE: CertificateRole = { commonName: 'localhost', altNames: ['DNS:localhost', 'IP:127.0.0.1'], usage: 'serverAuth' };
export const CLIENT_ROLE: CertificateRole = { commonName: 'vigil', altNames: [], usage: 'clientAuth' };

const CA_DAYS = 3650;
const LEAF_DAYS = 825;
/** A certificate this close to its end is made anew. */
const RENEW_BEFORE_SECONDS = 30 * 24 * 3600;

/** A new P-256 key, unencrypted PKCS#8 (what Go, Node and Kafka's PEM store all read). */
export function keyArgs(keyFile: string): string[] {
  return ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile];
}

/** The self-signed CA certificate, valid ten years, for signing certificates only. */
export function caArgs(files: CertificateFiles, commonName: string): string[] {
  return [
    'req', '-x509', '-new', '-key', files.caKey, '-out', files.ca, '-days', String(CA_DAYS), '-sha256',
    '-subj', `/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ];
}

export function requestArgs(keyFile: string, requestFile: string, role: CertificateRole): string[] {
  return ['req', '-new', '-key', keyFile, '-out', requestFile, '-subj', `/CN=${role.commonName}`];
}

/** The x509v3 extensions of a certificate the CA signs (openssl's `-extfile`). */
export function extensionsFile(role: CertificateRole): string {
  return [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${role.usage}`,
    ...(role.altNames.length > 0 ? [`subjectAltName=${role.altNames.join(',')}`] : []),
  ].join('\n') + '\n';
}

/** Signs a request with the CA; `serial` is random hex so two certificates never share one. */
export function signArgs(files: CertificateFiles, requestFile: string, extensions: string, certFile: string, serial: string): string[] {
  return [
    'x509', '-req', '-in', requestFile, '-CA', files.ca, '-CAkey', files.caKey, '-set_serial', `0x${serial}`,
    '-days', String(LEAF_DAYS), '-sha256', '-extfile', extensions, '-out', certFile,
  ];
}

function openssl(args: string[], what: string): { ok: boolean; output: string } {
  const result = spawnSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.error) throw new Error(`openssl could not run to ${what}: ${result.error.message}`);
  return { ok: result.status === 0, output };
}

function mustOpenssl(args: string[], what: string): void {
  const { ok, output } = openssl(args, what);
  // openssl names files in its messages, never key material.
  if (!ok) throw new Error(`openssl failed to ${what}: ${output.split('\n')[0] ?? ''}`);
}

/** Signed by the CA, and not expiring within 30 days. */
function stillGood(files: CertificateFiles, cert: string): boolean {
  if (!fs.existsSync(cert)) return false;
  return (
    openssl(['x509', '-in', cert, '-noout', '-checkend', String(RENEW_BEFORE_SECONDS)], 'check a certificate').ok &&
    openssl(['verify', '-CAfile', files.ca, cert], 'verify a certificate').ok
  );
}

function complete(files: CertificateFiles): boolean {
  return (
    [files.ca, files.caKey, files.serverKey, files.serverPem, files.clientKey].every((file) => fs.existsSync(file)) &&
    openssl(['x509', '-in', files.ca, '-noout', '-checkend', String(RENEW_BEFORE_SECONDS)], 'check the CA').ok &&
    stillGood(files, files.serverCert) &&
    stillGood(files, files.clientCert)
  );
}

function issue(files: CertificateFiles, role: CertificateRole, keyFile: string, certFile: string): void {
  const request = `${certFile}.csr`;
  const extensions = `${certFile}.ext`;
  mustOpenssl(keyArgs(keyFile), `make the key of ${role.commonName}`);
  fs.chmodSync(keyFile, 0o600);
  mustOpenssl(requestArgs(keyFile, request, role), `make the request of ${role.commonName}`);
  fs.writeFileSync(extensions, extensionsFile(role));
  mustOpenssl(signArgs(files, request, extensions, certFile, randomBytes(16).toString('hex')), `sign the certificate of ${role.commonName}`);
  fs.rmSync(request);
  fs.rmSync(extensions);
}

/**
 * The CA and the server and client certificates in `dir`, made (all anew) unless they are all
 * there and good. `caName` names the CA: a second CA (a test's wrong one) gets another name.
 * Returns the files and whether they were made now.
 */
export function ensureCertificates(dir: string, caName = 'Vigil local CA'): { files: CertificateFiles; made: boolean } {
  const files = certificateFiles(dir);
  requireProgram('openssl', 'to make the local servers\' TLS certificates', 'Install OpenSSL (Debian: apt-get install openssl).');
  if (complete(files)) return { files, made: false };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  mustOpenssl(keyArgs(files.caKey), 'make the CA key');
  fs.chmodSync(files.caKey, 0o600);
  mustOpenssl(caArgs(files, caName), 'make the CA certificate');
  issue(files, SERVER_ROLE, files.serverKey, files.serverCert);
  issue(files, CLIENT_ROLE, files.clientKey, files.clientCert);
  const pem = [files.serverKey, files.serverCert, files.ca].map((file) => fs.readFileSync(file, 'utf8').trim()).join('\n') + '\n';
  fs.writeFileSync(files.serverPem, pem, { mode: 0o600 });
  // Readable by a server running as another user (PostgreSQL never needs them; Kafka and Temporal run as us).
  for (const cert of [files.ca, files.serverCert, files.clientCert]) fs.chmodSync(cert, 0o644);
  return { files, made: true };
}
