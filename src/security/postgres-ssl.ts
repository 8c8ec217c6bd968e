import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { checkKeyPair, checkPem, envValue, type PemKind, pemOriginSchema, type ReadFile, readNamedFile } from './env-settings';
import { Secret, secretSchema } from './secret';

/**
 * PostgreSQL's address, password and TLS, read as libpq reads them: `sslmode`, `sslrootcert`,
 * `sslcert` and `sslkey` in DATABASE_URL, else PGSSLMODE, PGSSLROOTCERT, PGSSLCERT and PGSSLKEY;
 * so psql and Vigil read one environment alike. node-pg itself would treat `require` as
 * `verify-full` and read the files on every connection: Vigil gives it explicit options instead,
 * with libpq's meaning, the files read once.
 */
export const postgresSslModes = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export const postgresSslModeSchema = z.enum(postgresSslModes);
export type PostgresSslMode = z.infer<typeof postgresSslModeSchema>;

export const postgresConnectionSchema = z.object({
  /** The server's URL without its password: safe to print. */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /** The password of DATABASE_URL, if it has one (else node-pg's PGPASSWORD or ~/.pgpass). */
  password: secretSchema.optional(),
  ssl: z.object({
    mode: postgresSslModeSchema,
    /** Where the mode was set: `sslmode in DATABASE_URL`, `PGSSLMODE`, or implied. */
    modeOrigin: z.string(),
    ca: z.object({ pem: z.string(), origin: pemOriginSchema }).optional(),
    cert: z.object({ pem: z.string(), origin: pemOriginSchema }).optional(),
    key: z.object({ pem: secretSchema, origin: pemOriginSchema }).optional(),
  }),
});
export type PostgresConnection = z.infer<typeof postgresConnectionSchema>;

/** The URL parameters Vigil reads itself, and the environment variable each falls back to. */
const sslParameters = { sslmode: 'PGSSLMODE', sslrootcert: 'PGSSLROOTCERT', sslcert: 'PGSSLCERT', sslkey: 'PGSSLKEY' } as const;
/** Parameters that would override Vigil's TLS options inside node-pg. */
const refusedParameters = ['ssl', 'uselibpqcompat', 'sslnegotiation', 'sslpassword'];

/**
 * Reads DATABASE_URL (or the local default) and the TLS settings; files are read here, once.
 * Throws one line. `variable` reads another variable's URL (the model store's) the same way.
 */
