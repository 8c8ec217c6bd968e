import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { withPostgres } from '../connections/postgres';
import { ConnectionFailure } from '../security/connection-failure';
import { databaseOf } from '../security/postgres-ssl';
import { placeCluster } from './postgres-cluster';
import { aptInstall, isRoot, type ManagedProcess, portOpen, type RunAs, runningPid, runStep, startDetached, stopProcess, waitUntil } from './processes';

const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

export function postgresPaths(config: Config) {
  const dir = path.join(config.home, 'postgres');
  return {
    dir,
    data: path.join(dir, 'data'),
    process: { name: 'PostgreSQL', pidFile: path.join(dir, 'postgres.pid'), logFile: path.join(dir, 'postgres.log') } satisfies ManagedProcess,
  };
}

/** The newest Debian PostgreSQL's bin folder, e.g. /usr/lib/postgresql/15/bin; undefined when none. */
function findPostgresBin(): string | undefined {
  if (!fs.existsSync(DEBIAN_POSTGRES_ROOT)) return undefined;
  const versions = fs
    .readdirSync(DEBIAN_POSTGRES_ROOT)
    .filter((v) => fs.existsSync(path.join(DEBIAN_POSTGRES_ROOT, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(DEBIAN_POSTGRES_ROOT, versions[0], 'bin');
}

/** Debian's PostgreSQL server, installed with apt-get when missing and we are root (as CI is). */
export function installPostgres(): string {
  const found = findPostgresBin();
  if (found) return found;
  if (!isRoot()) {
    throw new Error('PostgreSQL is required for the SQL sink but is not installed: apt-get install postgresql, or set DATABASE_URL to use an existing server.');
  }
  aptInstall('postgresql');
  const installed = findPostgresBin();
  if (!installed) throw new Error(`apt-get installed postgresql, but no server was found under ${DEBIAN_POSTGRES_ROOT}`);
  return installed;
}

const SERVER_USER = 'postgres';

/** PostgreSQL refuses to run as root: as root, the server runs as Debian's `postgres` user. */
function serverUser(): (RunAs & { name: string }) | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, SERVER_USER], { encoding: 'utf8' }).stdout.trim());
  const runAs = { name: SERVER_USER, uid: id('-u'), gid: id('-g') };
  if (!Number.isInteger(runAs.uid) || runAs.uid <= 0) throw new Error(`running as root, but there is no \`${SERVER_USER}\` user to run PostgreSQL as`);
  return runAs;
}

/** Whether the database answers, with the configured password and TLS; a failure throws its one line. */
export function postgresHealthy(config: Config): Promise<boolean> {
  return withPostgres(config, async (client) => (await client.query('select 1 as ok')).rows.length === 1, { connectionTimeoutMillis: 2000 });
}

/** The same server's maintenance database, to create Vigil's database in. */
const MAINTENANCE_DATABASE = 'postgres';

/** Creates Vigil's database on first use; a server that already has it is left alone. */
async function ensureDatabase(config: Config): Promise<void> {
  try {
    await postgresHealthy(config);
    return;
  } catch (error) {
    // 3D000: invalid_catalog_name, the database does not exist yet.
    if (!(error instanceof ConnectionFailure) || (error.cause as { code?: string } | undefined)?.code !== '3D000') throw error;
  }
  const name = databaseOf(config.postgres);
  await withPostgres(config, (client) => client.query(`create database "${name.replaceAll('"', '""')}"`), { database: MAINTENANCE_DATABASE, connectionTimeoutMillis: 2000 });
}

/**
 * Starts a private PostgreSQL on loopback (no Unix socket, trust auth for the `vigil` superuser)
 * with its data under the state folder (or, as root where the server's user cannot reach it,
 * linked from there: see placeCluster), creating the cluster and database the first time.
 */
export async function startPostgres(config: Config): Promise<'started' | 'running'> {
  const paths = postgresPaths(config);
  const { port } = config.postgres;
  if (runningPid(paths.process) !== undefined) {
    await waitUntil(paths.process, 'accepting connections', () => postgresHealthy(config), 60_000);
    return 'running';
  }
  if (await portOpen('127.0.0.1', port)) {
    throw new Error(`Port ${port} is taken by another process; stop it, set VIGIL_POSTGRES_PORT, or set DATABASE_URL to use that server.`);
  }
  const bin = installPostgres();
  const server = serverUser();
  const runAs = server && { uid: server.uid, gid: server.gid };
  const place = placeCluster(config, paths.dir, paths.data, server);
  if (!fs.existsSync(path.join(place.data, 'PG_VERSION'))) {
    fs.rmSync(place.data, { recursive: true, force: true });
    fs.mkdirSync(place.data, { mode: 0o700 });
    // initdb fills the (empty) data folder as the server's user; nothing else here is the server's.
    if (runAs) fs.chownSync(place.data, runAs.uid, runAs.gid);
    const user = decodeURIComponent(new URL(config.postgres.url).username) || 'vigil';
    runStep('Creating the PostgreSQL cluster', path.join(bin, 'initdb'), ['-D', place.data, '-U', user, '--auth=trust', '--encoding=UTF8', '--locale=C'], place.cwd, runAs);
  }
  const args = [
    '-D', place.data,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', "unix_socket_directories=",
    // A sink's writes are replayable from Kafka: a lost last commit after a crash costs nothing.
    '-c', 'synchronous_commit=off',
  ];
  startDetached(paths.process, path.join(bin, 'postgres'), args, place.cwd, runAs);
  await waitUntil(paths.process, 'accepting connections', () => withPostgres(config, async () => true, { database: MAINTENANCE_DATABASE, connectionTimeoutMillis: 2000 }), 60_000);
  await ensureDatabase(config);
  return 'started';
}

/** SIGINT is PostgreSQL's fast shutdown: SIGTERM would wait for every client to leave. */
export function stopPostgres(config: Config): Promise<boolean> {
  return stopProcess(postgresPaths(config).process, 20_000, 'SIGINT');
}

/** For a server named by DATABASE_URL: reachable, with Vigil's database in it. */
export async function externalPostgres(config: Config): Promise<'external'> {
  await ensureDatabase(config);
  return 'external';
}
