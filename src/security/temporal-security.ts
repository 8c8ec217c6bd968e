import { z } from 'zod';
import { checkKeyPair, envBoolean, envPem, envSecret, envValue, pemOriginSchema, type ReadFile } from './env-settings';
import { Secret, secretSchema } from './secret';

/**
 * How Vigil authenticates to Temporal, read from Temporal's own client environment variables
 * (the names the Temporal CLI and every SDK read: docs.temporal.io/references/client-environment-configuration),
 * so one environment configures `temporal` and Vigil alike. The CLI's older names are read too.
 */
export const temporalSecuritySchema = z.object({
  /** TLS on the connection: TEMPORAL_TLS, or implied by any TLS setting or an API key. */
  tls: z.boolean(),
  /** The CA that signed the server's certificate; undefined: the system's CAs (Temporal Cloud). */
  serverCa: z.object({ pem: z.string(), origin: pemOriginSchema }).optional(),
  /** mTLS: the client certificate and its key. */
  clientCert: z.object({ pem: z.string(), origin: pemOriginSchema }).optional(),
  clientKey: z.object({ pem: secretSchema, origin: pemOriginSchema }).optional(),
  /** The name the server's certificate must carry, when it is not the address's host. */
  serverName: z.string().min(1).optional(),
  /** Temporal Cloud API key, sent as `Authorization: Bearer …`. */
  apiKey: secretSchema.optional(),
});
export type TemporalSecurity = z.infer<typeof temporalSecuritySchema>;

export const temporalVariables = {
  tls: 'TEMPORAL_TLS',
  serverCa: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  serverCaData: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  clientCert: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  clientCertData: 'TEMPORAL_TLS_CLIENT_CERT_DATA',
  clientKey: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  clientKeyData: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
  serverName: 'TEMPORAL_TLS_SERVER_NAME',
  apiKey: 'TEMPORAL_API_KEY',
  disableHostVerification: 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
} as const;

/** The Temporal CLI's older names, read as aliases of the current ones. */
const legacy = { serverCa: 'TEMPORAL_TLS_CA', clientCert: 'TEMPORAL_TLS_CERT', clientKey: 'TEMPORAL_TLS_KEY' } as const;

/** Reads and checks Temporal's security settings; files are read here, once. Throws one line naming the variable. */
export function temporalSecurityFromEnv(env: NodeJS.ProcessEnv, readFile: ReadFile): TemporalSecurity {
  const v = temporalVariables;
  if (envBoolean(env, v.disableHostVerification)) {
    throw new Error(`${v.disableHostVerification}=true is not supported by the TypeScript SDK: set ${v.serverName} to the name in the server's certificate`);
  }
  const serverCa = envPem(env, { pathVariables: [v.serverCa, legacy.serverCa], dataVariable: v.serverCaData, kind: 'certificate' }, readFile);
  const clientCert = envPem(env, { pathVariables: [v.clientCert, legacy.clientCert], dataVariable: v.clientCertData, kind: 'certificate' }, readFile);
  const clientKeyPem = envPem(env, { pathVariables: [v.clientKey, legacy.clientKey], dataVariable: v.clientKeyData, kind: 'private key' }, readFile);
  // A private key is a secret from the moment it is read.
  const clientKey = clientKeyPem && { pem: new Secret(clientKeyPem.pem), origin: clientKeyPem.origin };
  if (clientCert && !clientKey) throw new Error(`${clientCert.origin.variable} is set without ${v.clientKey}: mTLS needs both the certificate and its key`);
  if (clientKey && !clientCert) throw new Error(`${clientKey.origin.variable} is set without ${v.clientCert}: mTLS needs both the certificate and its key`);
  if (clientCert && clientKeyPem) checkKeyPair(clientCert, clientKeyPem);
  const serverName = envValue(env, v.serverName)?.trim();
  const apiKey = envSecret(env, v.apiKey, readFile);
  const tlsSetting = envBoolean(env, v.tls);
  const tlsOnly = [serverCa?.origin.variable, clientCert?.origin.variable, serverName === undefined ? undefined : v.serverName].filter((name) => name !== undefined);
  if (tlsSetting === false && tlsOnly.length > 0) throw new Error(`${v.tls}=false contradicts ${tlsOnly.join(', ')}: unset one or the other`);
  // As in Temporal's own clients: an API key implies TLS unless TEMPORAL_TLS=false says otherwise.
  const tls = tlsSetting ?? (tlsOnly.length > 0 || apiKey !== undefined);
  return { tls, serverCa, clientCert, clientKey, serverName, apiKey };
}

/** The TLS part of the SDK's connection options, for the client's Connection and the worker's NativeConnection alike. */
export interface TemporalTlsOption {
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
  serverNameOverride?: string;
}

/**
 * What the SDK needs: `tls` (false: plaintext; `{}`: TLS with the system's CAs) and the API key.
 * Both Connection.connect and NativeConnection.connect take exactly these.
 */
export function temporalConnectionSecurity(security: TemporalSecurity): { tls: TemporalTlsOption | false; apiKey?: string } {
  const tls: TemporalTlsOption | false = security.tls
    ? {
        ...(security.serverCa ? { serverRootCACertificate: Buffer.from(security.serverCa.pem) } : {}),
        ...(security.clientCert && security.clientKey
          ? { clientCertPair: { crt: Buffer.from(security.clientCert.pem), key: Buffer.from(security.clientKey.pem.reveal()) } }
          : {}),
        ...(security.serverName === undefined ? {} : { serverNameOverride: security.serverName }),
      }
    : false;
  return { tls, ...(security.apiKey ? { apiKey: security.apiKey.reveal() } : {}) };
}

/** One line on how Vigil reaches Temporal, for `services status` and logs: never a secret. */
export function describeTemporalSecurity(security: TemporalSecurity): string {
  if (!security.tls) return security.apiKey ? 'plaintext, API key' : 'plaintext';
  const parts = ['TLS'];
  if (security.clientCert) parts.push('client certificate');
  if (security.apiKey) parts.push('API key');
  return parts.join(', ');
}
