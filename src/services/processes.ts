import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A background server owned by Vigil: its pid file and log live in the state folder. */
export interface ManagedProcess {
  name: string;
  pidFile: string;
  logFile: string;
}

export function readPid(proc: ManagedProcess): number | undefined {
  try {
    const pid = Number(fs.readFileSync(proc.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function runningPid(proc: ManagedProcess): number | undefined {
  const pid = readPid(proc);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/** Who a server runs as, when it must not run as root (PostgreSQL). */
export interface RunAs {
  uid: number;
  gid: number;
}

/** Starts the command in its own process group, detached from ours, output appended to its log. */
export function startDetached(proc: ManagedProcess, command: string, args: string[], cwd: string, runAs?: RunAs): number {
  const log = fs.openSync(proc.logFile, 'a');
  fs.writeSync(log, `\n--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', log, log], ...runAs });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`${proc.name}: could not start ${command}`);
  child.unref();
  fs.writeFileSync(proc.pidFile, `${child.pid}\n`);
  return child.pid;
}

/**
 * `signal` (SIGTERM unless the server wants another for a clean, prompt stop) to the whole
 * group, then SIGKILL if it has not exited in time. Safe when nothing runs.
 */
export async function stopProcess(proc: ManagedProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  const pid = runningPid(proc);
  if (pid === undefined) {
    fs.rmSync(proc.pidFile, { force: true });
    return false;
  }
  const signalGroup = (sent: NodeJS.Signals) => {
    try {
      process.kill(-pid, sent);
    } catch {
      try {
        process.kill(pid, sent);
      } catch {
        /* already gone */
      }
    }
  };
  signalGroup(signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) signalGroup('SIGKILL');
  while (isAlive(pid)) await sleep(100);
  fs.rmSync(proc.pidFile, { force: true });
  return true;
}

export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it resolves true; fails early, with the log's tail, if the process died. */
export async function waitUntil(
  proc: ManagedProcess,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (runningPid(proc) === undefined) throw new Error(`${proc.name} exited while starting:\n${logTail(proc)}`);
    if (Date.now() > deadline) throw new Error(`${proc.name}: ${what} not reached within ${timeoutMs / 1000} s:\n${logTail(proc)}`);
    await sleep(500);
  }
}

export function logTail(proc: ManagedProcess, lines = 30): string {
  try {
    return fs.readFileSync(proc.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Fails with a clear message when a program the local services need is not installed. */
export function requireProgram(program: string, why: string, hint: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`${program} is required ${why}, but it is not on PATH. ${hint}`);
}

/** Runs a set-up step to completion, failing with its output. */
export function runStep(description: string, command: string, args: string[], cwd: string, runAs?: RunAs): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...runAs });
  if (result.status !== 0) {
    throw new Error(`${description} failed (${command} ${args.join(' ')}):\n${result.stdout}\n${result.stderr}`);
  }
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** Installs a Debian package with apt-get, which only root may do (as in CI). */
export function aptInstall(pkg: string): void {
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', pkg]]) {
    const run = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (run.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed with ${run.status}`);
  }
}
