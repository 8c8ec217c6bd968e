import { loadConfig } from '../../src/config';
import { localS3Server } from '../../src/model-store-settings';
import { ensureLocalBucket } from '../../src/services/s3-server';

/** The bucket the tests' S3 stores live in, on the suite's local S3 server (each test under a prefix of its own). */
export const TEST_BUCKET = 'vigil-test';

export type SharedStoreKind = 'postgres' | 's3';

/**
 * The settings of a shared model store as a user gives them: PostgreSQL in the sink's database
 * (`postgres://` alone), or S3 through the standard AWS variables with the endpoint override
 * pointing at the suite's S3Proxy (not VIGIL_S3_SERVER=local, which would hide those variables).
 */
export function sharedStoreEnv(kind: SharedStoreKind, prefix: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (kind === 'postgres') return { VIGIL_MODEL_STORE: 'postgres://' };
  const { s3Server } = loadConfig(env);
  return {
    VIGIL_MODEL_STORE: `s3://${TEST_BUCKET}/${prefix}`,
    VIGIL_S3_SERVER: '',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Server.port}`,
    AWS_ACCESS_KEY_ID: localS3Server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localS3Server.secretAccessKey,
    AWS_REGION: localS3Server.region,
  };
}

/** The tests' bucket on the suite's local S3 server (global-setup starts it). */
export async function ensureTestBucket(): Promise<void> {
  await ensureLocalBucket(loadConfig({ ...process.env, VIGIL_S3_SERVER: 'local' }), TEST_BUCKET);
}
