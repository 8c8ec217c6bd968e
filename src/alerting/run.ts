import type { Config } from '../config';
import { serveMetrics } from '../metrics';
import { AlertRouter } from './router';

/** `vigil alerter`: runs until SIGINT/SIGTERM. */
export async function runAlerter(config: Config): Promise<void> {
  await serveMetrics(config.metrics.alerterPort, { setting: 'VIGIL_ALERTER_METRICS_PORT', host: config.metrics.host });
  const router = new AlertRouter(config);
  await router.start();
  const stop = () => void router.stop().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
