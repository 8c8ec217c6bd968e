import fs from 'node:fs';
import { expect, it } from 'vitest';
import { usePipeline } from '../support/pipeline';
import { fetchMetrics, freePort } from '../support/vigil-process';

const newPipeline = usePipeline();

/** The ports a process logged it moved to, by setting: `{VIGIL_WORKER_METRICS_PORT: 41234}`. */
function movedPorts(log: string): Record<string, number> {
  const moved = log
    .split('\n')
    .filter((line) => line.includes('is taken by another process'))
    .map((line) => JSON.parse(line) as { setting: string; port: number });
  return Object.fromEntries(moved.map(({ setting, port }) => [setting, port]));
}

// Two workers, two ingests, two sinks and two boards on one host with the same settings: the
// second of each finds its ports taken, says so in one line naming the setting, and runs.
it('runs a second worker, ingest, sink and board on the same host with the same ports, each on a free port it names', async () => {
  const p = newPipeline('one-host');
  const ports = { worker: await freePort(), sdk: await freePort(), ingest: await freePort(), sink: await freePort(), board: await freePort() };
  Object.assign(p.env, {
    VIGIL_WORKER_METRICS_PORT: String(ports.worker),
    VIGIL_WORKER_SDK_METRICS_PORT: String(ports.sdk),
    VIGIL_INGEST_METRICS_PORT: String(ports.ingest),
    VIGIL_SINK_METRICS_PORT: String(ports.sink),
    VIGIL_BOARD_PORT: String(ports.board),
  });
  await p.setUp();
  for (const command of ['worker', 'ingest', 'sink', 'board'] as const) {
    await p.start(command);
    await p.start(command); // the same settings: its ports are the first one's
  }
  const logOf = (command: 'worker' | 'ingest' | 'sink' | 'board') => fs.readFileSync(p.logFileOf(command), 'utf8');
  const worker = movedPorts(logOf('worker'));
  expect(Object.keys(worker).sort()).toEqual(['VIGIL_WORKER_METRICS_PORT', 'VIGIL_WORKER_SDK_METRICS_PORT']);
  expect(Object.keys(movedPorts(logOf('ingest')))).toEqual(['VIGIL_INGEST_METRICS_PORT']);
  expect(Object.keys(movedPorts(logOf('sink')))).toEqual(['VIGIL_SINK_METRICS_PORT']);
  expect(Object.keys(movedPorts(logOf('board')))).toEqual(['VIGIL_BOARD_PORT or --port']);
  for (const log of ['worker', 'ingest', 'sink', 'board'] as const) expect(logOf(log), `no stack trace in the ${log} log`).not.toMatch(/EADDRINUSE|\n\s+at /);

  // Both of each serve: the first on the configured ports, the second on the ones it named.
  for (const port of [ports.worker, worker.VIGIL_WORKER_METRICS_PORT!, ports.ingest, movedPorts(logOf('ingest')).VIGIL_INGEST_METRICS_PORT!]) {
    expect((await fetchMetrics(`http://127.0.0.1:${port}/metrics`)).size, `metrics on ${port}`).toBeGreaterThan(0);
  }
  for (const port of [ports.sdk, worker.VIGIL_WORKER_SDK_METRICS_PORT!]) {
    await expect.poll(async () => [...(await fetchMetrics(`http://127.0.0.1:${port}/metrics`)).keys()].some((series) => series.startsWith('temporal_')), { timeout: 15_000 }).toBe(true);
  }
  for (const port of [ports.board, movedPorts(logOf('board'))['VIGIL_BOARD_PORT or --port']!]) {
    expect((await fetch(`http://127.0.0.1:${port}/`)).status, `the board on ${port}`).toBe(200);
  }
});
