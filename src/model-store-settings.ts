import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { envBoolean, envValue, type ReadFile } from './security/env-settings';
import { type PostgresConnection, postgresConnectionFromEnv, postgresConnectionSchema } from './security/postgres-ssl';
import { Secret, secretSchema } from './security/secret';

/**
 * Where HTM checkpoints live, from one setting, VIGIL_MODEL_STORE (a URL):
 *
 * - `file:///path`: a local folder (the default, `.vigil/models`): one machine.
 * - `postgres://user:password@host:port/database?sslmode=…`: a table in that database;
 *   `postgres://` alone: the SQL sink's database (DATABASE_URL, or the local one).
 * - `s3://bucket/prefix`: objects in an S3 bucket, through the AWS SDK, with the standard AWS
 *   variables: AWS_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (else
 *   the SDK's chain: AWS_PROFILE, SSO, web identity, the instance's role), and
 *   AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an S3-compatible server. With an endpoint,
 *   requests are path-style and carry checksums only where S3 requires them, as such servers
 *   expect (VIGIL_S3_FORCE_PATH_STYLE overrides the first).
 *
 * A shared store (PostgreSQL, S3) has a local folder in front of it as its cache
 * (VIGIL_MODEL_CACHE_DIR). `VIGIL_S3_SERVER=local` points `s3://` stores at the S3-compatible
 * server `services up` runs (S3Proxy) when no AWS endpoint is set.
 */
export const modelStoreLocationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('file'), dir: z.string().min(1) }),
  z.object({
    kind: z.literal('postgres'),
    connection: postgresConnectionSchema,
    /** True when it is the SQL sink's database (`postgres://` alone). */
    sinkDatabase: z.boolean(),
  }),
  z.object({
    kind: z.literal('s3'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3–63 lowercase letters, digits, dots, hyphens)'),
    prefix: z.string(),
    /** AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else the local S3 server's (VIGIL_S3_SERVER=local); undefined: AWS. */
    endpoint: z.string().url().optional(),
    /** An endpoint is set: an S3-compatible server rather than AWS. */
    compatibleServer: z.boolean(),
    region: z.string().min(1).optional(),
    forcePathStyle: z.boolean(),
    checksumsWhenRequired: z.boolean(),
    /**
     * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or the local S3
     * server's; undefined: the SDK's credential chain (AWS_PROFILE, SSO, web identity, the
     * instance's role…).
     */
    credentials: z.object({ accessKeyId: z.string().min(1), secretAccessKey: secretSchema, sessionToken: secretSchema.optional() }).optional(),
  }),
]);
export type ModelStoreLocation = z.infer<typeof modelStoreLocationSchema>;

export const modelStoreSettingsSchema = z.object({
  /** VIGIL_MODEL_STORE without a password: safe to print. */
  url: z.string().min(1),
  location: modelStoreLocationSchema,
  /** The local folder in front of a shared store. */
  cacheDir: z.string().min(1),
  /** Versions each (device, field) keeps, besides the one its workflow trusts. */
  keepVersions: z.coerce.number().int().min(1),
});
export type ModelStoreSettings = z.infer<typeof modelStoreSettingsSchema>;

/** The local S3-compatible server `services up` runs with VIGIL_S3_SERVER=local (S3Proxy): loopback only, so fixed credentials. */
export const localS3Server = { accessKeyId: 'vigil', secretAccessKey: 'vigil-local-s3', region: 'us-east-1' } as const;

export const s3ServerSchema = z.object({
  /** `services up` runs S3Proxy (VIGIL_S3_SERVER=local). */
  managed: z.boolean(),
  port: z.coerce.number().int().min(1).max(65535),
});
export type S3ServerSettings = z.infer<typeof s3ServerSchema>;

export function s3ServerFromEnv(env: NodeJS.ProcessEnv): { managed: boolean; port: unknown } {
  const server = envValue(env, 'VIGIL_S3_SERVER');
  if (server !== undefined && server !== 'local') throw new Error(`VIGIL_S3_SERVER must be local (or unset), not ${JSON.stringify(server)}`);
  return { managed: server === 'local', port: env.VIGIL_S3_PORT ?? 9000 };
}

/**
 * Reads VIGIL_MODEL_STORE and the settings beside it. `sink` is the SQL sink's connection
 * (for `postgres://` alone); files settings name are read with `readFile`. Throws one line,
 * never a password.
 */
