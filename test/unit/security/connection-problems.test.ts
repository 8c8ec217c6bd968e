import fs from 'node:fs';
import path from 'node:path';
import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { formatProblem, oneLine } from '../../../src/security/connection-failure';
import { kafkaProblem } from '../../../src/security/kafka-problems';
import { kafkaSecurityFromEnv } from '../../../src/security/kafka-security';
import { postgresProblem } from '../../../src/security/postgres-problems';
import { postgresConnectionFromEnv } from '../../../src/security/postgres-ssl';
import { temporalProblem } from '../../../src/security/temporal-problems';
import { temporalSecurityFromEnv } from '../../../src/security/temporal-security';
import { tlsProblemOf } from '../../../src/security/tls-problems';

// kafkajs's own error classes, as it raises them (its type declarations lag behind their constructors).
type ErrorClass = new (message: string | Error, metadata?: object) => Error;
const { KafkaJSConnectionClosedError, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } = require('kafkajs/src/errors') as Record<'KafkaJSConnectionClosedError' | 'KafkaJSConnectionError' | 'KafkaJSNumberOfRetriesExceeded' | 'KafkaJSSASLAuthenticationError', ErrorClass>;
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };

const tls = path.resolve(__dirname, '../../fixtures/tls');
const read = (file: string) => fs.readFileSync(path.join(tls, path.basename(file)), 'utf8');

/** An error as Node's TLS and net modules raise them. */
const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code });
/** A gRPC status as the Temporal client raises it: the SDK's ServiceError around the call's error. */
const grpc = (code: number, message: string) => new ServiceError('Failed to connect to Temporal server', { cause: Object.assign(new Error(message), { code, details: message }) });
/** kafkajs giving up after its retries, on a connection error with Node's code. */
const kafkaConnection = (code: string, message: string) =>
  new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError(`Connection error: ${message}`, { code }), { retryCount: 0, retryTime: 100 });

