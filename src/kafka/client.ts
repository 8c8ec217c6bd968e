import { Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type Producer } from 'kafkajs';
import type { Config } from '../config';
import { logger } from '../logger';
import { kafkaClientSecurity } from '../security/kafka-security';

// kafkajs 2's default partitioner is already Java-compatible murmur2; the warning is noise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const kafkaLog = logger.child({ component: 'kafkajs' });

// kafkajs logs every error response at ERROR before it retries, even a retriable one such as a
// coordinator still loading on a fresh broker; the caller only sees it if the retries run out.
const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: Array<{ message: string; retriable: boolean }> };
const retriableMessages = new Set(errorCodes.filter((e) => e.retriable).map((e) => e.message));
const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/**
 * A kafkajs client with the configured TLS and SASL (security/kafka-security.ts). `quiet`
 * silences it entirely: for probes that expect to fail while a broker starts. `overrides`
 * replaces settings such as the retries, for the bounded check at start.
 */
export function createKafka(config: Config, clientSuffix: string, quiet = false, overrides: Partial<Pick<KafkaConfig, 'retry' | 'connectionTimeout' | 'authenticationTimeout'>> = {}): Kafka {
  const { security } = config.kafka;
  return new Kafka({
    clientId: `${config.kafka.clientId}-${clientSuffix}`,
    brokers: config.kafka.brokers,
    ...kafkaClientSecurity(security),
    // kafkajs's 1 s is short for a TLS handshake (and SASL) with a broker across a network.
    ...(security.ssl || security.sasl ? { connectionTimeout: 5000 } : {}),
    logLevel: quiet ? KafkaLogLevel.NOTHING : KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...rest } = log;
        const retriable = level === KafkaLogLevel.ERROR && typeof rest.error === 'string' && retriableMessages.has(rest.error);
        kafkaLog[retriable ? 'debug' : (levels[level] ?? 'info')](rest, message);
      },
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    ...overrides,
  });
}

/**
 * A send's retries inside kafkajs: about a minute (0.3 s doubling to 10 s), then it fails and its
 * caller retries it (an activity, the ingest's dead-lettering): unbounded, a send its caller had
 * given up on kept retrying in the background for good.
 */
const SEND_RETRIES = { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 };

/**
 * The producer of Vigil's outputs and dead letters: acks = all, one request in flight per broker
 * (a retry cannot reorder), and not kafkajs's idempotent mode. That mode keeps a session whose
 * sequence numbers a broker restart desynchronises: the looped Kafka-restart test saw it refuse
 * every later send (OUT_OF_ORDER_SEQUENCE_NUMBER, kafkajs issue 598), and a new session after
 * each refusal still stalled a run. Vigil's effectively-once does not rest on it: every record has
 * a deterministic id, and a record written twice by a retry is the same record, kept once by every
 * consumer of Vigil's topics (docs/guarantees.md).
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: SEND_RETRIES });
}
