import type { SASLOptions } from 'kafkajs';
import { z } from 'zod';
import { checkKeyPair, envBoolean, envPem, envSecret, envValue, pemOriginSchema, type ReadFile } from './env-settings';
import { Secret, secretSchema } from './secret';

/** SASL mechanisms Vigil speaks to Kafka: MSK's SCRAM, Confluent Cloud's PLAIN. */
export const saslMechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export const saslMechanismSchema = z.enum(saslMechanisms);
export type SaslMechanism = z.infer<typeof saslMechanismSchema>;

/** How Vigil reaches the brokers: TLS (SSL in Kafka's words) and SASL. */
export const kafkaSecuritySchema = z.object({
  ssl: z.boolean(),
  /** The CA that signed the brokers' certificates; undefined: the system's CAs (MSK, Confluent Cloud). */
  ca: z.object({ pem: z.string(), origin: pemOriginSchema }).optional(),
  /** A client certificate and key, for brokers that authenticate clients by TLS. */
  cert: z.object({ pem: z.string(), origin: pemOriginSchema }).optional(),
  key: z.object({ pem: secretSchema, origin: pemOriginSchema }).optional(),
  /** The name the brokers' certificates must carry, when it is not the broker address's host. */
  serverName: z.string().min(1).optional(),
  sasl: z.object({ mechanism: saslMechanismSchema, username: z.string().min(1), password: secretSchema }).optional(),
});
export type KafkaSecurity = z.infer<typeof kafkaSecuritySchema>;

export const kafkaVariables = {
  ssl: 'KAFKA_SSL',
  ca: 'KAFKA_SSL_CA',
  cert: 'KAFKA_SSL_CERT',
  key: 'KAFKA_SSL_KEY',
  serverName: 'KAFKA_SSL_SERVER_NAME',
  mechanism: 'KAFKA_SASL_MECHANISM',
  username: 'KAFKA_SASL_USERNAME',
  password: 'KAFKA_SASL_PASSWORD',
} as const;

/** Reads and checks Kafka's security settings; files are read here, once. Throws one line naming the variable. */
export function kafkaSecurityFromEnv(env: NodeJS.ProcessEnv, readFile: ReadFile): KafkaSecurity {
  const v = kafkaVariables;
  const ca = envPem(env, { pathVariables: [v.ca], kind: 'certificate' }, readFile);
  const cert = envPem(env, { pathVariables: [v.cert], kind: 'certificate' }, readFile);
  const keyPem = envPem(env, { pathVariables: [v.key], kind: 'private key' }, readFile);
  const key = keyPem && { pem: new Secret(keyPem.pem), origin: keyPem.origin };
  if (cert && !key) throw new Error(`${v.cert} is set without ${v.key}: a client certificate needs its key`);
  if (key && !cert) throw new Error(`${v.key} is set without ${v.cert}: a client certificate needs its key`);
  if (cert && keyPem) checkKeyPair(cert, keyPem);
  const serverName = envValue(env, v.serverName)?.trim();
  const sslOnly = [ca && v.ca, cert && v.cert, serverName === undefined ? undefined : v.serverName].filter((name) => typeof name === 'string');
  const sslSetting = envBoolean(env, v.ssl);
  if (sslSetting === false && sslOnly.length > 0) throw new Error(`${v.ssl}=false contradicts ${sslOnly.join(', ')}: unset one or the other`);
  return { ssl: sslSetting ?? sslOnly.length > 0, ca, cert, key, serverName, sasl: saslFromEnv(env, readFile) };
}

function saslFromEnv(env: NodeJS.ProcessEnv, readFile: ReadFile): KafkaSecurity['sasl'] {
  const v = kafkaVariables;
  const mechanism = envValue(env, v.mechanism)?.trim().toLowerCase();
  const username = envValue(env, v.username);
  const password = envSecret(env, v.password, readFile);
  if (mechanism === undefined) {
    if (username !== undefined || password !== undefined) throw new Error(`${username !== undefined ? v.username : v.password} is set without ${v.mechanism} (${saslMechanisms.join(', ')})`);
    return undefined;
  }
  const parsed = saslMechanismSchema.safeParse(mechanism);
  if (!parsed.success) throw new Error(`${v.mechanism} must be one of ${saslMechanisms.join(', ')}, not ${JSON.stringify(envValue(env, v.mechanism))}`);
  if (username === undefined) throw new Error(`${v.mechanism}=${parsed.data} needs ${v.username}`);
  if (password === undefined) throw new Error(`${v.mechanism}=${parsed.data} needs ${v.password}`);
  return { mechanism: parsed.data, username, password };
}

/** The kafkajs `ssl` and `sasl` options. */
export function kafkaClientSecurity(security: KafkaSecurity): { ssl: boolean | { ca?: string[]; cert?: string; key?: string; servername?: string; rejectUnauthorized: true }; sasl?: SASLOptions } {
  const custom = security.ca || security.cert || security.serverName !== undefined;
  const ssl = !security.ssl
    ? false
    : !custom
      ? true
      : {
          rejectUnauthorized: true as const,
          ...(security.ca ? { ca: [security.ca.pem] } : {}),
          ...(security.cert && security.key ? { cert: security.cert.pem, key: security.key.pem.reveal() } : {}),
          ...(security.serverName === undefined ? {} : { servername: security.serverName }),
        };
  const { sasl } = security;
  return { ssl, ...(sasl ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password.reveal() } as SASLOptions } : {}) };
}

/** One line on how Vigil reaches Kafka, for `services status` and logs: never a secret. */
export function describeKafkaSecurity(security: KafkaSecurity): string {
  const transport = security.ssl ? 'TLS' : 'plaintext';
  const parts = [security.sasl ? `SASL_${security.ssl ? 'SSL' : 'PLAINTEXT'} ${security.sasl.mechanism.toUpperCase()} as ${security.sasl.username}` : transport];
  if (security.cert) parts.push('client certificate');
  return parts.join(', ');
}