export function modelStoreFromEnv(env: NodeJS.ProcessEnv, options: { home: string; sink: PostgresConnection; s3Port: number; readFile: ReadFile }): unknown {
  const { home } = options;
  const raw = envValue(env, 'VIGIL_MODEL_STORE') ?? `file://${path.join(home, 'models')}`;
  const common = { cacheDir: envValue(env, 'VIGIL_MODEL_CACHE_DIR') ?? path.join(home, 'model-cache'), keepVersions: envValue(env, 'VIGIL_MODEL_KEEP_VERSIONS') ?? 3 };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'file': {
      let dir: string;
      try {
        if (!/^file:\/\//i.test(raw)) throw new Error('not a file:// URL');
        dir = fileURLToPath(raw);
      } catch {
        throw new Error(`VIGIL_MODEL_STORE must name an absolute folder: file:///var/lib/vigil/models, not ${JSON.stringify(raw)}`);
      }
      return { url: raw, location: { kind: 'file', dir }, ...common };
    }
    case 'postgres':
    case 'postgresql': {
      if (/^postgres(ql)?:\/\/$/i.test(raw)) return { url: `${raw} (the SQL sink's database: ${options.sink.url})`, location: { kind: 'postgres', connection: options.sink, sinkDatabase: true }, ...common };
      const connection = postgresConnectionFromEnv(env, raw, options.readFile, 'VIGIL_MODEL_STORE');
      return { url: connection.url, location: { kind: 'postgres', connection, sinkDatabase: false }, ...common };
    }
    case 's3':
      return { url: raw, location: s3Location(env, raw, options.s3Port), ...common };
    default:
      throw new Error(`VIGIL_MODEL_STORE must be a file:///…, postgres://… or s3://bucket/prefix URL, not ${scheme === undefined ? 'a URL without a scheme' : `a ${scheme}: URL`}`);
  }
}

function s3Location(env: NodeJS.ProcessEnv, raw: string, s3Port: number) {
  const match = /^s3:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(raw);
  if (match === null) throw new Error(`VIGIL_MODEL_STORE must be s3://bucket/prefix, not ${JSON.stringify(raw)}`);
  const [, bucket = '', prefix = ''] = match;
  const awsEndpoint = envValue(env, 'AWS_ENDPOINT_URL_S3') ?? envValue(env, 'AWS_ENDPOINT_URL');
  // The local S3 server stands in only where no AWS endpoint is named.
  const local = s3ServerFromEnv(env).managed && awsEndpoint === undefined;
  const endpoint = awsEndpoint ?? (local ? `http://127.0.0.1:${s3Port}` : undefined);
  const compatibleServer = endpoint !== undefined;
  const region = envValue(env, 'AWS_REGION') ?? envValue(env, 'AWS_DEFAULT_REGION') ?? (compatibleServer ? localS3Server.region : undefined);
  const keyId = envValue(env, 'AWS_ACCESS_KEY_ID');
  const secretKey = envValue(env, 'AWS_SECRET_ACCESS_KEY');
  if ((keyId === undefined) !== (secretKey === undefined)) throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both, or neither (for AWS_PROFILE or a role)');
  const sessionToken = envValue(env, 'AWS_SESSION_TOKEN');
  const credentials =
    keyId !== undefined && secretKey !== undefined
      ? { accessKeyId: keyId, secretAccessKey: new Secret(secretKey), ...(sessionToken === undefined ? {} : { sessionToken: new Secret(sessionToken) }) }
      : local
        ? { accessKeyId: localS3Server.accessKeyId, secretAccessKey: new Secret(localS3Server.secretAccessKey) }
        : undefined;
  return {
    kind: 's3',
    bucket,
    prefix: prefix.replace(/^\/+|\/+$/g, ''),
    endpoint,
    compatibleServer,
    region,
    forcePathStyle: envBoolean(env, 'VIGIL_S3_FORCE_PATH_STYLE') ?? compatibleServer,
    // AWS_REQUEST_CHECKSUM_CALCULATION, when set, is the SDK's to read.
    checksumsWhenRequired: compatibleServer && envValue(env, 'AWS_REQUEST_CHECKSUM_CALCULATION') === undefined,
    credentials,
  };
}
