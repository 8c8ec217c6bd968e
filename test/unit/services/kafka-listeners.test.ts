import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import { kafkaPaths, runningWithCurrentSettings } from '../../../src/services/kafka';
import { brokerProperties, propertiesText } from '../../../src/services/kafka-properties';
import { alterScramArgs, formatScramArgs, redacted, scramConfigFile } from '../../../src/services/kafka-sasl';

const settings = { host: '127.0.0.1', port: 29092, saslPort: 29094, dataDir: '/s/kafka/data', keystorePem: '/s/certs/server-keystore.pem' };

describe('the local Kafka broker\'s listeners', () => {
  it('listens in plaintext, for its controller, and with SASL_SSL beside them', () => {
    const properties = brokerProperties(settings);
    expect(properties.listeners).toBe('PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093,SASL_SSL://127.0.0.1:29094');
    expect(properties['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:29092,SASL_SSL://127.0.0.1:29094');
    expect(properties['listener.security.protocol.map']).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL');
    expect(properties['controller.quorum.voters']).toBe('1@127.0.0.1:29093');
    expect(properties['inter.broker.listener.name'], 'the broker talks to itself in plaintext').toBe('PLAINTEXT');
  });

  it('serves the SASL_SSL listener with the local CA\'s certificate and SCRAM-SHA-256/512, asking for no client certificate', () => {
    const sasl = Object.fromEntries(Object.entries(brokerProperties(settings)).filter(([key]) => key.startsWith('listener.name.sasl_ssl.')));
    expect(sasl).toEqual({
      'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
      'listener.name.sasl_ssl.ssl.keystore.location': '/s/certs/server-keystore.pem',
      'listener.name.sasl_ssl.ssl.client.auth': 'none',
      'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    });
  });

  it('writes properties one a line', () => {
    expect(propertiesText({ a: '1', 'b.c': 'x=y' })).toBe('a=1\nb.c=x=y\n');
  });
});

describe('the SCRAM user', () => {
  it('is created at format time for both mechanisms', () => {
    expect(formatScramArgs('vigil', 'pw')).toEqual(['--add-scram', 'SCRAM-SHA-256=[name=vigil,password=pw]', '--add-scram', 'SCRAM-SHA-512=[name=vigil,password=pw]']);
  });

  it('is added to existing storage through kafka-configs, the password in a file, one mechanism a call', () => {
    expect(scramConfigFile('SCRAM-SHA-512', 'pw')).toBe('SCRAM-SHA-512=password=pw\n');
    const args = alterScramArgs('127.0.0.1:29092', 'vigil', '/s/credentials/kafka-scram.properties');
    expect(args).toEqual([
      'kafka.admin.ConfigCommand', '--bootstrap-server', '127.0.0.1:29092', '--alter', '--entity-type', 'users', '--entity-name', 'vigil',
      '--add-config-file', '/s/credentials/kafka-scram.properties',
    ]);
  });

  it('masks the password in a tool\'s output', () => {
    expect(redacted('Invalid credential SCRAM_SHA_512=[password=s3cret] for s3cret', 's3cret')).toBe('Invalid credential SCRAM_SHA_512=[password=***] for ***');
    expect(redacted('nothing to hide', '')).toBe('nothing to hide');
  });
});

describe('a broker left running', () => {
  it('counts as started with these settings only when its properties file is what they give now', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-kafka-'));
    const config = loadConfig({ VIGIL_HOME: home });
    const file = kafkaPaths(config).properties;
    expect(runningWithCurrentSettings(config), 'no properties file').toBe(false);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093\n');
    expect(runningWithCurrentSettings(config), 'an earlier version\'s, without the SASL_SSL listener').toBe(false);
    fs.writeFileSync(file, propertiesText(brokerProperties({ host: '127.0.0.1', port: 9092, saslPort: config.kafka.saslPort, dataDir: kafkaPaths(config).data, keystorePem: path.join(home, 'certs', 'server-keystore.pem') })));
    expect(runningWithCurrentSettings(config)).toBe(true);
    fs.rmSync(home, { recursive: true, force: true });
  });
});
