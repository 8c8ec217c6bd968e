import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { alertmanagerClient } from '../alerting/alertmanager-client';
import { type ManagedProcess, portOpen, requireProgram, runningPid, startDetached, stopProcess, waitUntil } from './processes';

/** Prometheus Alertmanager, pinned: v0.31.1 is the newest whose module builds with `go install` (later ones embed a web UI their module lacks). */
export const ALERTMANAGER_MODULE = 'github.com/prometheus/alertmanager';
export const ALERTMANAGER_VERSION = '0.31.1';

/** Where an Alertmanager's build, data, pid file and log live: the local one is `local`; tests run instances of their own. */
export function alertmanagerPaths(home: string, instance = 'local') {
  const dir = path.join(home, 'alertmanager');
  const bin = path.join(dir, ALERTMANAGER_VERSION, 'bin');
  const own = path.join(dir, instance);
  return {
    dir,
    binary: path.join(bin, 'alertmanager'),
    buildLog: path.join(dir, 'build.log'),
    goModCache: path.join(home, 'go', 'mod'),
    goBuildCache: path.join(home, 'go', 'build'),
    data: path.join(own, 'data'),
    process: { name: instance === 'local' ? 'Alertmanager' : `Alertmanager (${instance})`, pidFile: path.join(own, 'alertmanager.pid'), logFile: path.join(own, 'alertmanager.log') } satisfies ManagedProcess,
  };
}

/** `go install` of the pinned Alertmanager with the machine's own Go (1.21 or newer builds it). */
export function alertmanagerInstallCommand(paths: ReturnType<typeof alertmanagerPaths>): { args: string[]; env: Record<string, string> } {
  return {
    args: ['install', '-trimpath', `${ALERTMANAGER_MODULE}/cmd/alertmanager@v${ALERTMANAGER_VERSION}`],
    env: { GOTOOLCHAIN: 'local', GOBIN: path.dirname(paths.binary), GOMODCACHE: paths.goModCache, GOCACHE: paths.goBuildCache, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' },
  };
}

/** Builds Alertmanager once (a minute or two on 2 cores; the Go caches under the state folder make a rebuild quick). */
export async function installAlertmanager(home: string, say: (line: string) => void = () => undefined): Promise<string> {
  const paths = alertmanagerPaths(home);
  if (fs.existsSync(paths.binary)) return paths.binary;
  requireProgram('go', `to build Alertmanager ${ALERTMANAGER_VERSION}`, 'Install Go 1.21 or newer (Debian: apt-get install golang-go), or set VIGIL_ALERTMANAGER_URL to an Alertmanager you run.');
  fs.mkdirSync(path.dirname(paths.binary), { recursive: true });
  const command = alertmanagerInstallCommand(paths);
  say(`Building Alertmanager ${ALERTMANAGER_VERSION} with go install (a minute or two the first time), log: ${paths.buildLog}`);
  const log = fs.openSync(paths.buildLog, 'w');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('go', command.args, { cwd: paths.dir, env: { ...process.env, ...command.env }, stdio: ['ignore', log, log] });
    child.once('error', reject);
    child.once('exit', resolve);
  }).finally(() => fs.closeSync(log));
  if (code !== 0 || !fs.existsSync(paths.binary)) {
    const last = fs.readFileSync(paths.buildLog, 'utf8').trim().split('\n').filter((l) => !l.startsWith('go: downloading')).at(-1) ?? 'no output';
    throw new Error(`Building Alertmanager (go install ${ALERTMANAGER_MODULE}/cmd/alertmanager@v${ALERTMANAGER_VERSION}) failed with exit code ${code}: ${last} (full output: ${paths.buildLog})`);
  }
  // The module cache is read-only as Go writes it; make it removable with rm -r like the rest of .vigil.
  spawnSync('chmod', ['-R', 'u+w', paths.goModCache]);
  return paths.binary;
}

export interface AlertmanagerInstance {
  /** `local` for the one `services up` runs; a test's own name otherwise. */
  name: string;
  port: number;
  routingFile: string;
  /** Alertmanager's `--web.config.file` (TLS, basic auth), when it has one. */
  webConfigFile?: string;
}

/** The command line: one instance, gossip off (an empty cluster address), on loopback. */
export function alertmanagerArgs(instance: AlertmanagerInstance, data: string): string[] {
  return [
    `--config.file=${instance.routingFile}`,
    `--storage.path=${data}`,
    `--web.listen-address=127.0.0.1:${instance.port}`,
    '--cluster.listen-address=',
    '--log.level=warn',
    ...(instance.webConfigFile ? [`--web.config.file=${instance.webConfigFile}`] : []),
  ];
}

/** Starts an Alertmanager (building it the first time) unless it runs; waits until it is ready. */
export async function startAlertmanagerInstance(home: string, instance: AlertmanagerInstance, ready: () => Promise<boolean>, say?: (line: string) => void): Promise<'started' | 'running'> {
  const paths = alertmanagerPaths(home, instance.name);
  if (runningPid(paths.process) !== undefined) {
    await waitUntil(paths.process, 'ready', ready, 30_000);
    return 'running';
  }
  if (await portOpen('127.0.0.1', instance.port)) {
    throw new Error(`Port ${instance.port} (Alertmanager's) is taken by another process; stop it, or set VIGIL_ALERTMANAGER_PORT to another port, or VIGIL_ALERTMANAGER_URL to use that Alertmanager.`);
  }
  const binary = await installAlertmanager(home, say);
  fs.mkdirSync(paths.data, { recursive: true });
  startDetached(paths.process, binary, alertmanagerArgs(instance, paths.data), path.dirname(paths.data));
  await waitUntil(paths.process, 'ready', ready, 30_000);
  return 'started';
}

export const stopAlertmanagerInstance = (home: string, name: string): Promise<boolean> => stopProcess(alertmanagerPaths(home, name).process, 10_000);

/** The local Alertmanager of `services up`, with the configured routing file. */
export function startAlertmanager(config: Config, say?: (line: string) => void): Promise<'started' | 'running'> {
  const client = alertmanagerClient(config.alerting.alertmanagerUrl, config.alerting.security, 2000);
  return startAlertmanagerInstance(config.home, { name: 'local', port: config.alerting.port, routingFile: config.alerting.routingFile }, () => client.ready(), say);
}

export const stopAlertmanager = (config: Config): Promise<boolean> => stopAlertmanagerInstance(config.home, 'local');

/** Whether the configured Alertmanager answers as ready; a failure throws its one line. */
export async function alertmanagerHealthy(config: Config): Promise<boolean> {
  if (!(await alertmanagerClient(config.alerting.alertmanagerUrl, config.alerting.security, 2000).ready())) throw new Error(`Alertmanager at ${config.alerting.alertmanagerUrl} is not ready`);
  return true;
}
