import type { Config } from '../config';
import type { ManagedProcess } from './processes';
import { startTemporal, stopTemporal, temporalHealthy, temporalPaths } from './temporal';
import { startTemporalServer, stopTemporalServer, temporalServerHealthy, temporalServerPaths } from './temporal-server';

/** The managed Temporal that VIGIL_TEMPORAL_BACKEND chooses: the dev server (default) or the production server. */
export interface TemporalBackend {
  /** `Temporal dev server` or `Temporal server`. */
  name: string;
  process: ManagedProcess;
  start(say?: (line: string) => void): Promise<'started' | 'running'>;
  stop(): Promise<boolean>;
  healthy(): Promise<boolean>;
}

export function temporalBackend(config: Config): TemporalBackend {
  if (config.temporal.backend === 'server') {
    const process = temporalServerPaths(config).process;
    return {
      name: process.name,
      process,
      start: (say) => startTemporalServer(config, say),
      stop: () => stopTemporalServer(config),
      healthy: () => temporalServerHealthy(config),
    };
  }
  const process = temporalPaths(config).process;
  return {
    name: process.name,
    process,
    start: () => startTemporal(config),
    stop: () => stopTemporal(config),
    healthy: () => temporalHealthy(config),
  };
}
