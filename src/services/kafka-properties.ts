/**
 * The local single-node KRaft broker's server.properties: a plaintext listener, the controller's,
 * and a SASL_SSL listener (SCRAM-SHA-256 and -512, the local CA's server certificate). Pure.
 */
export interface BrokerSettings {
  host: string;
  /** The plaintext listener; the controller's is the next port. */
  port: number;
  saslPort: number;
  dataDir: string;
  /** The server's key, certificate and CA in one PEM file (certificates.ts). */
  keystorePem: string;
}

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

export const controllerPort = (settings: BrokerSettings) => settings.port + 1;

export function brokerProperties(settings: BrokerSettings): Record<string, string> {
  const { host, port, saslPort } = settings;
  const controller = controllerPort(settings);
  const sasl = 'listener.name.sasl_ssl';
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${host}:${controller}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controller},SASL_SSL://${host}:${saslPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port},SASL_SSL://${host}:${saslPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    // The SASL_SSL listener: TLS with the local CA's certificate (no client certificate), then SCRAM.
    [`${sasl}.ssl.keystore.type`]: 'PEM',
    [`${sasl}.ssl.keystore.location`]: settings.keystorePem,
    [`${sasl}.ssl.client.auth`]: 'none',
    [`${sasl}.sasl.enabled.mechanisms`]: SCRAM_MECHANISMS.join(','),
    ...Object.fromEntries(
      SCRAM_MECHANISMS.map((mechanism) => [`${sasl}.${mechanism.toLowerCase()}.sasl.jaas.config`, 'org.apache.kafka.common.security.scram.ScramLoginModule required;']),
    ),
    'log.dirs': settings.dataDir,
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'auto.create.topics.enable': 'false',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '1',
    'group.initial.rebalance.delay.ms': '0',
    'log.retention.hours': '168',
  };
}

export const propertiesText = (properties: Record<string, string>): string =>
  Object.entries(properties).map(([key, value]) => `${key}=${value}`).join('\n') + '\n';
