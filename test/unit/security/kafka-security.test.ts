import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeKafkaSecurity, kafkaClientSecurity, kafkaSecurityFromEnv } from '../../../src/security/kafka-security';

const tls = path.resolve(__dirname, '../../fixtures/tls');
const pem = (file: string) => fs.readFileSync(path.join(tls, file), 'utf8');
const read = (file: string) => fs.readFileSync(path.join(tls, path.basename(file)), 'utf8');
const settings = (env: NodeJS.ProcessEnv) => kafkaSecurityFromEnv(env, read);

describe("Kafka's connection security: TLS and SASL", () => {
  it('is plaintext without settings, as for the local broker', () => {
    const security = settings({});
    expect(kafkaClientSecurity(security)).toEqual({ ssl: false });
    expect(describeKafkaSecurity(security)).toBe('plaintext');
  });

  it("gives kafkajs SASL_SSL with SCRAM and the system CAs (MSK's SASL/SCRAM listener)", () => {
    const security = settings({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'vigil', KAFKA_SASL_PASSWORD: 'scram-password-1' });
    expect(kafkaClientSecurity(security)).toEqual({ ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'vigil', password: 'scram-password-1' } });
    expect(describeKafkaSecurity(security)).toBe('SASL_SSL SCRAM-SHA-512 as vigil');
    expect(JSON.stringify(security)).not.toContain('scram-password-1');
  });

  it('gives kafkajs the CA, client certificate and key, and the server name; any of them turns TLS on', () => {
    const security = settings({ KAFKA_SSL_CA: '/ca.pem', KAFKA_SSL_CERT: '/client.pem', KAFKA_SSL_KEY: '/client.key', KAFKA_SSL_SERVER_NAME: 'kafka.internal' });
    expect(security.ssl).toBe(true);
    expect(kafkaClientSecurity(security)).toEqual({
      ssl: { rejectUnauthorized: true, ca: [pem('ca.pem')], cert: pem('client.pem'), key: pem('client.key'), servername: 'kafka.internal' },
    });
    expect(describeKafkaSecurity(security)).toBe('TLS, client certificate');
  });

  it('speaks SASL PLAIN without TLS when asked (SASL_PLAINTEXT)', () => {
    const security = settings({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'key', KAFKA_SASL_PASSWORD: 'secret-1' });
    expect(kafkaClientSecurity(security)).toEqual({ ssl: false, sasl: { mechanism: 'plain', username: 'key', password: 'secret-1' } });
    expect(describeKafkaSecurity(security)).toBe('SASL_PLAINTEXT PLAIN as key');
  });

  it('stops on an unknown mechanism, a missing user or password, and contradictions, naming the variables', () => {
    expect(() => settings({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(
      new Error('KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, not "gssapi"'),
    );
    expect(() => settings({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'p' })).toThrow(new Error('KAFKA_SASL_MECHANISM=plain needs KAFKA_SASL_USERNAME'));
    expect(() => settings({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' })).toThrow(new Error('KAFKA_SASL_MECHANISM=scram-sha-256 needs KAFKA_SASL_PASSWORD'));
    expect(() => settings({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(
      new Error('KAFKA_SASL_USERNAME is set without KAFKA_SASL_MECHANISM (plain, scram-sha-256, scram-sha-512)'),
    );
    expect(() => settings({ KAFKA_SSL: 'false', KAFKA_SSL_CA: '/ca.pem' })).toThrow(new Error('KAFKA_SSL=false contradicts KAFKA_SSL_CA: unset one or the other'));
    expect(() => settings({ KAFKA_SSL_CERT: '/client.pem' })).toThrow(new Error('KAFKA_SSL_CERT is set without KAFKA_SSL_KEY: a client certificate needs its key'));
  });
});
