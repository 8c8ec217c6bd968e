import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { startVigilProcess } from '../../test/support/vigil-process';

const root = path.resolve(__dirname, '../..');

export interface VigilProcess {
  child: ChildProcess;
  pid: number;
  /** Set when the process exits; a benchmark process must only exit when we stop it. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * Starts `vigil <command>` as its own process (or `script`, which runs the command its own way),
 * logging to `logFile`, and waits for its ready line.
 */
export async function startVigil(command: 'worker' | 'ingest', env: NodeJS.ProcessEnv, logFile: string, nodeFlags: string[] = [], script?: string): Promise<VigilProcess> {
  const child = await startVigilProcess(command, { env, logFile, nodeFlags, script });
  if (child.pid === undefined) throw new Error(`could not start vigil ${command}`);
  const started: VigilProcess = { child, pid: child.pid };
  child.once('exit', (code, signal) => (started.exit = { code, signal }));
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
