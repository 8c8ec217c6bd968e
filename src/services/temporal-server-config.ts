/**
 * The production Temporal server as a local backend: its pinned version, the command lines
 * that build it, prepare its PostgreSQL schema and start it, and its configuration file. Pure:
 * temporal-server.ts does the I/O.
 */

/** The server's Go module and version, pinned: `go install` builds exactly this. */
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_VERSION = '1.32.2';
/** v1.32.2's go.mod asks for Go >= 1.26.10; the go command fetches this toolchain from the module proxy when the local one is older. */
export const GO_TOOLCHAIN = 'go1.27.3';
/** The oldest local `go` that can fetch another toolchain (GOTOOLCHAIN arrived in Go 1.21). */
export const MIN_LOCAL_GO = [1, 21] as const;

/** The two programs built from the module: the server, and its SQL schema tool. */
export const SERVER_PACKAGES = ['cmd/server', 'cmd/tools/sql'] as const;

export interface GoBuildPlaces {
  /** Where `go install` puts the binaries (GOBIN). */
  bin: string;
  /** The Go module cache (GOMODCACHE) and build cache (GOCACHE), kept so that a rebuild takes seconds. */
  modCache: string;
  buildCache: string;
}

/** `go install` of both programs at the pinned version, with the environment it needs. */
export function goInstallCommand(places: GoBuildPlaces): { args: string[]; env: Record<string, string> } {
  return {
    args: ['install', '-trimpath', ...SERVER_PACKAGES.map((pkg) => `${TEMPORAL_SERVER_MODULE}/${pkg}@v${TEMPORAL_SERVER_VERSION}`)],
    env: {
      GOTOOLCHAIN: GO_TOOLCHAIN,
      GOBIN: places.bin,
      GOMODCACHE: places.modCache,
      GOCACHE: places.buildCache,
      GOFLAGS: '-buildvcs=false',
      CGO_ENABLED: '0',
    },
  };
}

/** `go version go1.26.8 linux/amd64` → [1, 26]; undefined when unreadable. */
export function parseGoVersion(output: string): [number, number] | undefined {
  const match = /go(\d+)\.(\d+)/.exec(output);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export function goIsRecentEnough(version: [number, number]): boolean {
  const [major, minor] = version;
  return major > MIN_LOCAL_GO[0] || (major === MIN_LOCAL_GO[0] && minor >= MIN_LOCAL_GO[1]);
}

/** The frontend's gRPC port decides the others, next to it as Temporal lays them out by default. */
export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: { frontend: number; history: number; matching: number; worker: number };
  metrics: number;
}

/**
 * With the frontend on 7233: history 7234, matching 7236, the system worker 7239, the HTTP API
 * 7243, membership 6933/6934/6936/6939 (Temporal's defaults, but for matching, moved off 7235
 * where Vigil's Temporal metrics are by default). Metrics on their own configured port.
 */
export function serverPorts(frontend: number, metrics: number): ServerPorts {
  const offsets = { history: 1, matching: 3, worker: 6 };
  return {
    frontend,
    frontendHttp: frontend + 10,
    history: frontend + offsets.history,
    matching: frontend + offsets.matching,
    worker: frontend + offsets.worker,
    membership: {
      frontend: frontend - 300,
      history: frontend - 300 + offsets.history,
      matching: frontend - 300 + offsets.matching,
      worker: frontend - 300 + offsets.worker,
    },
    metrics,
  };
}

export function allPorts(ports: ServerPorts): number[] {
  return [ports.frontend, ports.frontendHttp, ports.history, ports.matching, ports.worker, ...Object.values(ports.membership), ports.metrics];
}

export interface ServerDatabase {
  /** The database of the server's state; its visibility store is `<name>_visibility`. */
  name: string;
  host: string;
  port: number;
  user: string;
  /** The persistence connection pool of each of the server's services (frontend, history, matching, worker). */
  maxConns: number;
  maxIdleConns: number;
}

export const visibilityDatabase = (database: ServerDatabase) => `${database.name}_visibility`;

/** Files of the frontend's TLS: it presents the server certificate and asks clients for one the CA signed. */
export interface ServerTls {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** The client certificate the server's own system worker presents to its frontend. */
  clientCert: string;
  clientKey: string;
  serverName: string;
}

