import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * Stand-ins for the parts of managed services that no local server here checks: Temporal Cloud's
 * API keys (the local production server runs without an authorizer) and a managed PostgreSQL's
 * passwords (the local cluster trusts loopback). Each answers the way the real service does on
 * the wire, so the real client libraries and Vigil's own error handling are what the tests test.
 */

export interface StandIn {
  port: number;
  close(): Promise<void>;
}

const tlsFixtures = path.resolve(__dirname, '../fixtures/tls');

function listening(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closing(server: net.Server, sockets: Set<{ destroy(): void }>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

/**
 * A gRPC frontend over TLS (the test CA's `localhost` certificate) that refuses every call as
 * Temporal Cloud refuses a wrong API key: status 16 UNAUTHENTICATED, "Request unauthorized.".
 */
export async function temporalCloudRefusingApiKeys(): Promise<StandIn & { calls: Array<{ path: string; authorization?: string; namespace?: string }> }> {
  const calls: Array<{ path: string; authorization?: string; namespace?: string }> = [];
  const server = http2.createSecureServer({
    key: fs.readFileSync(path.join(tlsFixtures, 'server.key')),
    cert: fs.readFileSync(path.join(tlsFixtures, 'server.pem')),
    ALPNProtocols: ['h2'],
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    calls.push({ path: String(headers[':path']), authorization: headers.authorization, namespace: headers['temporal-namespace'] as string | undefined });
    stream.resume();
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '16', 'grpc-message': 'Request unauthorized.' }));
    stream.end();
  });
  const port = await listening(server);
  return { port, calls, close: closing(server, sessions) };
}

/**
 * A PostgreSQL server that asks for a password and refuses it, as a managed server refuses a
 * wrong one: SQLSTATE 28P01. It declines TLS, as a server without it does.
 */
export async function postgresRefusingPasswords(): Promise<StandIn> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        // Before the startup message a message is length + body; after it, type + length + body.
        const header = started ? 5 : 4;
        if (buffered.length < header) return;
        const length = buffered.readInt32BE(started ? 1 : 0) + (started ? 1 : 0);
        if (buffered.length < length) return;
        const message = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        if (!started) {
          const code = message.readInt32BE(4);
          if (code === 80877103) {
            socket.write('N'); // SSLRequest: no TLS here
          } else {
            started = true;
            socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // AuthenticationCleartextPassword
          }
        } else if (message[0] === 0x70) {
          socket.end(errorResponse('28P01', 'password authentication failed for user "vigil"'));
          return;
        }
      }
    });
  });
  const port = await listening(server);
  return { port, close: closing(server, sockets) };
}

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', code), field('M', message), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

const field = (type: string, value: string) => Buffer.concat([Buffer.from(type), Buffer.from(value, 'utf8'), Buffer.from([0])]);
