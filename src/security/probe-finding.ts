/**
 * What a direct look at a server's port found, after a client library failed without saying why
 * (the Temporal client only says "Failed to connect before the deadline"): connections/tls-probe.ts
 * finds it, the classifiers read it.
 */
export type ProbeFinding =
  /** TCP did not connect: refused, no such host, timed out. */
  | { kind: 'unreachable'; error: unknown }
  /** TCP connected, the TLS handshake failed (or the server refused our certificate right after it). */
  | { kind: 'tls-failed'; error: unknown }
  /** TLS was not asked for, and the port speaks TLS. */
  | { kind: 'speaks-tls' }
  /** The port answered, and TLS (if asked for) was accepted: the problem is past the handshake. */
  | { kind: 'answered' };
