import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { Client } from 'pg';
import { msToTs } from '@temporalio/common/lib/time';
import type { Config } from '../config';
import { certificateFiles, certificatesDir, ensureCertificates } from './certificates';
import { isAlive, type ManagedProcess, portOpen, runningPid, startDetached, stopProcess, waitUntil } from './processes';
import { addMissingSearchAttributes } from './temporal';
import {
  allPorts,
  asYaml,
  durableCommits,
  dynamicConfig,
  GO_TOOLCHAIN,
  goInstallCommand,
  goIsRecentEnough,
  parseGoVersion,
  schemaSteps,
  type ServerDatabase,
  serverConfig,
  serverPorts,
  type ServerSettings,
  startArgs,
  TEMPORAL_SERVER_MODULE,
  TEMPORAL_SERVER_VERSION,
} from './temporal-server-config';

/** Where the production server's build, configuration, pid file and log live, under the state folder. */
export function temporalServerPaths(config: Config) {
  const dir = path.join(config.home, 'temporal-server');
  const bin = path.join(dir, TEMPORAL_SERVER_VERSION, 'bin');
  /** One server's own files: each database has its own server. */
  const instance = path.join(dir, config.temporal.server.database);
  return {
    dir,
    instance,
    bin,
    server: path.join(bin, 'server'),
    sqlTool: path.join(bin, 'sql'),
    /** Written after a build that succeeded: the version and toolchain it was built with. */
    built: path.join(bin, `.built-with-${GO_TOOLCHAIN}`),
    buildLog: path.join(dir, 'build.log'),
    buildLock: path.join(dir, 'build.lock'),
    schemaLog: path.join(instance, 'schema.log'),
    goModCache: path.join(config.home, 'go', 'mod'),
    goBuildCache: path.join(config.home, 'go', 'build'),
    configFile: path.join(instance, 'config.yaml'),
    dynamicConfigFile: path.join(instance, 'dynamic-config.yaml'),
    certs: certificatesDir(config.home),
    process: { name: 'Temporal server', pidFile: path.join(instance, 'temporal-server.pid'), logFile: path.join(instance, 'temporal-server.log') } satisfies ManagedProcess,
  };
}

function hostPort(address: string): { host: string; port: number } {
  const [host = '127.0.0.1', port = '7233'] = address.split(':');
  return { host, port: Number(port) };
}

function metricsPort(config: Config): number {
  return Number(new URL(config.temporal.metricsUrl).port || 7235);
}

/** The server's settings from Vigil's configuration: ports around the frontend's, the local PostgreSQL, the local CA's files. */
export function serverSettings(config: Config): ServerSettings {
  const paths = temporalServerPaths(config);
  const files = certificateFiles(paths.certs);
  const db = new URL(config.postgres.url);
  const database: ServerDatabase = {
    name: config.temporal.server.database,
    host: db.hostname,
    port: Number(db.port || 5432),
    user: decodeURIComponent(db.username) || 'vigil',
    maxConns: config.temporal.server.maxConns,
    maxIdleConns: config.temporal.server.maxIdleConns,
  };
  return {
    ports: serverPorts(hostPort(config.temporal.address).port, metricsPort(config)),
    shards: config.temporal.server.shards,
    database,
    tls: { ca: files.ca, serverCert: files.serverCert, serverKey: files.serverKey, clientCert: files.clientCert, clientKey: files.clientKey, serverName: 'localhost' },
    dynamicConfigFile: paths.dynamicConfigFile,
    logLevel: 'warn',
  };
}

/**
 * How a client reaches the local production server: TLS with the local CA, and the client
 * certificate its frontend asks for.
 */
export function temporalServerConnectionOptions(config: Config): ConnectionOptions {
  const files = certificateFiles(certificatesDir(config.home));
  return {
    address: config.temporal.address,
    tls: {
      serverNameOverride: 'localhost',
      serverRootCACertificate: fs.readFileSync(files.ca),
      clientCertPair: { crt: fs.readFileSync(files.clientCert), key: fs.readFileSync(files.clientKey) },
    },
  };
}

/** The last line of a build's output that says something, for a one-line error. */
function lastWords(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  return [...lines].reverse().find((line) => !line.startsWith('go: downloading')) ?? 'no output';
}