export function postgresConnectionFromEnv(env: NodeJS.ProcessEnv, defaultUrl: string, readFile: ReadFile, variable = 'DATABASE_URL'): PostgresConnection {
  const fromEnv = envValue(env, variable);
  const source = fromEnv === undefined ? 'the default database URL' : variable;
  let url: URL;
  try {
    url = new URL(fromEnv ?? defaultUrl);
  } catch {
    // Never the value: it may hold a password.
    throw new Error(`${source} is not a URL: postgres://user:password@host:port/database?sslmode=verify-full`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error(`${source} must start with postgres:// or postgresql://`);
  for (const name of refusedParameters) {
    if (url.searchParams.has(name)) throw new Error(`${source}: the parameter ${name} is not supported; use sslmode (${postgresSslModes.join(', ')})`);
  }
  const password = url.password === '' ? undefined : new Secret(safeDecode(url.password));
  url.password = '';

  const setting = (parameter: keyof typeof sslParameters) => {
    const inUrl = url.searchParams.get(parameter);
    if (inUrl !== null && inUrl !== '') return { value: inUrl, variable: `${parameter} in ${source}` };
    const variable = sslParameters[parameter];
    const value = envValue(env, variable);
    return value === undefined ? undefined : { value, variable };
  };
  const pem = (parameter: keyof typeof sslParameters, kind: PemKind) => {
    const named = setting(parameter);
    if (named === undefined) return undefined;
    const origin = { variable: named.variable, path: named.value };
    const text = readNamedFile(named.variable, named.value, readFile);
    checkPem(text, kind, origin);
    return { pem: text, origin };
  };

  const rootCert = setting('sslrootcert');
  // libpq's `sslrootcert=system`: the system's CAs, which verify-full needs nothing more for.
  const ca = rootCert?.value === 'system' ? undefined : pem('sslrootcert', 'certificate');
  const cert = pem('sslcert', 'certificate');
  const keyText = pem('sslkey', 'private key');
  const key = keyText && { pem: new Secret(keyText.pem), origin: keyText.origin };
  if (cert && !key) throw new Error(`${cert.origin.variable} is set without sslkey (or PGSSLKEY): a client certificate needs its key`);
  if (key && !cert) throw new Error(`${key.origin.variable} is set without sslcert (or PGSSLCERT): a client certificate needs its key`);
  if (cert && keyText) checkKeyPair(cert, keyText);

  const modeSetting = setting('sslmode');
  const modeOrigin = modeSetting?.variable ?? (rootCert ? `implied by ${rootCert.variable}` : 'default');
  // A CA given without a mode means: verify the server with it.
  const mode = modeSetting?.value ?? (rootCert ? 'verify-full' : 'disable');
  if (mode === 'allow' || mode === 'prefer') {
    throw new Error(`${modeOrigin}=${mode}: node-pg cannot fall back between plaintext and TLS; use sslmode=require (or verify-full) for TLS, disable for none`);
  }
  const parsedMode = postgresSslModeSchema.safeParse(mode);
  if (!parsedMode.success) throw new Error(`${modeOrigin} must be one of ${postgresSslModes.join(', ')}, not ${JSON.stringify(mode)}`);
  const tlsFiles = [rootCert?.variable, cert?.origin.variable].filter((name) => name !== undefined);
  if (parsedMode.data === 'disable' && tlsFiles.length > 0) throw new Error(`${modeOrigin}=disable contradicts ${tlsFiles.join(', ')}: unset one or the other`);
  if (parsedMode.data === 'verify-ca' && !ca) throw new Error(`${modeOrigin}=verify-ca needs the CA: sslrootcert in DATABASE_URL or PGSSLROOTCERT`);

  return { url: url.toString(), password, ssl: { mode: parsedMode.data, modeOrigin, ca, cert, key } };
}

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** What node-pg's Client, Pool and node-pg-migrate take: the URL (its password back in, no TLS parameters) and explicit TLS options. */
export interface PostgresClientConfig {
  connectionString: string;
  ssl: false | ConnectionOptions;
  connectionTimeoutMillis?: number;
}

/**
 * The client configuration every pg Pool and Client and node-pg-migrate use: `database` names
 * another database of the same server (the maintenance database, to create Vigil's).
 */
export function postgresClientConfig(connection: PostgresConnection, options: { database?: string; connectionTimeoutMillis?: number } = {}): PostgresClientConfig {
  const url = new URL(connection.url);
  for (const parameter of Object.keys(sslParameters)) url.searchParams.delete(parameter);
  if (connection.password) url.password = encodeURIComponent(connection.password.reveal());
  if (options.database !== undefined) url.pathname = `/${encodeURIComponent(options.database)}`;
  return {
    connectionString: url.toString(),
    ssl: postgresTlsOptions(connection.ssl),
    ...(options.connectionTimeoutMillis === undefined ? {} : { connectionTimeoutMillis: options.connectionTimeoutMillis }),
  };
}

/** libpq's modes as Node TLS options. */
export function postgresTlsOptions(ssl: PostgresConnection['ssl']): false | ConnectionOptions {
  if (ssl.mode === 'disable') return false;
  const files: ConnectionOptions = {
    ...(ssl.ca ? { ca: ssl.ca.pem } : {}),
    ...(ssl.cert && ssl.key ? { cert: ssl.cert.pem, key: ssl.key.pem.reveal() } : {}),
  };
  // libpq: `require` with a root certificate verifies the chain, as verify-ca does; without one it only encrypts.
  const verifyChain = ssl.mode !== 'require' || ssl.ca !== undefined;
  if (!verifyChain) return { ...files, rejectUnauthorized: false };
  if (ssl.mode === 'verify-full') return { ...files, rejectUnauthorized: true };
  return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

/** The database a URL names. */
export function databaseOf(connection: PostgresConnection): string {
  return safeDecode(new URL(connection.url).pathname.slice(1));
}

/** One line on how Vigil reaches PostgreSQL, for `services status`: never a secret. */
export function describePostgresSecurity(connection: PostgresConnection): string {
  return connection.ssl.mode === 'disable' ? 'plaintext' : `TLS (sslmode ${connection.ssl.mode})`;
}
