import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOnPort, portToBind } from '../../src/listen-port';
import { logger } from '../../src/logger';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A port another "process" holds for the length of the test. */
async function takenPort(): Promise<number> {
  const holder = net.createServer();
  servers.push(holder);
  return listenOnPort(holder, 0, '127.0.0.1', 'TEST_PORT');
}

function capturedWarnings(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const warn = logger.warn.bind(logger);
  logger.warn = ((object: unknown, message: string) => void lines.push(`${JSON.stringify(object)} ${message}`)) as typeof logger.warn;
  return { lines, restore: () => void (logger.warn = warn) };
}

describe('listening on a configured port', () => {
  it('takes the port when it is free, and says nothing', async () => {
    expect(await portToBind(0, '127.0.0.1', 'TEST_PORT'), '0 stays the caller’s choice').toBe(0);
    const probe = net.createServer();
    const port = await listenOnPort(probe, 0, '127.0.0.1', 'TEST_PORT');
    await new Promise((resolve) => probe.close(resolve)); // free again
    const server = net.createServer();
    servers.push(server);
    const { lines, restore } = capturedWarnings();
    try {
      expect(await listenOnPort(server, port, '127.0.0.1', 'TEST_PORT')).toBe(port);
    } finally {
      restore();
    }
    expect(lines).toEqual([]);
  });

  it('listens on a free port instead when another process holds it, and says which in one line naming the setting', async () => {
    const port = await takenPort();
    const server = net.createServer();
    servers.push(server);
    const { lines, restore } = capturedWarnings();
    let bound: number;
    try {
      bound = await listenOnPort(server, port, '127.0.0.1', 'VIGIL_WORKER_METRICS_PORT');
    } finally {
      restore();
    }
    expect(bound).not.toBe(port);
    expect(bound).toBeGreaterThan(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`port ${port} (VIGIL_WORKER_METRICS_PORT) is taken by another process, so this one listens on ${bound}`);
  });

  it('finds a free port for a server that binds its own (the SDK metrics), when the configured one is taken', async () => {
    const port = await takenPort();
    const { lines, restore } = capturedWarnings();
    let chosen: number;
    try {
      chosen = await portToBind(port, '127.0.0.1', 'VIGIL_WORKER_SDK_METRICS_PORT');
    } finally {
      restore();
    }
    expect(chosen).not.toBe(port);
    // It is free: a server can take it now.
    const server = net.createServer();
    servers.push(server);
    await expect(listenOnPort(server, chosen, '127.0.0.1', 'TEST_PORT')).resolves.toBe(chosen);
    expect(lines[0]).toContain('VIGIL_WORKER_SDK_METRICS_PORT');
  });

  it('fails in one line naming the address and the setting when it cannot listen for another reason', async () => {
    const server = net.createServer();
    servers.push(server);
    await expect(listenOnPort(server, 8090, '203.0.113.7', 'VIGIL_BOARD_PORT')).rejects.toThrow(/^cannot listen on 203\.0\.113\.7:8090 \(VIGIL_BOARD_PORT\): .*EADDRNOTAVAIL/);
  });
});
