import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the project's local CA and certificates live (made by services/certificates.ts with
 * openssl): the servers' side of the local production Temporal server and Kafka's SASL_SSL
 * listener, and the client side Vigil's processes use for them by default (config.ts).
 */
export interface CertificateFiles {
  dir: string;
  /** The CA's certificate: what clients trust (Temporal's frontend and Kafka's SASL_SSL listener present certificates it signed). */
  ca: string;
  caKey: string;
  /** The servers' certificate, for `localhost` and 127.0.0.1, and its key. */
  serverCert: string;
  serverKey: string;
  /** Key, certificate and CA in one PEM file: Kafka's PEM key store. */
  serverPem: string;
  /** A client certificate (CN `vigil`) for mutual TLS with Temporal's frontend, and its key. */
  clientCert: string;
  clientKey: string;
}

/** The local CA and certificates of a state folder, shared by Temporal's frontend and Kafka's SASL_SSL listener. */
export const certificatesDir = (home: string): string => path.join(home, 'certs');

export function certificateFiles(dir: string): CertificateFiles {
  const at = (name: string) => path.join(dir, name);
  return {
    dir,
    ca: at('ca.crt'),
    caKey: at('ca.key'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    serverPem: at('server-keystore.pem'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
  };
}

/** Whether a variable configures how Vigil authenticates to Temporal (security/temporal-security.ts). */
const temporalSecurityVariable = /^TEMPORAL_(TLS|API_KEY)/;

/**
 * The environment as Temporal's clients read it, with the local production server's client side
 * filled in: when `services up` runs that server (VIGIL_TEMPORAL_BACKEND=server, no
 * TEMPORAL_ADDRESS), its frontend wants mutual TLS, and a process that names no Temporal TLS or
 * API key setting of its own gets the local CA, client certificate and key and the server name
 * `localhost`, the same variables an operator would set. Unchanged when the certificates are not
 * made yet (`services up` makes them) or any such variable is set.
 */
export function withLocalTemporalServerClient(env: NodeJS.ProcessEnv, home: string, exists: (file: string) => boolean = fs.existsSync): NodeJS.ProcessEnv {
  if (env.VIGIL_TEMPORAL_BACKEND !== 'server' || env.TEMPORAL_ADDRESS !== undefined) return env;
  if (Object.entries(env).some(([name, value]) => temporalSecurityVariable.test(name) && value !== undefined && value !== '')) return env;
  const files = certificateFiles(certificatesDir(home));
  if (![files.ca, files.clientCert, files.clientKey].every((file) => exists(file))) return env;
  return {
    ...env,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.ca,
    TEMPORAL_TLS_CLIENT_CERT_PATH: files.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: files.clientKey,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
  };
}