describe('the one line a failed connection gives', () => {
  it('tells OpenSSL errors by their reason, on one line', () => {
    expect(oneLine('801C0D65EF7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n')).toBe('wrong version number');
    expect(formatProblem({ server: 'Kafka', where: 'b1:9096', what: 'does not answer', detail: 'connection\n refused', hint: 'check KAFKA_BROKERS' })).toBe(
      'Kafka at b1:9096: does not answer (connection refused); check KAFKA_BROKERS',
    );
  });

  it('knows TLS failures from Node (OpenSSL) and from the worker (rustls)', () => {
    expect(tlsProblemOf(nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'))).toBe('untrusted-certificate');
    expect(tlsProblemOf(kafkaConnection('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'))).toBe('untrusted-certificate');
    expect(tlsProblemOf(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"))).toBe('name-mismatch');
    expect(tlsProblemOf(nodeError('CERT_HAS_EXPIRED', 'certificate has expired'))).toBe('expired-certificate');
    expect(tlsProblemOf(nodeError('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established'))).toBe('not-tls');
    expect(tlsProblemOf(nodeError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required'))).toBe('client-certificate-rejected');
    expect(tlsProblemOf(nodeError('ERR_OSSL_X509_KEY_VALUES_MISMATCH', 'key values mismatch'))).toBe('client-certificate-unusable');
    const rust = (message: string) => Object.assign(new Error(message), { name: 'TransportError' });
    expect(tlsProblemOf(rust('tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }))'))).toBe('untrusted-certificate');
    expect(tlsProblemOf(rust('tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(NotValidForNameContext { expected: DnsName("x") }) }))'))).toBe('name-mismatch');
    expect(tlsProblemOf(rust('tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidMessage(InvalidContentType) }))'))).toBe('not-tls');
    expect(tlsProblemOf(rust('Failed to call GetSystemInfo: transport error, source: hyper::Error(Io, Custom { kind: InvalidData, error: "received fatal alert: CertificateRequired" })'))).toBe('client-certificate-rejected');
    expect(tlsProblemOf(rust('tonic::transport::Error(Transport, InvalidCertificate(Other(OtherError(UnsupportedCertVersion))))'))).toBe('client-certificate-unusable');
    expect(tlsProblemOf(nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:7233'))).toBeUndefined();
  });
});

describe('Temporal: which setting a failure points at', () => {
  const context = (env: NodeJS.ProcessEnv, managed = false) => ({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', security: temporalSecurityFromEnv(env, read), managed });
  const line = (error: unknown, env: NodeJS.ProcessEnv, finding?: Parameters<typeof temporalProblem>[2], managed = false) => formatProblem(temporalProblem(error, context(env, managed), finding));
  const deadline = new Error('Failed to connect before the deadline');

  it('names the CA setting for an untrusted certificate, with the file, or asks for one', () => {
    const untrusted = nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain');
    expect(line(deadline, { TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/etc/vigil/ca.pem' }, { kind: 'tls-failed', error: untrusted })).toBe(
      "Temporal at ns.acct.tmprl.cloud:7233: TLS: the server's certificate is not signed by a trusted CA (self-signed certificate in certificate chain); check TEMPORAL_TLS_SERVER_CA_CERT_PATH (/etc/vigil/ca.pem): is it the CA that signed the server's certificate?",
    );
    expect(line(deadline, { TEMPORAL_TLS: 'true' }, { kind: 'tls-failed', error: untrusted })).toBe(
      "Temporal at ns.acct.tmprl.cloud:7233: TLS: the server's certificate is not signed by a trusted CA (self-signed certificate in certificate chain); the system's CAs do not trust it: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it",
    );
  });

  it('names the server name, the mTLS settings, and TEMPORAL_TLS for the other TLS failures', () => {
    const mismatch = nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: Host: other.example. is not in the cert's altnames: DNS:localhost");
    expect(line(deadline, { TEMPORAL_TLS_SERVER_NAME: 'other.example' }, { kind: 'tls-failed', error: mismatch })).toBe(
      "Temporal at ns.acct.tmprl.cloud:7233: TLS: the server's certificate is not for this name (Hostname/IP does not match certificate's altnames: Host: other.example. is not in the cert's altnames: DNS:localhost); check TEMPORAL_TLS_SERVER_NAME (other.example): the certificate does not carry it",
    );
    const required = nodeError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required');
    expect(line(deadline, { TEMPORAL_TLS: 'true' }, { kind: 'tls-failed', error: required })).toBe(
      'Temporal at ns.acct.tmprl.cloud:7233: TLS: the server refused the client certificate (or wanted one) (tlsv13 alert certificate required); the server wants mTLS: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH',
    );
    const mtls = { TEMPORAL_TLS_CLIENT_CERT_PATH: '/client.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/client.key' };
    expect(line(deadline, mtls, { kind: 'tls-failed', error: nodeError('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'sslv3 alert bad certificate') })).toBe(
      'Temporal at ns.acct.tmprl.cloud:7233: TLS: the server refused the client certificate (or wanted one) (sslv3 alert bad certificate); check TEMPORAL_TLS_CLIENT_CERT_PATH (/client.pem) and TEMPORAL_TLS_CLIENT_KEY_PATH: is the certificate signed by a CA the server trusts?',
    );
    expect(line(deadline, { TEMPORAL_TLS: 'true' }, { kind: 'tls-failed', error: nodeError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number') })).toBe(
      'Temporal at ns.acct.tmprl.cloud:7233: TLS: the server does not speak TLS on this port (wrong version number); check TEMPORAL_TLS and the port in TEMPORAL_ADDRESS',
    );
    expect(line(deadline, {}, { kind: 'speaks-tls' })).toBe(
      'Temporal at ns.acct.tmprl.cloud:7233: the server speaks TLS and Vigil connects without it; set TEMPORAL_TLS=true (with TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA, or TEMPORAL_API_KEY for Temporal Cloud)',
    );
  });

  it("reads the worker's Rust errors the same way", () => {
    const native = Object.assign(new Error('tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }))'), { name: 'TransportError' });
    expect(temporalProblem(native, context({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem' })).hint).toBe(
      "check TEMPORAL_TLS_SERVER_CA_CERT_PATH (/ca.pem): is it the CA that signed the server's certificate?",
    );
  });

  it('names the API key or the client certificate when the server refuses them, and the namespace', () => {
    expect(line(grpc(16, '16 UNAUTHENTICATED: Request unauthorized.'), { TEMPORAL_API_KEY: 'k-123456' })).toBe(
      'Temporal at ns.acct.tmprl.cloud:7233: the server did not accept the API key (16 UNAUTHENTICATED: Request unauthorized.); check TEMPORAL_API_KEY',
    );
    expect(line(grpc(16, '16 UNAUTHENTICATED: no credentials'), { TEMPORAL_TLS: 'true' })).toBe(
      'Temporal at ns.acct.tmprl.cloud:7233: the server wants credentials and Vigil sent none (16 UNAUTHENTICATED: no credentials); set TEMPORAL_API_KEY, or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH',
    );
    expect(line(grpc(7, '7 PERMISSION_DENIED: Request unauthorized.'), { TEMPORAL_TLS_CLIENT_CERT_PATH: '/client.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/client.key' })).toBe(
      'Temporal at ns.acct.tmprl.cloud:7233: permission denied in namespace ns.acct (7 PERMISSION_DENIED: Request unauthorized.); check that TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH may use it, and TEMPORAL_NAMESPACE',
    );
    expect(line(grpc(5, '5 NOT_FOUND: Namespace ns.acct is not found.'), {})).toBe(
      'Temporal at ns.acct.tmprl.cloud:7233: namespace ns.acct does not exist (5 NOT_FOUND: Namespace ns.acct is not found.); check TEMPORAL_NAMESPACE',
    );
  });

  it('says a server does not answer, and how to start the local one', () => {
    const refused = nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:7233');
    expect(line(refused, {}, { kind: 'unreachable', error: refused })).toBe('Temporal at ns.acct.tmprl.cloud:7233: does not answer (connection refused); check TEMPORAL_ADDRESS and that the server runs');
    expect(line(refused, {}, { kind: 'unreachable', error: refused }, true)).toBe('Temporal at ns.acct.tmprl.cloud:7233: does not answer (connection refused); start it: bin/vigil services up');
    expect(line(deadline, {}, { kind: 'answered' })).toBe(
      'Temporal at ns.acct.tmprl.cloud:7233: does not answer as a Temporal frontend (Failed to connect before the deadline); check TEMPORAL_ADDRESS (is it the gRPC port?) and whether the server wants TLS (TEMPORAL_TLS=true)',
    );
  });
});

describe('Kafka: which setting a failure points at', () => {
  const context = (env: NodeJS.ProcessEnv, managed = false) => ({ brokers: ['b-1.msk:9096', 'b-2.msk:9096'], security: kafkaSecurityFromEnv(env, read), managed });
  const line = (error: unknown, env: NodeJS.ProcessEnv, managed = false) => formatProblem(kafkaProblem(error, context(env, managed)));
  const scram = { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'vigil', KAFKA_SASL_PASSWORD: 'scram-secret-1' };

  it('names the SASL settings when the broker refuses the user or the mechanism', () => {
    const refused = new KafkaJSSASLAuthenticationError('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
    expect(line(refused, scram)).toBe(
      'Kafka at b-1.msk:9096,b-2.msk:9096: SASL SCRAM-SHA-512 authentication failed for user "vigil" (SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (and KAFKA_SASL_MECHANISM: a SCRAM user exists for one hash)',
    );
    expect(line(new KafkaJSSASLAuthenticationError('SASL SCRAM-SHA-512 mechanism is not supported by the server'), scram)).toBe(
      'Kafka at b-1.msk:9096,b-2.msk:9096: the broker does not offer SASL SCRAM-SHA-512 on this listener (SASL SCRAM-SHA-512 mechanism is not supported by the server); check KAFKA_SASL_MECHANISM and the port in KAFKA_BROKERS',
    );
    expect(line(createErrorFromCode(34), { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'plain-secret' })).toBe(
      "Kafka at b-1.msk:9096,b-2.msk:9096: this listener does not use SASL (Request is not valid given the current SASL state); unset KAFKA_SASL_MECHANISM, or give the broker's SASL port in KAFKA_BROKERS",
    );
    expect(line(createErrorFromCode(31), scram)).toBe(
      'Kafka at b-1.msk:9096,b-2.msk:9096: user "vigil" is not authorized (Cluster authorization failed); grant its ACLs on the cluster, the topics and the consumer groups (see docs/operations.md, Running against real clusters)',
    );
  });

  it('names the TLS settings for certificate failures', () => {
    expect(line(kafkaConnection('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), { KAFKA_SSL_CA: '/etc/kafka/ca.pem' })).toBe(
      "Kafka at b-1.msk:9096,b-2.msk:9096: TLS: the server's certificate is not signed by a trusted CA (self-signed certificate in certificate chain); check KAFKA_SSL_CA (/etc/kafka/ca.pem): is it the CA that signed the brokers' certificates?",
    );
    expect(line(kafkaConnection('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established'), scram)).toBe(
      'Kafka at b-1.msk:9096,b-2.msk:9096: TLS: the server does not speak TLS on this port (Client network socket disconnected before secure TLS connection was established); check KAFKA_SSL and the port in KAFKA_BROKERS',
    );
    expect(line(kafkaConnection('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), { KAFKA_SSL: 'true' })).toBe(
      "Kafka at b-1.msk:9096,b-2.msk:9096: TLS: the server's certificate is not for this name (Hostname/IP does not match certificate's altnames); connect by a name the certificate carries (KAFKA_BROKERS), or set KAFKA_SSL_SERVER_NAME",
    );
  });

  it('asks about TLS and SASL when a broker hangs up on a plaintext client, and says when it does not answer', () => {
    expect(line(new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionClosedError('Closed connection', { host: 'b-1.msk', port: 9096 }), { retryCount: 0, retryTime: 1 }), {})).toBe(
      'Kafka at b-1.msk:9096,b-2.msk:9096: the broker closed the connection or did not answer in time (Closed connection); does this listener want TLS (KAFKA_SSL=true) or SASL (KAFKA_SASL_MECHANISM)? check the port in KAFKA_BROKERS',
    );
    expect(line(kafkaConnection('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:9096'), scram)).toBe('Kafka at b-1.msk:9096,b-2.msk:9096: does not answer (connection refused); check KAFKA_BROKERS and that the brokers run');
    expect(line(kafkaConnection('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9092'), {}, true)).toBe('Kafka at b-1.msk:9096,b-2.msk:9096: does not answer (connection refused); start it: bin/vigil services up');
  });
});

describe('PostgreSQL: which setting a failure points at', () => {
  const connection = (url: string, env: NodeJS.ProcessEnv = {}) => postgresConnectionFromEnv({ DATABASE_URL: url, ...env }, 'postgres://unused@h/d', read);
  const line = (error: unknown, url: string, env: NodeJS.ProcessEnv = {}) => formatProblem(postgresProblem(error, connection(url, env)));
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

  it('names the password for a refused password, without echoing it', () => {
    const text = line(pgError('28P01', 'password authentication failed for user "app"'), 'postgres://app:hunter2-secret@db.example.com:5432/vigil?sslmode=require');
    expect(text).toBe('PostgreSQL at db.example.com:5432/vigil: password authentication failed for user "app"; check the user and password in DATABASE_URL (or PGPASSWORD)');
  });

  it('names sslmode when the server wants TLS, or does not offer it', () => {
    expect(line(pgError('28000', 'no pg_hba.conf entry for host "10.0.0.5", user "app", database "vigil", no encryption'), 'postgres://app@db.example.com/vigil')).toBe(
      'PostgreSQL at db.example.com/vigil: the server accepts this user only over TLS (no pg_hba.conf entry for host "10.0.0.5", user "app", database "vigil", no encryption); set sslmode in DATABASE_URL (or PGSSLMODE) to require (or verify-full with a CA)',
    );
    expect(line(new Error('The server does not support SSL connections'), 'postgres://app@127.0.0.1:5433/vigil', { PGSSLMODE: 'require' })).toBe(
      'PostgreSQL at 127.0.0.1:5433/vigil: the server does not offer TLS; check PGSSLMODE',
    );
  });

  it('names the CA for an untrusted certificate, and the host for a name mismatch', () => {
    expect(line(nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'postgres://app@db.example.com/vigil?sslmode=verify-full&sslrootcert=/ca.pem')).toBe(
      "PostgreSQL at db.example.com/vigil: TLS: the server's certificate is not signed by a trusted CA (self-signed certificate in certificate chain); check sslrootcert in DATABASE_URL (/ca.pem): is it the CA that signed the server's certificate?",
    );
    expect(line(nodeError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'), 'postgres://app@db.example.com/vigil?sslmode=verify-full')).toBe(
      "PostgreSQL at db.example.com/vigil: TLS: the server's certificate is not signed by a trusted CA (unable to get local issuer certificate); the system's CAs do not trust it: set sslrootcert in DATABASE_URL (or PGSSLROOTCERT) to the CA that signed it, or sslmode=require to encrypt without verifying",
    );
    expect(line(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'postgres://app@10.0.0.5/vigil?sslmode=verify-full&sslrootcert=/ca.pem')).toBe(
      "PostgreSQL at 10.0.0.5/vigil: TLS: the server's certificate is not for this name (Hostname/IP does not match certificate's altnames); the certificate does not carry 10.0.0.5: connect by a name it carries in DATABASE_URL, or use sslmode=verify-ca",
    );
  });

  it('says a server does not answer, or that the database is missing', () => {
    expect(line(nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), 'postgres://vigil@127.0.0.1:1/vigil')).toBe(
      'PostgreSQL at 127.0.0.1:1/vigil: does not answer (connection refused); check the host and port in DATABASE_URL and that the server runs',
    );
    expect(line(pgError('3D000', 'database "vigil" does not exist'), 'postgres://vigil@127.0.0.1:5433/vigil')).toBe(
      'PostgreSQL at 127.0.0.1:5433/vigil: the database does not exist (database "vigil" does not exist); check DATABASE_URL, or run bin/vigil services up (it creates the database)',
    );
    expect(line(new Error('Connection terminated due to connection timeout'), 'postgres://vigil@10.1.2.3/vigil')).toBe(
      'PostgreSQL at 10.1.2.3/vigil: does not answer in time (Connection terminated due to connection timeout); check the host and port in DATABASE_URL',
    );
  });
});
