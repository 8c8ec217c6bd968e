import { beforeAll, describe, it } from 'vitest';
import { ensureTestBucket } from '../support/model-stores';
import { multiHostEnv, survivesHostLoss } from '../support/multi-host';
import { usePipeline } from '../support/pipeline';

const newPipeline = usePipeline();

beforeAll(ensureTestBucket);

describe('three workers on three "hosts" (no shared disk), one shared model store', () => {
  it('lose the one holding most devices to SIGKILL mid-stream: every reading enriched once, exactly as the backtest scores it (PostgreSQL store)', async () => {
    const prefix = `multi-host-${Date.now().toString(36)}`;
    await survivesHostLoss(newPipeline('multi-host-postgres', multiHostEnv('postgres', prefix)), 'postgres');
  });

  it('the same with the S3 store (S3Proxy, through the AWS variables and an endpoint override)', async () => {
    const prefix = `multi-host-${Date.now().toString(36)}`;
    await survivesHostLoss(newPipeline('multi-host-s3', multiHostEnv('s3', prefix)), 's3');
  });
});
