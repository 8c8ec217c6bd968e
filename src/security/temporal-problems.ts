import { type ConnectionProblem, causeChain, oneLine, unreachable } from './connection-failure';
import { describeOrigin } from './env-settings';
import type { ProbeFinding } from './probe-finding';
import { type TemporalSecurity, temporalVariables as v } from './temporal-security';
import { type TlsProblem, tlsProblemOf, tlsProblemWords } from './tls-problems';

export interface TemporalContext {
  address: string;
  namespace: string;
  security: TemporalSecurity;
  /** The local server `bin/vigil services up` runs (TEMPORAL_ADDRESS unset). */
  managed?: boolean;
}

/** gRPC status codes that name a setting. */
const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;
const NOT_FOUND = 5;
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/**
 * One line for a failed connection to Temporal or a refused first call: the client's error, the
 * worker's (Rust core) error, or what a probe of the port found when the client could not say.
 */
export function temporalProblem(error: unknown, context: TemporalContext, finding?: ProbeFinding): ConnectionProblem {
  const at = { server: 'Temporal' as const, where: context.address };
  const { security } = context;
  const startIt = context.managed ? 'start it: bin/vigil services up' : `check ${addressVar} and that the server runs`;
  if (finding?.kind === 'unreachable') return { ...at, what: 'does not answer', detail: unreachable(finding.error) ?? detailOf(finding.error), hint: startIt };
  if (finding?.kind === 'speaks-tls') {
    return { ...at, what: 'the server speaks TLS and Vigil connects without it', hint: `set ${v.tls}=true (with ${v.serverCa} for a private CA, or ${v.apiKey} for Temporal Cloud)` };
  }
  const tls = tlsProblemOf(finding?.kind === 'tls-failed' ? finding.error : undefined) ?? tlsProblemOf(error);
  if (tls) return { ...at, what: tlsProblemWords[tls], detail: tlsDetail(finding, error), hint: tlsHint(tls, security) };

  const status = grpcStatus(error);
  const by = credentialsInUse(security);
  if (status === UNAUTHENTICATED) {
    return {
      ...at,
      what: by === undefined ? 'the server wants credentials and Vigil sent none' : `the server did not accept the ${by.what}`,
      detail: detailOf(error),
      hint: by === undefined ? `set ${v.apiKey}, or ${v.clientCert} and ${v.clientKey}` : `check ${by.settings}`,
    };
  }
  if (status === PERMISSION_DENIED) {
    return {
      ...at,
      what: `permission denied in namespace ${context.namespace}`,
      detail: detailOf(error),
      hint: `check that ${by?.settings ?? 'the credentials'} may use it, and ${namespaceVar}`,
    };
  }
  if (status === NOT_FOUND) return { ...at, what: `namespace ${context.namespace} does not exist`, detail: detailOf(error), hint: `check ${namespaceVar}` };
  const unreached = unreachable(error);
  if (unreached) return { ...at, what: 'does not answer', detail: unreached, hint: startIt };
  if (status === DEADLINE_EXCEEDED || status === UNAVAILABLE || /before the deadline|timed out/i.test(detailOf(error))) {
    return {
      ...at,
      what: 'does not answer as a Temporal frontend',
      detail: detailOf(error),
      hint: security.tls ? `check ${addressVar} (is it the gRPC port?)` : `check ${addressVar} (is it the gRPC port?) and whether the server wants TLS (${v.tls}=true)`,
    };
  }
  return { ...at, what: 'the connection failed', detail: detailOf(error), hint: `check ${addressVar} and the TEMPORAL_TLS_* and ${v.apiKey} settings` };
}

const addressVar = 'TEMPORAL_ADDRESS';
const namespaceVar = 'TEMPORAL_NAMESPACE';

function tlsHint(problem: TlsProblem, security: TemporalSecurity): string {
  switch (problem) {
    case 'untrusted-certificate':
      return security.serverCa
        ? `check ${describeOrigin(security.serverCa.origin)}: is it the CA that signed the server's certificate?`
        : `the system's CAs do not trust it: set ${v.serverCa} to the CA that signed it`;
    case 'name-mismatch':
      return security.serverName === undefined
        ? `set ${v.serverName} to a name the certificate carries, or connect by that name in ${addressVar}`
        : `check ${v.serverName} (${security.serverName}): the certificate does not carry it`;
    case 'expired-certificate':
      return "renew the server's certificate (or check this machine's clock)";
    case 'not-tls':
      return `check ${v.tls} and the port in ${addressVar}`;
    case 'client-certificate-rejected':
      return security.clientCert
        ? `check ${describeOrigin(security.clientCert.origin)} and ${v.clientKey}: is the certificate signed by a CA the server trusts?`
        : `the server wants mTLS: set ${v.clientCert} and ${v.clientKey}`;
    case 'client-certificate-unusable':
      return `check ${security.clientCert ? describeOrigin(security.clientCert.origin) : v.clientCert} and ${security.clientKey ? describeOrigin(security.clientKey.origin) : v.clientKey}: a v3 certificate and its own key`;
  }
}

/** The credentials Vigil sends, named by their settings; undefined when none. */
function credentialsInUse(security: TemporalSecurity): { what: string; settings: string } | undefined {
  if (security.apiKey && security.clientCert) return { what: 'API key or client certificate', settings: `${v.apiKey}, ${v.clientCert} and ${v.clientKey}` };
  if (security.apiKey) return { what: 'API key', settings: v.apiKey };
  if (security.clientCert) return { what: 'client certificate', settings: `${v.clientCert} and ${v.clientKey}` };
  return undefined;
}

/** The gRPC status code anywhere in the error's chain (the SDK wraps it as the cause). */
export function grpcStatus(error: unknown): number | undefined {
  for (const link of causeChain(error)) if (typeof link.code === 'number') return link.code;
  return undefined;
}

/** The innermost message that says something: `16 UNAUTHENTICATED: …` rather than "Failed to connect to Temporal server". */
function detailOf(error: unknown): string {
  const chain = causeChain(error);
  const innermost = chain.at(-1)?.message ?? '';
  return oneLine(innermost || chain[0]?.message || String(error));
}

function tlsDetail(finding: ProbeFinding | undefined, error: unknown): string {
  return finding?.kind === 'tls-failed' ? detailOf(finding.error) : detailOf(error);
}
