import { loadConfig } from '../src/config';
import { servicesDown, servicesStatus, servicesUp } from '../src/services';
import { installTemporalServer } from '../src/services/temporal-server';

/**
 * Starts the local Temporal and Kafka (installing them the first time) unless they already
 * run, and stops them afterwards only if it started them: a test run leaves nothing behind.
 * `VIGIL_TEST_SERVICES=none` skips this for unit-only runs.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.VIGIL_TEST_SERVICES === 'none') return undefined;
  // The suite's services include the local S3 server, which the S3 model store's tests use.
  const config = loadConfig({ ...process.env, VIGIL_S3_SERVER: 'local' });
  const say = (line: string) => process.stderr.write(`[services] ${line}\n`);
  // The production Temporal server's first build takes minutes (see the README): it starts now,
  // beside the rest of the suite, and its tests wait for it (a build in progress is waited for).
  // Stopped at the end if still going; what it compiled stays in the build cache.
  const prebuild = new AbortController();
  const building = installTemporalServer(config, say, prebuild.signal).catch(() => undefined); // its tests report a failure
  const stopBuilding = async () => {
    prebuild.abort();
    await building;
  };
  try {
    const before = await servicesStatus(config);
    const wereRunning = before.every((service) => service.healthy);
    await servicesUp(config, say);
    return async () => {
      await stopBuilding();
      if (!wereRunning) await servicesDown(config, say);
    };
  } catch (error) {
    await stopBuilding();
    throw error;
  }
}