function goVersion(): string | undefined {
  const found = spawnSync('go', ['version'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
  return found.error || found.status !== 0 ? undefined : found.stdout.trim();
}

/**
 * Builds the pinned server and its SQL tool with `go install` from the Go module, once per
 * version; the module and build caches stay under the state folder, so a rebuild takes seconds.
 * Fails with one line when Go is missing or too old, or the build fails (its output is in build.log).
 */
export async function installTemporalServer(
  config: Config,
  say: (line: string) => void = () => undefined,
  /** Stops a build in progress (what it compiled stays in the build cache for the next one). */
  signal?: AbortSignal,
): Promise<{ server: string; sqlTool: string }> {
  const paths = temporalServerPaths(config);
  const built = { server: paths.server, sqlTool: paths.sqlTool };
  const done = () => fs.existsSync(paths.built) && fs.existsSync(paths.server) && fs.existsSync(paths.sqlTool);
  if (done()) return built;
  fs.mkdirSync(paths.dir, { recursive: true });
  // One build at a time: another process building (a second `services up`, the test suite's
  // early start) is waited for rather than repeated.
  for (let waiting = false; ; ) {
    try {
      fs.writeFileSync(paths.buildLock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(fs.readFileSync(paths.buildLock, 'utf8').trim());
    if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
      fs.rmSync(paths.buildLock, { force: true }); // left by a build that was killed
      continue;
    }
    if (!waiting) say(`Waiting for the Temporal server build of process ${holder} (log: ${paths.buildLog})`);
    waiting = true;
    await sleep(2000);
    if (done()) return built;
  }
  try {
    if (done()) return built;
    await build(config, say, signal);
    return built;
  } finally {
    fs.rmSync(paths.buildLock, { force: true });
  }
}

async function build(config: Config, say: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const paths = temporalServerPaths(config);
  const version = goVersion();
  if (version === undefined) {
    throw new Error(`Go is required to build the Temporal server ${TEMPORAL_SERVER_VERSION} (VIGIL_TEMPORAL_BACKEND=server), but \`go\` is not on PATH: install Go 1.21 or newer (Debian: apt-get install golang-go), or use the dev server (VIGIL_TEMPORAL_BACKEND=dev).`);
  }
  const parsed = parseGoVersion(version);
  if (!parsed || !goIsRecentEnough(parsed)) {
    throw new Error(`The Temporal server ${TEMPORAL_SERVER_VERSION} is built with Go toolchain ${GO_TOOLCHAIN}, which Go 1.21 or newer fetches by itself; this is ${version}: install a newer Go.`);
  }
  fs.mkdirSync(paths.bin, { recursive: true });
  const command = goInstallCommand({ bin: paths.bin, modCache: paths.goModCache, buildCache: paths.goBuildCache });
  say(`Building the Temporal server ${TEMPORAL_SERVER_VERSION} with go install (${GO_TOOLCHAIN}); the first build takes 4 to 9 minutes on 2 cores, log: ${paths.buildLog}`);
  const started = Date.now();
  const log = fs.openSync(paths.buildLog, 'w');
  fs.writeSync(log, `go ${command.args.join(' ')}\n${Object.entries(command.env).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    // In a process group of its own, so that stopping it stops its compilers too.
    const child = spawn('go', command.args, { cwd: paths.dir, env: { ...process.env, ...command.env }, stdio: ['ignore', log, log], detached: true });
    const stop = () => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    };
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    child.once('error', reject);
    child.once('exit', (exitCode) => {
      signal?.removeEventListener('abort', stop);
      resolve(exitCode);
    });
  }).finally(() => fs.closeSync(log));
  if (signal?.aborted) throw new Error('The Temporal server build was stopped');
  if (code !== 0 || !fs.existsSync(paths.server) || !fs.existsSync(paths.sqlTool)) {
    const output = fs.readFileSync(paths.buildLog, 'utf8');
    throw new Error(`Building the Temporal server (go install ${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}) failed with exit code ${code}: ${lastWords(output)} (full output: ${paths.buildLog})`);
  }
  // The module cache is read-only as Go writes it; make it removable with rm -r like the rest of .vigil.
  spawnSync('chmod', ['-R', 'u+w', paths.goModCache]);
  fs.writeFileSync(paths.built, `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION} ${GO_TOOLCHAIN} ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  say(`Built the Temporal server in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function runTool(tool: string, args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      fs.appendFileSync(logFile, `\n$ sql ${args.join(' ')}\n${stdout}${stderr}`);
      if (!error) return resolve();
      reject(new Error(`Temporal's sql tool failed (${args.slice(-3).join(' ')}): ${lastWords(`${stdout}\n${stderr}`)} (see ${logFile})`));
    });
  });
}

