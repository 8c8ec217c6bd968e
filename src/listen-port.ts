import net from 'node:net';
import { logger } from './logger';

/** Waits until `server` listens on host:port, or rejects with what stopped it. */
function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

const isTaken = (error: unknown) => (error as NodeJS.ErrnoException).code === 'EADDRINUSE';

function moved(port: number, bound: number, setting: string): void {
  logger.warn({ setting, taken: port, port: bound }, `port ${port} (${setting}) is taken by another process, so this one listens on ${bound}; set ${setting} to choose`);
}

/**
 * Binds a server of a process (its metrics, the board) to its configured port. When another
 * process already holds that port (a second worker or ingest on the same host, with the same
 * settings), the system picks a free one instead, and one log line says which and names the
 * setting that chooses: two processes run side by side rather than the second one crashing.
 * Any other failure is one line naming the address and the setting. Returns the port bound.
 */
export async function listenOnPort(server: net.Server, port: number, host: string, setting: string): Promise<number> {
  try {
    await listen(server, port, host);
  } catch (error) {
    if (port === 0 || !isTaken(error)) throw new Error(`cannot listen on ${host}:${port} (${setting}): ${(error as Error).message}`);
    await listen(server, 0, host);
    moved(port, (server.address() as net.AddressInfo).port, setting);
  }
  return (server.address() as net.AddressInfo).port;
}

/**
 * A port for a server that binds it itself (the Temporal SDK's metrics, bound by its native
 * runtime): `port` when it is free now, otherwise one the system picks, logged as
 * `listenOnPort` does. 0 stays 0 (the caller's choice: none, or any).
 */
export async function portToBind(port: number, host: string, setting: string): Promise<number> {
  if (port === 0) return 0;
  const probe = net.createServer();
  const bound = await listenOnPort(probe, port, host, setting);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return bound;
}