export interface ServerSettings {
  ports: ServerPorts;
  shards: number;
  database: ServerDatabase;
  tls: ServerTls;
  dynamicConfigFile: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** The sql tool's connection flags for one database. */
export function sqlToolArgs(database: ServerDatabase, name: string): string[] {
  return ['--plugin', 'postgres12', '--ep', database.host, '-p', String(database.port), '-u', database.user, '--db', name];
}

/**
 * The schema, with the server's own tool, each step idempotent: the database (an existing one is
 * kept), the versioning tables, then every versioned update the tool embeds.
 */
export function schemaSteps(database: ServerDatabase): Array<{ name: string; args: string[] }> {
  return [
    { name: database.name, schema: 'postgresql/v12/temporal' },
    { name: visibilityDatabase(database), schema: 'postgresql/v12/visibility' },
  ].flatMap(({ name, schema }) => [
    { name, args: [...sqlToolArgs(database, name), 'create-database'] },
    { name, args: [...sqlToolArgs(database, name), 'setup-schema', '-v', '0.0'] },
    { name, args: [...sqlToolArgs(database, name), 'update-schema', '--schema-name', schema] },
  ]);
}

/**
 * The local cluster commits asynchronously (synchronous_commit=off: the sink's writes can be
 * replayed from Kafka). Temporal's cannot: the ingest commits a Kafka offset once Temporal has
 * acknowledged the signal, so a commit lost in a crash would lose readings. Its databases wait
 * for the WAL flush, and flush together: a commit with 4 others in flight waits 1 ms for them
 * (group commit): bench:e2e's p99 at 300 devices fell in both pairs of runs measured (27 → 13 s;
 * 22 → 15 s with a bigger pool too; BENCHMARKS.md).
 */
export function durableCommits(database: ServerDatabase): string[] {
  return [database.name, visibilityDatabase(database)].flatMap((name) => [
    `alter database "${name}" set synchronous_commit = on`,
    `alter database "${name}" set commit_delay = 1000`,
    `alter database "${name}" set commit_siblings = 4`,
  ]);
}

export function startArgs(configFile: string): string[] {
  return ['--config-file', configFile, '--allow-no-auth', 'start'];
}

function sqlStore(database: ServerDatabase, name: string, maxConns: number, maxIdleConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: name,
      connectAddr: `${database.host}:${database.port}`,
      connectProtocol: 'tcp',
      user: database.user,
      password: '',
      maxConns,
      maxIdleConns,
      maxConnLifetime: '1h',
    },
  };
}

/**
 * The server's configuration (after config/development-postgres12.yaml of the same version):
 * one process running frontend, history, matching and the system worker on loopback, on the
 * local PostgreSQL, with TLS on the frontend (mutual: the client presents a certificate the CA
 * signed). Returned as JSON, which is YAML too.
 */
export function serverConfig(settings: ServerSettings): Record<string, unknown> {
  const { ports, database, tls } = settings;
  const rpc = (grpcPort: number, membershipPort: number) => ({ grpcPort, membershipPort, bindOnIP: '127.0.0.1' });
  const frontendClient = { serverName: tls.serverName, rootCaFiles: [tls.ca] };
  return {
    log: { stdout: true, level: settings.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: settings.shards,
      datastores: {
        'postgres-default': sqlStore(database, database.name, database.maxConns, database.maxIdleConns),
        'postgres-visibility': sqlStore(database, visibilityDatabase(database), Math.min(10, database.maxConns), Math.min(10, database.maxIdleConns)),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.metrics}` } },
      tls: {
        frontend: {
          server: { certFile: tls.serverCert, keyFile: tls.serverKey, requireClientAuth: true, clientCaFiles: [tls.ca] },
          client: frontendClient,
        },
        systemWorker: { certFile: tls.clientCert, keyFile: tls.clientKey, client: frontendClient },
        refreshInterval: '1m',
      },
    },
    services: {
      frontend: { rpc: { ...rpc(ports.frontend, ports.membership.frontend), httpPort: ports.frontendHttp } },
      history: { rpc: rpc(ports.history, ports.membership.history) },
      matching: { rpc: rpc(ports.matching, ports.membership.matching) },
      worker: { rpc: rpc(ports.worker, ports.membership.worker) },
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: settings.dynamicConfigFile, pollInterval: '10s' },
  };
}

/**
 * Dynamic configuration. The search-attribute cache is read-through (as Vigil asks of the dev
 * server): Vigil registers its attributes at start, so the cached copy is complete.
 */
export function dynamicConfig(): Record<string, Array<{ value: unknown; constraints: Record<string, never> }>> {
  return {
    'system.forceSearchAttributesCacheRefreshOnRead': [{ value: false, constraints: {} }],
  };
}

/** As text for the config files: JSON is valid YAML. */
export const asYaml = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