/**
 * Creates the two databases and brings their schema to the version this server expects, with
 * the server's own sql tool; then makes their commits durable (see durableCommits).
 */
async function prepareSchema(config: Config, sqlTool: string): Promise<void> {
  const paths = temporalServerPaths(config);
  const { database } = serverSettings(config);
  for (const step of schemaSteps(database)) await runTool(sqlTool, step.args, paths.schemaLog);
  const client = new Client({ connectionString: config.postgres.url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    for (const statement of durableCommits(database)) await client.query(statement);
  } finally {
    await client.end();
  }
}

async function firstTakenPort(ports: number[]): Promise<number | undefined> {
  for (const port of ports) if (await portOpen('127.0.0.1', port)) return port;
  return undefined;
}

/** A TLS connection to the frontend answers, and the namespace exists. */
export async function temporalServerHealthy(config: Config): Promise<boolean> {
  const connection = await Connection.connect({ ...temporalServerConnectionOptions(config), connectTimeout: 2000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    return true;
  } finally {
    await connection.close();
  }
}

const NAMESPACE_RETENTION_MS = 3 * 24 * 3600 * 1000;

/**
 * The namespace (created when missing) with Vigil's search attributes. A new namespace reaches
 * the frontend's cache after a few seconds; until then registering attributes fails, so it is retried.
 */
async function ensureNamespace(config: Config, timeoutMs: number): Promise<string[]> {
  const { namespace } = config.temporal;
  const deadline = Date.now() + timeoutMs;
  const connection = await Connection.connect(temporalServerConnectionOptions(config));
  try {
    const exists = await connection.workflowService.describeNamespace({ namespace }).then(() => true, () => false);
    if (!exists) {
      await connection.workflowService
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION_MS) })
        .catch((error: { code?: number }) => {
          if (error.code !== 6) throw error; // 6: ALREADY_EXISTS, made meanwhile by another `services up`
        });
    }
    for (;;) {
      try {
        return await addMissingSearchAttributes(connection, namespace);
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`Temporal server: could not register the search attributes in namespace ${namespace}: ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  } finally {
    await connection.close();
  }
}

function writeConfigFiles(config: Config): void {
  const paths = temporalServerPaths(config);
  fs.writeFileSync(paths.configFile, asYaml(serverConfig(serverSettings(config))));
  fs.writeFileSync(paths.dynamicConfigFile, asYaml(dynamicConfig()));
}

/**
 * Starts the production server on the local PostgreSQL (which must run already), building it
 * the first time, with TLS on its frontend, the namespace and Vigil's search attributes.
 * Idempotent: a running server is only waited for.
 */
export async function startTemporalServer(config: Config, say: (line: string) => void = () => undefined): Promise<'started' | 'running'> {
  const paths = temporalServerPaths(config);
  if (!config.postgres.managed) {
    throw new Error('VIGIL_TEMPORAL_BACKEND=server runs the Temporal server on the local PostgreSQL that `services up` manages: unset DATABASE_URL, or run Temporal yourself and set TEMPORAL_ADDRESS.');
  }
  if (runningPid(paths.process) !== undefined) {
    await waitUntil(paths.process, 'a healthy namespace', () => temporalServerHealthy(config), 120_000);
    return 'running';
  }
  const settings = serverSettings(config);
  const taken = await firstTakenPort(allPorts(settings.ports));
  if (taken !== undefined) {
    throw new Error(`Port ${taken} (one of the Temporal server's, around VIGIL_TEMPORAL_PORT ${settings.ports.frontend}) is taken by another process; stop it, or set VIGIL_TEMPORAL_PORT or TEMPORAL_METRICS_URL to other ports.`);
  }
  fs.mkdirSync(paths.instance, { recursive: true });
  const { server, sqlTool } = await installTemporalServer(config, say);
  ensureCertificates(paths.certs);
  await prepareSchema(config, sqlTool);
  writeConfigFiles(config);
  startDetached(paths.process, server, startArgs(paths.configFile), paths.instance);
  await waitUntil(paths.process, 'a frontend answering over TLS', async () => {
    const connection = await Connection.connect({ ...temporalServerConnectionOptions(config), connectTimeout: 2000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  }, 120_000);
  const added = await ensureNamespace(config, 60_000);
  if (added.length > 0) say(`Registered search attributes: ${added.join(', ')}`);
  return 'started';
}

export function stopTemporalServer(config: Config): Promise<boolean> {
  return stopProcess(temporalServerPaths(config).process, 30_000);
}
