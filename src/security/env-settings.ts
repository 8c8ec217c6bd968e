import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { Secret } from './secret';

/**
 * How connection-security settings are read from the environment. Files (CAs, certificates,
 * keys) are named by path and read once, when the configuration is loaded; a file that is
 * missing, unreadable or not what its variable says stops the command with one line naming the
 * variable.
 */

/** Reads a file named by a setting; tests give their own. */
export type ReadFile = (file: string) => string;
export const readSettingFile: ReadFile = (file) => fs.readFileSync(file, 'utf8');

/** A setting's value; unset and empty are the same. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** `true` or `false`; undefined when unset. Anything else stops the command. */
export function envBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = envValue(env, name)?.trim().toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`${name} must be true or false, not ${JSON.stringify(envValue(env, name))}`);
}

/** A secret setting: the variable, or the contents of the file its `_FILE` twin names (not both). */
export function envSecret(env: NodeJS.ProcessEnv, name: string, readFile: ReadFile): Secret | undefined {
  const direct = envValue(env, name);
  const file = envValue(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) throw new Error(`${name} and ${name}_FILE are both set: set one`);
  if (direct !== undefined) return new Secret(direct);
  if (file === undefined) return undefined;
  // A file written by an editor or `echo` ends with a newline that is not part of the secret.
  return new Secret(readNamedFile(`${name}_FILE`, file, readFile).replace(/\r?\n$/, ''));
}

/** Where a PEM setting came from, for messages: `TEMPORAL_TLS_SERVER_CA_CERT_PATH (/etc/vigil/ca.pem)`. */
export const pemOriginSchema = z.object({ variable: z.string(), path: z.string().optional() });
export type PemOrigin = z.infer<typeof pemOriginSchema>;

export function describeOrigin(origin: PemOrigin): string {
  return origin.path === undefined ? origin.variable : `${origin.variable} (${origin.path})`;
}

export type PemKind = 'certificate' | 'private key';

const pemPatterns: Record<PemKind, RegExp> = {
  certificate: /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/,
  'private key': /-----BEGIN (?:RSA |EC |DSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |DSA )?PRIVATE KEY-----/,
};

/** Stops the command unless `text` holds a PEM block of that kind. */
export function checkPem(text: string, kind: PemKind, origin: PemOrigin): void {
  if (kind === 'private key' && text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw new Error(`${describeOrigin(origin)} is an encrypted private key: give the key unencrypted (openssl pkey -in key.pem -out plain.pem)`);
  }
  if (!pemPatterns[kind].test(text)) {
    throw new Error(`${describeOrigin(origin)} holds no PEM ${kind} (a "-----BEGIN ${kind === 'certificate' ? 'CERTIFICATE' : 'PRIVATE KEY'}-----" block)`);
  }
}

/**
 * Stops the command unless the key is the certificate's own: a mismatch would otherwise surface
 * only as a failed handshake, far from the two settings that cause it.
 */
export function checkKeyPair(cert: { pem: string; origin: PemOrigin }, key: { pem: string; origin: PemOrigin }): void {
  let matches: boolean;
  try {
    matches = new X509Certificate(cert.pem).checkPrivateKey(createPrivateKey(key.pem));
  } catch (error) {
    throw new Error(`${describeOrigin(cert.origin)} or ${describeOrigin(key.origin)} cannot be read as a certificate and its key (${(error as Error).message})`);
  }
  if (!matches) throw new Error(`${describeOrigin(key.origin)} is not the key of ${describeOrigin(cert.origin)}`);
}

/**
 * A PEM setting given as a path (under one name or its aliases, which must then agree) or, where
 * a data variable exists, as the PEM text itself. Undefined when none is set.
 */
export function envPem(
  env: NodeJS.ProcessEnv,
  spec: { pathVariables: string[]; dataVariable?: string; kind: PemKind },
  readFile: ReadFile,
): { pem: string; origin: PemOrigin } | undefined {
  const paths = spec.pathVariables.flatMap((variable) => {
    const value = envValue(env, variable)?.trim();
    return value === undefined ? [] : [{ variable, path: value }];
  });
  const distinct = new Set(paths.map((p) => p.path));
  if (distinct.size > 1) throw new Error(`${paths.map((p) => p.variable).join(' and ')} name different files: set one`);
  const data = spec.dataVariable === undefined ? undefined : envValue(env, spec.dataVariable);
  if (paths.length > 0 && data !== undefined) throw new Error(`${paths[0]!.variable} and ${spec.dataVariable} are both set: set one`);
  if (data !== undefined) {
    const origin = { variable: spec.dataVariable! };
    checkPem(data, spec.kind, origin);
    return { pem: data, origin };
  }
  const named = paths[0];
  if (named === undefined) return undefined;
  const pem = readNamedFile(named.variable, named.path, readFile);
  checkPem(pem, spec.kind, named);
  return { pem, origin: named };
}

/** A file a setting names, or one line naming the setting and why it cannot be read. */
export function readNamedFile(variable: string, file: string, readFile: ReadFile): string {
  try {
    return readFile(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new Error(`${variable}: cannot read ${file} (${why})`);
  }
}
