import net from 'node:net';
import tls from 'node:tls';
import type { ProbeFinding } from '../security/probe-finding';

/** Host and port of `host:port` or `[ipv6]:port`. */
export function splitAddress(address: string, defaultPort: number): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] === undefined ? defaultPort : Number(bracketed[2]) };
  const at = address.lastIndexOf(':');
  if (at < 0 || address.indexOf(':') !== at) return { host: address, port: defaultPort };
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

export interface ProbeTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** The name the certificate must carry; undefined: the host. */
  serverName?: string;
  /** ALPN, as the client library offers it (gRPC: h2). */
  alpn?: string[];
}

/**
 * Looks at a port directly, for when a client library fails without saying why: does TCP
 * connect; with `tlsOptions`, does the handshake pass with exactly those settings (and does the
 * server keep the connection after seeing our certificate: a TLS 1.3 server refuses a client
 * certificate only after the handshake); without, and with `checkSpeaksTls`, does the port speak
 * TLS anyway.
 */
export async function probePort(
  address: string,
  defaultPort: number,
  tlsOptions: ProbeTls | undefined,
  options: { timeoutMs?: number; checkSpeaksTls?: boolean } = {},
): Promise<ProbeFinding> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const { host, port } = splitAddress(address, defaultPort);
  const tcp = await new Promise<unknown>((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => done(Object.assign(new Error(`connect ETIMEDOUT ${host}:${port}`), { code: 'ETIMEDOUT' })), timeoutMs);
    const done = (error: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error);
    };
    socket.once('connect', () => done(undefined));
    socket.once('error', done);
  });
  if (tcp !== undefined) return { kind: 'unreachable', error: tcp };
  if (tlsOptions) {
    const error = await handshake(host, port, { ...tlsOptions, verify: true }, timeoutMs);
    return error === undefined ? { kind: 'answered' } : { kind: 'tls-failed', error };
  }
  if (!(options.checkSpeaksTls ?? true)) return { kind: 'answered' };
  const error = await handshake(host, port, { verify: false }, timeoutMs);
  return error === undefined ? { kind: 'speaks-tls' } : { kind: 'answered' };
}

/** Marks a server that hung up right after the handshake, before a byte was sent: it refused our certificate without an alert. */
export const CLOSED_AFTER_HANDSHAKE = 'CLOSED_AFTER_HANDSHAKE';

/** A TLS handshake and a short wait for an alert after it; undefined when it passed. */
function handshake(host: string, port: number, options: ProbeTls & { verify: boolean }, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve) => {
    const servername = options.serverName ?? (net.isIP(host) ? undefined : host);
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({
      host,
      port,
      ...(servername === undefined ? {} : { servername }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.cert === undefined ? {} : { cert: options.cert }),
      ...(options.key === undefined ? {} : { key: options.key }),
      ALPNProtocols: options.alpn,
      rejectUnauthorized: options.verify,
      });
    } catch (error) {
      // Our own certificate and key refused before any connection (a key that is not the certificate's).
      resolve(error);
      return;
    }
    let timer = setTimeout(() => done(new Error(`no TLS handshake within ${timeoutMs / 1000} s`)), timeoutMs);
    const done = (error: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error);
    };
    socket.once('error', done);
    socket.on('data', () => undefined);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      // A refused client certificate arrives as an alert just after the handshake (TLS 1.3), or the server just hangs up.
      timer = setTimeout(() => done(undefined), 300);
      socket.once('close', () => done(Object.assign(new Error('the server closed the connection right after the TLS handshake'), { code: CLOSED_AFTER_HANDSHAKE })));
    });
  });
}
