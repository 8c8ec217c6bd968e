import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { SCRAM_MECHANISMS } from './kafka-properties';

/**
 * The SCRAM user of the local broker's SASL_SSL listener: its password is made once, kept in a
 * mode-600 file, given to the broker at format time (`--add-scram`) or, for data formatted
 * before the listener existed, added through the plaintext listener (kafka-configs). The
 * password never appears in a log, a message or an error.
 */
export const SCRAM_USER = 'vigil';

export function scramPasswordFile(home: string): string {
  return path.join(home, 'credentials', `kafka-${SCRAM_USER}.password`);
}

/** The user's password, made (random, 32 characters of base64url) the first time. */
export function ensureScramPassword(home: string): string {
  const file = scramPasswordFile(home);
  if (fs.existsSync(file)) {
    const password = fs.readFileSync(file, 'utf8').trim();
    if (password.length > 0) return password;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** StorageTool format's arguments that create the user, one credential per mechanism. */
export function formatScramArgs(user: string, password: string): string[] {
  return SCRAM_MECHANISMS.flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${user},password=${password}]`]);
}

/**
 * kafka-configs' `--add-config-file` content that sets one mechanism's credential (a file keeps
 * the password out of the command line). One mechanism a call: the broker refuses to alter a
 * user's credentials twice in one request. In a file the value has no brackets.
 */
export function scramConfigFile(mechanism: (typeof SCRAM_MECHANISMS)[number], password: string): string {
  return `${mechanism}=password=${password}\n`;
}

/** kafka-configs arguments that alter the user's credentials from `configFile`, through the plaintext listener. */
export function alterScramArgs(bootstrap: string, user: string, configFile: string): string[] {
  return ['kafka.admin.ConfigCommand', '--bootstrap-server', bootstrap, '--alter', '--entity-type', 'users', '--entity-name', user, '--add-config-file', configFile];
}

/** Text with every occurrence of the secret masked: for the output of a tool that was given it. */
export function redacted(text: string, secret: string): string {
  return secret ? text.split(secret).join('***') : text;
}

/** Runs a Kafka tool; a failure is one line that names the step, with any secret masked. */
export function runKafkaTool(description: string, java: string[], cwd: string, secret: string): void {
  const result = spawnSync('java', java, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status === 0) return;
  const output = redacted(`${result.stdout ?? ''}\n${result.stderr ?? ''}`, secret);
  const last = output.split('\n').map((line) => line.trim()).filter(Boolean).reverse().find((line) => !line.startsWith('at ')) ?? 'no output';
  throw new Error(`${description} failed (exit ${result.status}): ${last}`);
}

export interface SaslEndpoint {
  host: string;
  port: number;
  ca: string;
}

/**
 * Whether the user can log in on the SASL_SSL listener with the password: 'ok', 'refused' (no
 * such user, or another password), or 'unreachable'.
 */
export async function scramLogin(endpoint: SaslEndpoint, user: string, password: string): Promise<'ok' | 'refused' | 'unreachable'> {
  const kafka = new Kafka({
    clientId: 'vigil-sasl-check',
    brokers: [`${endpoint.host}:${endpoint.port}`],
    ssl: { ca: [fs.readFileSync(endpoint.ca, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: user, password },
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return 'ok';
  } catch (error) {
    return (error as Error).name === 'KafkaJSSASLAuthenticationError' ? 'refused' : 'unreachable';
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
