import { type ConnectionProblem, causeChain, oneLine, unreachable } from './connection-failure';
import { describeOrigin } from './env-settings';
import { type KafkaSecurity, kafkaVariables as v } from './kafka-security';
import { type TlsProblem, tlsProblemOf, tlsProblemWords } from './tls-problems';

export interface KafkaContext {
  brokers: string[];
  security: KafkaSecurity;
  /** The local broker `bin/vigil services up` runs (KAFKA_BROKERS unset). */
  managed?: boolean;
}

/** Kafka's authorization error codes (ACLs). */
const authorizationCodes = new Set([29, 30, 31, 53]); // TOPIC_, GROUP_, CLUSTER_, TRANSACTIONAL_ID_AUTHORIZATION_FAILED
const ILLEGAL_SASL_STATE = 34;
const SASL_AUTHENTICATION_FAILED = 58;
const UNSUPPORTED_SASL_MECHANISM = 33;

/** One line for a kafkajs error at start (from the first link of its chain that says something). */
export function kafkaProblem(error: unknown, context: KafkaContext): ConnectionProblem {
  const at = { server: 'Kafka' as const, where: context.brokers.join(',') };
  const { security } = context;
  const chain = causeChain(error);
  const sasl = security.sasl;
  const saslWords = sasl ? `SASL ${sasl.mechanism.toUpperCase()}` : 'SASL';

  const tls = tlsProblemOf(error);
  if (tls && security.ssl) return { ...at, what: tlsProblemWords[tls], detail: innermost(error), hint: tlsHint(tls, security) };

  const saslFailure = chain.find((link) => link.name === 'KafkaJSSASLAuthenticationError');
  const code = chain.find((link) => typeof link.code === 'number')?.code as number | undefined;
  if ((saslFailure && /mechanism is not supported/.test(saslFailure.message)) || code === UNSUPPORTED_SASL_MECHANISM) {
    return { ...at, what: `the broker does not offer ${saslWords} on this listener`, detail: innermost(error), hint: `check ${v.mechanism} and the port in KAFKA_BROKERS` };
  }
  if (saslFailure || code === SASL_AUTHENTICATION_FAILED) {
    return {
      ...at,
      what: `${saslWords} authentication failed for user ${JSON.stringify(sasl?.username ?? '')}`,
      detail: innermost(error),
      hint: `check ${v.username} and ${v.password} (and ${v.mechanism}: a SCRAM user exists for one hash)`,
    };
  }
  if (code === ILLEGAL_SASL_STATE) {
    return { ...at, what: 'this listener does not use SASL', detail: innermost(error), hint: `unset ${v.mechanism}, or give the broker's SASL port in KAFKA_BROKERS` };
  }
  if (code !== undefined && authorizationCodes.has(code)) {
    return { ...at, what: `${sasl ? `user ${JSON.stringify(sasl.username)}` : 'this client'} is not authorized`, detail: innermost(error), hint: 'grant its ACLs on the cluster, the topics and the consumer groups (see docs/operations.md, Running against real clusters)' };
  }
  const unreached = unreachable(error);
  if (unreached) return { ...at, what: 'does not answer', detail: unreached, hint: context.managed ? 'start it: bin/vigil services up' : 'check KAFKA_BROKERS and that the brokers run' };
  if (chain.some((link) => link.name === 'KafkaJSConnectionClosedError' || link.name === 'KafkaJSRequestTimeoutError' || /Closed connection|timed out|timeout/i.test(link.message))) {
    const missing = [!security.ssl ? `TLS (${v.ssl}=true)` : undefined, !sasl ? `SASL (${v.mechanism})` : undefined].filter(Boolean);
    return {
      ...at,
      what: 'the broker closed the connection or did not answer in time',
      detail: innermost(error),
      hint: missing.length > 0 ? `does this listener want ${missing.join(' or ')}? check the port in KAFKA_BROKERS` : 'check the port in KAFKA_BROKERS',
    };
  }
  return { ...at, what: 'the connection failed', detail: innermost(error), hint: 'check KAFKA_BROKERS and the KAFKA_SSL_* and KAFKA_SASL_* settings' };
}

function tlsHint(problem: TlsProblem, security: KafkaSecurity): string {
  switch (problem) {
    case 'untrusted-certificate':
      return security.ca ? `check ${describeOrigin(security.ca.origin)}: is it the CA that signed the brokers' certificates?` : `the system's CAs do not trust it: set ${v.ca} to the CA that signed it`;
    case 'name-mismatch':
      return security.serverName === undefined
        ? `connect by a name the certificate carries (KAFKA_BROKERS), or set ${v.serverName}`
        : `check ${v.serverName} (${security.serverName}): the certificate does not carry it`;
    case 'expired-certificate':
      return "renew the brokers' certificates (or check this machine's clock)";
    case 'not-tls':
      return `check ${v.ssl} and the port in KAFKA_BROKERS`;
    case 'client-certificate-rejected':
      return security.cert ? `check ${describeOrigin(security.cert.origin)} and ${v.key}: is it signed by a CA the brokers trust?` : `the brokers want a client certificate: set ${v.cert} and ${v.key}`;
    case 'client-certificate-unusable':
      return `check ${v.cert} and ${v.key}: a certificate and its own key`;
  }
}

/** The innermost message, kafkajs's `Connection error: ` prefix dropped. */
function innermost(error: unknown): string {
  const chain = causeChain(error);
  return oneLine((chain.at(-1)?.message ?? String(error)).replace(/^Connection error: /, ''));
}
