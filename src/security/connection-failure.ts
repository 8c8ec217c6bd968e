/**
 * A connection that failed, said in one line: which server, what happened, and which setting
 * to check. Every process stops with this line at start; `services status` prints it.
 */
export interface ConnectionProblem {
  server: 'Temporal' | 'Kafka' | 'PostgreSQL' | 'S3';
  /** Address, brokers or host:port/database: never a password. */
  where: string;
  what: string;
  /** The library's or server's own words, when they add something. */
  detail?: string;
  /** The setting to check, and how. */
  hint: string;
}

export function formatProblem(problem: ConnectionProblem): string {
  const detail = problem.detail === undefined || problem.detail === '' ? '' : ` (${oneLine(problem.detail)})`;
  return `${problem.server} at ${problem.where}: ${problem.what}${detail}; ${problem.hint}`;
}

/** An Error whose message is the problem's one line; the CLI prints the message alone, without a stack. */
export class ConnectionFailure extends Error {
  constructor(
    readonly problem: ConnectionProblem,
    /** The library's error, for code that tells cases apart (a database to create). */
    override readonly cause?: unknown,
  ) {
    super(formatProblem(problem));
    this.name = 'ConnectionFailure';
  }
}

/**
 * A message on one line, without repeated whitespace, at most 300 characters; OpenSSL's
 * `80DC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/…:350:` told
 * as its reason alone (`wrong version number`).
 */
export function oneLine(text: string): string {
  const flat = text.replace(/[0-9A-F]{8,}:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):[^\s]*/g, '$1').replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/** An error and what it wraps (`cause`, kafkajs's `originalError`), outermost first. */
export function causeChain(error: unknown): Array<{ name?: string; code?: string | number; message: string; type?: string; [key: string]: unknown }> {
  const chain = [];
  let at: unknown = error;
  for (let depth = 0; depth < 6 && at !== undefined && at !== null; depth++) {
    if (typeof at !== 'object') {
      chain.push({ message: String(at) });
      break;
    }
    const e = at as { name?: string; code?: string | number; message?: string; type?: string; cause?: unknown; originalError?: unknown };
    chain.push({ ...e, name: e.name, code: e.code, type: e.type, message: typeof e.message === 'string' ? e.message : String(at) });
    at = e.cause ?? e.originalError;
  }
  return chain;
}

/** Node's codes for a server that did not answer at all. */
const unreachableCodes: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name does not resolve (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

/** `connection refused`, `no such host`, …: the first link of the chain that says the server was not reached. */
export function unreachable(error: unknown): string | undefined {
  for (const link of causeChain(error)) {
    if (typeof link.code === 'string' && unreachableCodes[link.code]) return unreachableCodes[link.code];
  }
  return undefined;
}
