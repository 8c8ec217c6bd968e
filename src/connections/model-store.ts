import type { Config } from '../config';
import { migrateModelStore, s3ClientOf, s3Sdk, sharedStoreSpecOf } from '../model-store';
import { ConnectionFailure } from '../security/connection-failure';
import { postgresProblem } from '../security/postgres-problems';

/** How long the S3 check may take. */
const S3_CHECK_TIMEOUT_MS = 8_000;

/**
 * What a worker does before it scores with a shared model store: PostgreSQL gets its
 * checkpoints table (created or updated), S3 must have its bucket. A wrong setting is one line
 * that names VIGIL_MODEL_STORE or the AWS variables; a local folder needs nothing.
 */
export async function prepareModelStore(config: Config, log: { debug(message: string): void; warn(message: string): void } = { debug() {}, warn() {} }): Promise<string[]> {
  const { location } = config.modelStore;
  switch (location.kind) {
    case 'file':
      return [];
    case 'postgres': {
      const spec = sharedStoreSpecOf(config.modelStore);
      if (spec.kind !== 'postgres') return [];
      try {
        return await migrateModelStore(spec, log);
      } catch (error) {
        // The URL is VIGIL_MODEL_STORE's, unless that says `postgres://` alone: then it is the sink's DATABASE_URL.
        const connection = { ...location.connection, managed: location.sinkDatabase && config.postgres.managed };
        if (location.sinkDatabase) {
          const problem = postgresProblem(error, connection);
          throw new ConnectionFailure({ ...problem, hint: `${problem.hint} (VIGIL_MODEL_STORE=postgres:// is the sink's database)` }, error);
        }
        throw new ConnectionFailure(postgresProblem(error, connection, { variable: 'VIGIL_MODEL_STORE', servicesUpCreatesIt: false }), error);
      }
    }
    case 's3': {
      const spec = sharedStoreSpecOf(config.modelStore);
      if (spec.kind !== 's3') return [];
      const s3 = s3ClientOf(spec.client);
      const { HeadBucketCommand } = s3Sdk();
      try {
        await s3.send(new HeadBucketCommand({ Bucket: spec.bucket }), { abortSignal: AbortSignal.timeout(S3_CHECK_TIMEOUT_MS) });
        return [];
      } catch (error) {
        throw new ConnectionFailure({ server: 'S3', where: `s3://${spec.bucket}`, ...s3Problem(error, config) }, error);
      } finally {
        s3.destroy();
      }
    }
  }
}

function s3Problem(error: unknown, config: Config): { what: string; detail?: string; hint: string } {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const local = config.s3Server.managed ? ' (the local S3 server: bin/vigil services up)' : '';
  if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') return { what: 'the bucket does not exist', hint: `create it, or name another in VIGIL_MODEL_STORE${local}` };
  if (status === 403 || status === 401) return { what: 'access denied', detail: message, hint: 'check the AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and their rights on the bucket' };
  if (/region/i.test(message)) return { what: 'no region', detail: message, hint: 'set AWS_REGION' };
  if (/credential/i.test(message)) return { what: 'no credentials', detail: message, hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)' };
  return { what: 'does not answer', detail: `${name}: ${message}`, hint: `check AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) and that the server runs${local}` };
}
