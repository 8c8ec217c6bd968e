import { describe, expect, it } from 'vitest';
import {
  allPorts,
  asYaml,
  durableCommits,
  dynamicConfig,
  goInstallCommand,
  goIsRecentEnough,
  parseGoVersion,
  schemaSteps,
  serverConfig,
  serverPorts,
  type ServerSettings,
  startArgs,
} from '../../../src/services/temporal-server-config';

const settings: ServerSettings = {
  ports: serverPorts(27233, 27235),
  shards: 8,
  database: { name: 'temporal', host: '127.0.0.1', port: 25433, user: 'vigil', maxConns: 20, maxIdleConns: 20 },
  tls: { ca: '/s/certs/ca.crt', serverCert: '/s/certs/server.crt', serverKey: '/s/certs/server.key', clientCert: '/s/certs/client.crt', clientKey: '/s/certs/client.key', serverName: 'localhost' },
  dynamicConfigFile: '/s/temporal-server/dynamic-config.yaml',
  logLevel: 'warn',
};

describe('the production Temporal server: version, build and command lines', () => {
  it('builds the pinned server and sql tool with go install, caches under the given folders, with the pinned toolchain', () => {
    expect(goInstallCommand({ bin: '/s/bin', modCache: '/s/go/mod', buildCache: '/s/go/build' })).toEqual({
      args: ['install', '-trimpath', 'go.temporal.io/server/cmd/server@v1.32.2', 'go.temporal.io/server/cmd/tools/sql@v1.32.2'],
      env: { GOTOOLCHAIN: 'go1.27.3', GOBIN: '/s/bin', GOMODCACHE: '/s/go/mod', GOCACHE: '/s/go/build', GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' },
    });
  });

  it('reads `go version` and wants Go 1.21 or newer, which fetches the pinned toolchain itself', () => {
    expect(parseGoVersion('go version go1.26.8 linux/amd64')).toEqual([1, 26]);
    expect(parseGoVersion('go version devel')).toBeUndefined();
    expect(goIsRecentEnough([1, 21])).toBe(true);
    expect(goIsRecentEnough([1, 20])).toBe(false);
    expect(goIsRecentEnough([2, 0])).toBe(true);
  });

  it('sets up both databases with the server\'s own sql tool: create, versioning tables, every embedded update', () => {
    const db = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', '25433', '-u', 'vigil', '--db'];
    expect(schemaSteps(settings.database).map((step) => step.args)).toEqual([
      [...db, 'temporal', 'create-database'],
      [...db, 'temporal', 'setup-schema', '-v', '0.0'],
      [...db, 'temporal', 'update-schema', '--schema-name', 'postgresql/v12/temporal'],
      [...db, 'temporal_visibility', 'create-database'],
      [...db, 'temporal_visibility', 'setup-schema', '-v', '0.0'],
      [...db, 'temporal_visibility', 'update-schema', '--schema-name', 'postgresql/v12/visibility'],
    ]);
  });

  it('makes its databases\' commits durable, whatever the cluster\'s default, and flushed together', () => {
    expect(durableCommits(settings.database)).toEqual([
      'alter database "temporal" set synchronous_commit = on',
      'alter database "temporal" set commit_delay = 1000',
      'alter database "temporal" set commit_siblings = 4',
      'alter database "temporal_visibility" set synchronous_commit = on',
      'alter database "temporal_visibility" set commit_delay = 1000',
      'alter database "temporal_visibility" set commit_siblings = 4',
    ]);
  });

  it('starts from its config file with no authorizer (mutual TLS keeps strangers out)', () => {
    expect(startArgs('/s/config.yaml')).toEqual(['--config-file', '/s/config.yaml', '--allow-no-auth', 'start']);
  });
});

describe('the production Temporal server: ports and configuration', () => {
  it('lays its ports around the frontend\'s, as Temporal does, with matching off the metrics port', () => {
    expect(serverPorts(7233, 7235)).toEqual({
      frontend: 7233, frontendHttp: 7243, history: 7234, matching: 7236, worker: 7239,
      membership: { frontend: 6933, history: 6934, matching: 6936, worker: 6939 },
      metrics: 7235,
    });
    const ports = allPorts(serverPorts(27233, 27235));
    expect(new Set(ports).size, 'no port used twice').toBe(ports.length);
  });

  it('runs every service on loopback, on the local PostgreSQL, with the shards and pool asked for', () => {
    const config = serverConfig(settings) as any;
    expect(config.persistence.numHistoryShards).toBe(8);
    expect(config.persistence.datastores['postgres-default'].sql).toEqual({
      pluginName: 'postgres12', databaseName: 'temporal', connectAddr: '127.0.0.1:25433', connectProtocol: 'tcp',
      user: 'vigil', password: '', maxConns: 20, maxIdleConns: 20, maxConnLifetime: '1h',
    });
    expect(config.persistence.datastores['postgres-visibility'].sql).toMatchObject({ databaseName: 'temporal_visibility', maxConns: 10, maxIdleConns: 10 });
    expect(config.services).toEqual({
      frontend: { rpc: { grpcPort: 27233, membershipPort: 26933, bindOnIP: '127.0.0.1', httpPort: 27243 } },
      history: { rpc: { grpcPort: 27234, membershipPort: 26934, bindOnIP: '127.0.0.1' } },
      matching: { rpc: { grpcPort: 27236, membershipPort: 26936, bindOnIP: '127.0.0.1' } },
      worker: { rpc: { grpcPort: 27239, membershipPort: 26939, bindOnIP: '127.0.0.1' } },
    });
    expect(config.global.metrics.prometheus.listenAddress).toBe('127.0.0.1:27235');
    expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:27233');
    expect(config.dynamicConfigClient.filepath).toBe('/s/temporal-server/dynamic-config.yaml');
  });

  it('puts mutual TLS on the frontend, and gives its own system worker the client certificate', () => {
    const { tls } = (serverConfig(settings) as any).global;
    expect(tls.frontend).toEqual({
      server: { certFile: '/s/certs/server.crt', keyFile: '/s/certs/server.key', requireClientAuth: true, clientCaFiles: ['/s/certs/ca.crt'] },
      client: { serverName: 'localhost', rootCaFiles: ['/s/certs/ca.crt'] },
    });
    expect(tls.systemWorker).toEqual({ certFile: '/s/certs/client.crt', keyFile: '/s/certs/client.key', client: { serverName: 'localhost', rootCaFiles: ['/s/certs/ca.crt'] } });
    expect(tls.internode, 'no TLS between its own services on loopback').toBeUndefined();
  });

  it('writes its files as JSON, which YAML readers take as it is', () => {
    expect(JSON.parse(asYaml(serverConfig(settings)))).toEqual(serverConfig(settings));
    expect(dynamicConfig()).toEqual({ 'system.forceSearchAttributesCacheRefreshOnRead': [{ value: false, constraints: {} }] });
  });
});
