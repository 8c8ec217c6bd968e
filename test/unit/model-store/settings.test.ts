import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import { modelStoreSpecOf } from '../../../src/model-store';

const base = { VIGIL_HOME: '/var/lib/vigil', VIGIL_S3_PORT: '9100' };
const store = (env: NodeJS.ProcessEnv) => loadConfig({ ...base, ...env }).modelStore;

describe('VIGIL_MODEL_STORE', () => {
  it('is the local folder by default, and a file:// URL names another', () => {
    expect(store({})).toMatchObject({ location: { kind: 'file', dir: '/var/lib/vigil/models' }, cacheDir: '/var/lib/vigil/model-cache', keepVersions: 3 });
    expect(modelStoreSpecOf(store({ VIGIL_MODEL_STORE: 'file:///srv/models', VIGIL_MODEL_KEEP_VERSIONS: '5' }))).toEqual({ kind: 'local-directory', dir: path.resolve('/srv/models'), keepVersions: 5 });
    expect(() => store({ VIGIL_MODEL_STORE: 'file:models' })).toThrow(/must name an absolute folder/);
    expect(() => store({ VIGIL_MODEL_STORE: 'file://models/htm' })).toThrow(/must name an absolute folder/);
  });

  it('postgres:// alone is the SQL sink’s database; a full URL another, its password never in what prints', () => {
    const sink = store({ VIGIL_MODEL_STORE: 'postgres://', DATABASE_URL: 'postgres://app:s3cret-pass@db.example:5432/vigil' });
    expect(sink.location).toMatchObject({ kind: 'postgres', sinkDatabase: true });
    expect(sink.url).toBe("postgres:// (the SQL sink's database: postgres://app@db.example:5432/vigil)");
    const other = store({ VIGIL_MODEL_STORE: 'postgres://models:other-pass@models.example:5432/models?sslmode=require' });
    expect(other.location).toMatchObject({ kind: 'postgres', sinkDatabase: false });
    expect(other.url).not.toContain('other-pass');
    expect(JSON.stringify(other)).not.toContain('other-pass');
    // The thread's spec carries it, since node-pg needs it; TLS with libpq's meaning of sslmode.
    const spec = modelStoreSpecOf(other);
    expect(spec).toMatchObject({ kind: 'cached', cacheDir: '/var/lib/vigil/model-cache', shared: { kind: 'postgres', tls: { rejectUnauthorized: false, verifyHostname: false } } });
    expect(spec.kind === 'cached' && spec.shared.kind === 'postgres' && spec.shared.connectionString).toBe('postgres://models:other-pass@models.example:5432/models');
  });

  it('s3://bucket/prefix on AWS: the SDK resolves region and credentials, virtual-hosted requests, its default checksums', () => {
    const aws = store({ VIGIL_MODEL_STORE: 's3://vigil-models/prod/htm/' });
    expect(aws.location).toEqual({ kind: 's3', bucket: 'vigil-models', prefix: 'prod/htm', compatibleServer: false, forcePathStyle: false, checksumsWhenRequired: false });
    expect(modelStoreSpecOf(aws)).toEqual({ kind: 'cached', cacheDir: '/var/lib/vigil/model-cache', keepVersions: 3, shared: { kind: 's3', bucket: 'vigil-models', prefix: 'prod/htm', keepVersions: 3, client: { forcePathStyle: false, checksumsWhenRequired: false } } });
  });

  it('s3:// with the standard AWS variables and an endpoint override: path-style, checksums when required, the keys as secrets', () => {
    const env = { VIGIL_MODEL_STORE: 's3://models', AWS_ENDPOINT_URL: 'http://ceph.local:7480', AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 'very-secret-key', AWS_REGION: 'eu-west-3' };
    const compatible = store(env);
    expect(compatible.location).toMatchObject({ bucket: 'models', prefix: '', endpoint: 'http://ceph.local:7480', region: 'eu-west-3', forcePathStyle: true, checksumsWhenRequired: true });
    expect(JSON.stringify(compatible)).not.toContain('very-secret-key');
    expect(modelStoreSpecOf(compatible)).toMatchObject({ shared: { client: { credentials: { accessKeyId: 'AKIA1', secretAccessKey: 'very-secret-key' } } } });
    // The S3 service's own endpoint wins over the general one; the path style can be forced off; the SDK's checksum setting is left to it.
    expect(store({ ...env, AWS_ENDPOINT_URL_S3: 'https://s3.local', VIGIL_S3_FORCE_PATH_STYLE: 'false', AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_SUPPORTED' }).location).toMatchObject({
      endpoint: 'https://s3.local',
      forcePathStyle: false,
      checksumsWhenRequired: false,
    });
    expect(() => store({ VIGIL_MODEL_STORE: 's3://models', AWS_ACCESS_KEY_ID: 'AKIA1' })).toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/);
  });

  it('s3:// with VIGIL_S3_SERVER=local: the S3 server services up runs, unless an AWS endpoint is named', () => {
    expect(store({ VIGIL_MODEL_STORE: 's3://vigil-models/m', VIGIL_S3_SERVER: 'local' }).location).toMatchObject({
      endpoint: 'http://127.0.0.1:9100',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'vigil' },
    });
    expect(store({ VIGIL_MODEL_STORE: 's3://vigil-models/m', VIGIL_S3_SERVER: 'local', AWS_ENDPOINT_URL_S3: 'http://other:9000' }).location).toMatchObject({ endpoint: 'http://other:9000' });
    expect(() => store({ VIGIL_S3_SERVER: 'minio' })).toThrow(/VIGIL_S3_SERVER must be local/);
  });

  it('refuses what it cannot read, in one line without a password', () => {
    expect(() => store({ VIGIL_MODEL_STORE: 'redis://cache:6379' })).toThrow('VIGIL_MODEL_STORE must be a file:///…, postgres://… or s3://bucket/prefix URL, not a redis: URL');
    expect(() => store({ VIGIL_MODEL_STORE: '/var/models' })).toThrow(/not a URL without a scheme/);
    expect(() => store({ VIGIL_MODEL_STORE: 's3://UPPER/x' })).toThrow(/must be an S3 bucket name/);
    expect(() => store({ VIGIL_MODEL_STORE: 'postgres://u:pw-in-url@[bad/db' })).toThrow(/VIGIL_MODEL_STORE is not a URL/);
    try {
      store({ VIGIL_MODEL_STORE: 'postgres://u:pw-in-url@[bad/db' });
    } catch (error) {
      expect(String(error)).not.toContain('pw-in-url');
    }
  });
});
