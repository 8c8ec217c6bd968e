import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

export interface VigilProcess {
  child: ChildProcess;
  pid: number;
  /** Set when the process exits; a benchmark process must only exit when we stop it. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/** Starts `vigil <command>` as its own process, logging to `logFile`, and waits for its ready line. */
export async function startVigil(command: 'worker' | 'ingest', env: NodeJS.ProcessEnv, logFile: string, nodeFlags: string[] = []): Promise<VigilProcess> {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(root, 'src/cli.ts'), command], {
    cwd: root,
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', log, 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start vigil ${command}`);
  const started: VigilProcess = { child, pid: child.pid };
  child.once('exit', (code, signal) => (started.exit = { code, signal }));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      fs.writeSync(log, chunk);
      if (seen.length < 100_000) seen += chunk.toString('utf8');
      if (seen.includes(`${command} running`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`vigil ${command} exited with ${code} before it was ready; see ${logFile}`)));
  });
  return started;
}

/** SIGTERM, and resolves when the process has exited (it flushes, commits, writes its profile). */
export async function stopVigil(process: VigilProcess): Promise<void> {
  if (process.exit) return;
  const exited = new Promise((resolve) => process.child.once('exit', resolve));
  process.child.kill('SIGTERM');
  await exited;
}

/** Spawns a TypeScript script of the benchmark with one JSON argument; resolves its stdout lines as they come. */
export function spawnScript(script: string, argument: unknown, env: NodeJS.ProcessEnv, onLine: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script), JSON.stringify(argument)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
  return child;
}
