import { loadConfig } from '../src/config';
import { servicesDown, servicesStatus, servicesUp } from '../src/services';

/**
 * Starts the local Temporal and Kafka (installing them the first time) unless they already
 * run, and stops them afterwards only if it started them: a test run leaves nothing behind.
 * `VIGIL_TEST_SERVICES=none` skips this for unit-only runs.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.VIGIL_TEST_SERVICES === 'none') return undefined;
  const config = loadConfig();
  const before = await servicesStatus(config);
  const wereRunning = before.every((service) => service.healthy);
  await servicesUp(config, (line) => process.stderr.write(`[services] ${line}\n`));
  return async () => {
    if (!wereRunning) await servicesDown(config, (line) => process.stderr.write(`[services] ${line}\n`));
  };
}
