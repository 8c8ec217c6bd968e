import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { ConnectionFailure } from '../security/connection-failure';
import { type TemporalContext, grpcStatus, temporalProblem } from '../security/temporal-problems';
import { temporalConnectionSecurity } from '../security/temporal-security';
import { probePort } from './tls-probe';

/** How long a first connection may take before it is a failure, and then the first call. */
export const TEMPORAL_CONNECT_TIMEOUT_MS = 5000;
export const TEMPORAL_CALL_TIMEOUT_MS = 4000;

export function temporalContext(config: Config): TemporalContext {
  return { address: config.temporal.address, namespace: config.temporal.namespace, security: config.temporal.security, managed: config.temporal.managed };
}

/** The SDK's connection options from the configuration: address, TLS, API key. */
export function temporalConnectionOptions(config: Config) {
  const security = temporalConnectionSecurity(config.temporal.security);
  return { address: config.temporal.address, ...security, ...namespaceHeader(config, security.apiKey) };
}

/**
 * With an API key, the namespace in the `temporal-namespace` header, as Temporal Cloud's
 * documentation has SDK clients send it: its regional API-key endpoints route by it.
 */
function namespaceHeader(config: Config, apiKey: string | undefined): { metadata?: Record<string, string> } {
  return apiKey === undefined ? {} : { metadata: { 'temporal-namespace': config.temporal.namespace } };
}

/**
 * A checked connection to Temporal: it connects within the timeout and may describe the
 * namespace (so a wrong API key or certificate fails here, not at the first real call), or it
 * throws a ConnectionFailure: one line naming the server and the setting to check. With
 * `diagnose` (the default) a failure the SDK cannot explain is explained by a look at the port.
 */
export async function openTemporalConnection(config: Config, options: { connectTimeoutMs?: number; diagnose?: boolean } = {}): Promise<Connection> {
  const context = temporalContext(config);
  const diagnose = options.diagnose ?? true;
  const connecting = Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: options.connectTimeoutMs ?? TEMPORAL_CONNECT_TIMEOUT_MS });
  connecting.catch(() => undefined);
  // Beside the SDK, a look at the port: a refused port or a failed TLS handshake is certain at
  // once, where the SDK says only "Failed to connect before the deadline" when its timeout ends.
  // (Not through an HTTP proxy, which the SDK would use and the look would not.)
  const early = diagnose && !behindProxy() ? await probeTemporal(config, { checkSpeaksTls: false }) : undefined;
  if (early?.kind === 'tls-failed' || (early?.kind === 'unreachable' && definitelyUnreachable(early.error))) {
    void connecting.then((late) => late.close(), () => undefined);
    throw new ConnectionFailure(temporalProblem(early.error, context, early), early.error);
  }
  let connection: Connection;
  try {
    connection = await connecting;
  } catch (error) {
    const finding = grpcStatus(error) !== undefined || !diagnose ? undefined : early?.kind === 'unreachable' ? early : await probeTemporal(config);
    throw new ConnectionFailure(temporalProblem(error, context, finding), error);
  }
  try {
    await connection.withDeadline(Date.now() + TEMPORAL_CALL_TIMEOUT_MS, () => connection.workflowService.describeNamespace({ namespace: config.temporal.namespace }));
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw new ConnectionFailure(temporalProblem(error, context), error);
  }
  return connection;
}

/** A Temporal client on a checked connection; closing it is `client.connection.close()`. */
export async function connectTemporalClient(config: Config): Promise<Client> {
  const connection = await openTemporalConnection(config);
  return new Client({ connection, namespace: config.temporal.namespace });
}

/** The worker's native (Rust core) connection, with the same settings; its failures told in one line too. */
export async function connectTemporalWorker(config: Config): Promise<NativeConnection> {
  const { tls, apiKey } = temporalConnectionSecurity(config.temporal.security);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${TEMPORAL_CONNECT_TIMEOUT_MS / 1000} s`)), TEMPORAL_CONNECT_TIMEOUT_MS);
  });
  const connecting = NativeConnection.connect({ address: config.temporal.address, tls, ...(apiKey === undefined ? {} : { apiKey }), ...namespaceHeader(config, apiKey) });
  try {
    return await Promise.race([connecting, timeout]);
  } catch (error) {
    // A connection that arrives after the timeout is closed, not leaked.
    connecting.then((late) => late.close(), () => undefined);
    throw new ConnectionFailure(temporalProblem(error, temporalContext(config)), error);
  } finally {
    clearTimeout(timer);
  }
}

/** grpc-js connects through an HTTP proxy when one of these is set. */
function behindProxy(): boolean {
  return ['grpc_proxy', 'https_proxy', 'http_proxy', 'GRPC_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY'].some((name) => process.env[name]);
}

/** Refused or no such host: no retry will change it (a timeout might be a slow network). */
function definitelyUnreachable(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND';
}

/** A look at Temporal's port with the configured TLS settings, for a failure the SDK did not explain. */
export function probeTemporal(config: Config, options: { checkSpeaksTls?: boolean } = {}) {
  const { security } = config.temporal;
  const tls = security.tls
    ? {
        ca: security.serverCa?.pem,
        cert: security.clientCert?.pem,
        key: security.clientKey?.pem.reveal(),
        serverName: security.serverName,
        alpn: ['h2'],
      }
    : undefined;
  return probePort(config.temporal.address, 7233, tls, options);
}
