import type { Config } from '../config';
import { createKafka } from '../kafka/client';
import { ConnectionFailure } from '../security/connection-failure';
import { kafkaProblem } from '../security/kafka-problems';

/** How long the check at start may take, all brokers together. */
export const KAFKA_CHECK_TIMEOUT_MS = 8000;

/**
 * Checks at start that the brokers answer with the configured TLS and SASL: a client that
 * retries little (once per listed broker), a metadata request, a deadline. A failure is a
 * ConnectionFailure: one line naming the brokers and the setting to check. The long-running
 * clients made afterwards keep kafkajs's patient retries for outages later on.
 */
export async function checkKafka(config: Config, timeoutMs = KAFKA_CHECK_TIMEOUT_MS): Promise<void> {
  const retries = Math.max(0, config.kafka.brokers.length - 1);
  const kafka = createKafka(config, 'check', true, {
    retry: { retries, initialRetryTime: 100, maxRetryTime: 500 },
    connectionTimeout: Math.min(3000, timeoutMs),
    authenticationTimeout: Math.min(5000, timeoutMs),
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([admin.connect().then(() => admin.describeCluster()), timeout]);
  } catch (error) {
    throw new ConnectionFailure(kafkaProblem(error, { brokers: config.kafka.brokers, security: config.kafka.security, managed: config.kafka.managed }), error);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}
