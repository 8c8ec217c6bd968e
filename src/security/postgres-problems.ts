import { type ConnectionProblem, causeChain, oneLine, unreachable } from './connection-failure';
import { describeOrigin } from './env-settings';
import type { PostgresConnection } from './postgres-ssl';
import { type TlsProblem, tlsProblemOf, tlsProblemWords } from './tls-problems';

/** `127.0.0.1:5433/vigil`: where a URL points, without user or password. */
export function postgresWhere(connection: PostgresConnection): string {
  const url = new URL(connection.url);
  return `${url.host}${url.pathname}`;
}

/** One line for a node-pg error at connect time; `managed`: the local server `bin/vigil services up` runs. */
export function postgresProblem(
  error: unknown,
  connection: PostgresConnection & { managed?: boolean },
  /** The variable that holds the URL, and whether `services up` creates its database (the sink's does). */
  { variable = 'DATABASE_URL', servicesUpCreatesIt = true }: { variable?: string; servicesUpCreatesIt?: boolean } = {},
): ConnectionProblem {
  const at = { server: 'PostgreSQL' as const, where: postgresWhere(connection) };
  const url = new URL(connection.url);
  const user = decodeURIComponent(url.username) || 'the default user';
  const { ssl } = connection;
  const chain = causeChain(error);
  const message = chain[0]?.message ?? String(error);
  const code = chain.find((link) => typeof link.code === 'string')?.code as string | undefined;
  // The setting that says sslmode: where it was given, or where to give it.
  const modeSetting = ssl.modeOrigin === 'default' || ssl.modeOrigin.startsWith('implied') ? `sslmode in ${variable} (or PGSSLMODE)` : ssl.modeOrigin;

  if (code === '28P01') return { ...at, what: `password authentication failed for user ${JSON.stringify(user)}`, hint: `check the user and password in ${variable} (or PGPASSWORD)` };
  if (code === '28000' && /SSL off|no encryption/i.test(message)) {
    return { ...at, what: 'the server accepts this user only over TLS', detail: message, hint: `set ${modeSetting} to require (or verify-full with a CA)` };
  }
  if (code === '28000') return { ...at, what: `the server refuses user ${JSON.stringify(user)} from this host`, detail: message, hint: `check the user in ${variable} and the server's pg_hba.conf` };
  if (code === '3D000') return { ...at, what: 'the database does not exist', detail: message, hint: `check ${variable}${servicesUpCreatesIt ? ', or run bin/vigil services up (it creates the database)' : ''}` };
  if (/does not support SSL/i.test(message)) return { ...at, what: 'the server does not offer TLS', hint: `check ${modeSetting}` };

  const tls = tlsProblemOf(error);
  if (tls && ssl.mode !== 'disable') return { ...at, what: tlsProblemWords[tls], detail: oneLine(message), hint: tlsHint(tls, connection, url.hostname, modeSetting, variable) };

  const unreached = unreachable(error);
  if (unreached) return { ...at, what: 'does not answer', detail: unreached, hint: connection.managed ? 'start it: bin/vigil services up' : `check the host and port in ${variable} and that the server runs` };
  if (/timeout/i.test(message)) return { ...at, what: 'does not answer in time', detail: oneLine(message), hint: `check the host and port in ${variable}` };
  if (/terminated unexpectedly|ECONNRESET/i.test(`${message} ${code ?? ''}`)) {
    return { ...at, what: 'the server closed the connection', detail: oneLine(message), hint: ssl.mode === 'disable' ? `does it want TLS? set ${modeSetting}` : `check ${modeSetting} and the port in ${variable}` };
  }
  return { ...at, what: 'the connection failed', detail: oneLine(message), hint: `check ${variable} and its sslmode` };
}

function tlsHint(problem: TlsProblem, connection: PostgresConnection, host: string, modeSetting: string, variable: string): string {
  const { ssl } = connection;
  switch (problem) {
    case 'untrusted-certificate':
      return ssl.ca
        ? `check ${describeOrigin(ssl.ca.origin)}: is it the CA that signed the server's certificate?`
        : `the system's CAs do not trust it: set sslrootcert in ${variable} (or PGSSLROOTCERT) to the CA that signed it, or sslmode=require to encrypt without verifying`;
    case 'name-mismatch':
      return `the certificate does not carry ${host}: connect by a name it carries in ${variable}, or use sslmode=verify-ca`;
    case 'expired-certificate':
      return "renew the server's certificate (or check this machine's clock)";
    case 'not-tls':
      return `check ${modeSetting} and the port in ${variable}`;
    case 'client-certificate-rejected':
      return ssl.cert ? `check ${describeOrigin(ssl.cert.origin)} and the key: is it signed by a CA the server trusts?` : `the server wants a client certificate: set sslcert and sslkey in ${variable} (or PGSSLCERT and PGSSLKEY)`;
    case 'client-certificate-unusable':
      return 'check sslcert and sslkey (or PGSSLCERT and PGSSLKEY): a certificate and its own key';
  }
}
