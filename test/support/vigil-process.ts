import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * Starts `vigil <command>` as its own process (at info level, whatever the caller's, unless told), its output
 * appended to `logFile`, and resolves once it logged its ready line: `<command> running`.
 */
export async function startVigilProcess(
  command: 'worker' | 'ingest' | 'board' | 'sink' | 'alerter',
  options: {
    env: NodeJS.ProcessEnv;
    logFile: string;
    args?: string[];
    nodeFlags?: string[];
    /** Called as soon as it runs, before it is ready: so a caller can stop it even if it never gets there. */
    onSpawn?: (child: ChildProcess) => void;
    /** A script that runs the command in a way of its own (the benchmark's floor worker) instead of `vigil <command>`. */
    script?: string;
    /** Its log level: info unless a test needs more (`debug` logs every publication). */
    logLevel?: 'info' | 'debug';
  },
): Promise<ChildProcess> {
  const { env, logFile, args = [], nodeFlags = [], onSpawn, script, logLevel = 'info' } = options;
  const log = fs.openSync(logFile, 'a');
  const entry = script ? [script, ...args] : [path.join(root, 'src/cli.ts'), command, ...args];
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', ...entry], {
    cwd: root,
    env: { ...env, LOG_LEVEL: logLevel },
    stdio: ['ignore', log, 'pipe'],
  });
  onSpawn?.(child);
  const ready = `${command} running`;
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      fs.writeSync(log, chunk);
      seen += chunk.toString('utf8');
      if (seen.includes(ready)) resolve();
      if (seen.length > 100_000) seen = seen.slice(-10_000);
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before it was ready; see ${logFile}`)));
  });
  return child;
}

/** A Prometheus endpoint's metrics, as `name{labels}` → value. */
export async function fetchMetrics(url: string): Promise<Map<string, number>> {
  return parseMetricsText(await (await fetch(url)).text());
}

/** The sum of the series whose `name{labels}` matches: one figure over all labels. */
export function sumSeries(metrics: Map<string, number>, matches: (series: string) => boolean): number {
  return [...metrics].filter(([series]) => matches(series)).reduce((sum, [, value]) => sum + value, 0);
}

/** Prometheus text exposition as `name{labels}` → value (comments and blank lines skipped). */
function parseMetricsText(text: string): Map<string, number> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const at = line.lastIndexOf(' ');
        return [line.slice(0, at), Number(line.slice(at + 1))] as const;
      }),
  );
}

/** A TCP port free on 127.0.0.1 at the time of asking, for a process's metrics endpoint. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
