import type { ModelStoreSettings } from '../model-store-settings';
import { postgresClientConfig } from '../security/postgres-ssl';
import type { ModelStoreSpec, PostgresStoreSpec, S3StoreSpec, SharedStoreSpec } from './model-store';

/**
 * The store the settings describe, as the plain data each scoring thread opens its own from: a
 * shared store behind the local cache folder, or the local folder alone.
 */
export function modelStoreSpecOf(settings: ModelStoreSettings): ModelStoreSpec {
  const { location, keepVersions } = settings;
  if (location.kind === 'file') return { kind: 'local-directory', dir: location.dir, keepVersions };
  return { kind: 'cached', cacheDir: settings.cacheDir, shared: sharedStoreSpecOf(settings), keepVersions };
}

/** The shared store alone (no cache): what `services up` prepares and the tests inspect; undefined for a folder. */
export function sharedStoreSpecOf(settings: ModelStoreSettings): SharedStoreSpec {
  const { location, keepVersions } = settings;
  switch (location.kind) {
    case 'file':
      throw new Error('a file:// model store is not a shared store');
    case 'postgres':
      return { ...postgresSpecOf(location.connection), keepVersions };
    case 's3':
      return { ...s3SpecOf(location), keepVersions };
  }
}

function postgresSpecOf(connection: Extract<ModelStoreSettings['location'], { kind: 'postgres' }>['connection']): PostgresStoreSpec {
  const { connectionString } = postgresClientConfig(connection);
  const { ssl } = connection;
  if (ssl.mode === 'disable') return { kind: 'postgres', connectionString, tls: false };
  // libpq's modes (security/postgres-ssl.ts): `require` without a CA only encrypts; verify-ca skips the name.
  const verifyChain = ssl.mode !== 'require' || ssl.ca !== undefined;
  return {
    kind: 'postgres',
    connectionString,
    tls: {
      ca: ssl.ca?.pem,
      cert: ssl.cert?.pem,
      key: ssl.key?.pem.reveal(),
      rejectUnauthorized: verifyChain,
      verifyHostname: ssl.mode === 'verify-full',
    },
  };
}

function s3SpecOf(location: Extract<ModelStoreSettings['location'], { kind: 's3' }>): S3StoreSpec {
  return {
    kind: 's3',
    bucket: location.bucket,
    prefix: location.prefix,
    client: {
      ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint }),
      ...(location.region === undefined ? {} : { region: location.region }),
      forcePathStyle: location.forcePathStyle,
      checksumsWhenRequired: location.checksumsWhenRequired,
      ...(location.credentials === undefined ? {} : { credentials: revealed(location.credentials) }),
    },
  };
}

function revealed(credentials: NonNullable<Extract<ModelStoreSettings['location'], { kind: 's3' }>['credentials']>): NonNullable<S3StoreSpec['client']['credentials']> {
  const { accessKeyId, secretAccessKey, sessionToken } = credentials;
  return { accessKeyId, secretAccessKey: secretAccessKey.reveal(), ...(sessionToken === undefined ? {} : { sessionToken: sessionToken.reveal() }) };
}
