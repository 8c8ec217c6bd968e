import type { Config } from '../../config';
import { workflowIdFor } from '../../workflows/definitions';

/** A device's workflow in the Temporal UI. */
export function workflowUiUrl(config: Config, deviceId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowIdFor(deviceId))}`;
}

/** The command that serves the Anomaly Board, and where it listens. */
export function boardCommand(config: Config): string {
  const where = config.board.port === 0 ? 'the address it prints' : `http://127.0.0.1:${config.board.port}`;
  return `bin/vigil board --from-beginning (same environment as this run), then ${where}`;
}
