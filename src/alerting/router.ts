import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Config } from '../config';
import { checkConnections } from '../connections/check';
import { anomaliesContract } from '../contracts/anomalies';
import { deviceEventsContract } from '../contracts/device-events';
import { createKafka } from '../kafka/client';
import { runConsumer } from '../kafka/consumer';
import { logger } from '../logger';
import { alerterMetrics } from '../metrics';
import { retryUntilDone } from '../retry';
import { type Alert, postable } from './alerts';
import { type AlertmanagerClient, alertmanagerClient } from './alertmanager-client';
import { OpenAlerts } from './open-alerts';

const log = logger.child({ component: 'alerter' });
/** Waits between attempts to post while Alertmanager does not take them, up to this. */
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * The alert router (`vigil alerter`): a consumer of `anomalies` and `device-events`, apart from
 * the workers, that posts each anomaly's raise, updates and resolve and each disconnection to
 * Alertmanager, and posts the open ones again every `repostEveryMs` so none expires while it is
 * open. Being its own process, an Alertmanager that does not answer holds up only this consumer:
 * detection and the Kafka outputs go on, and the alerts are posted, in order, once it answers
 * again (the consumer does not move past a record before Alertmanager took its alert). Each
 * alert is named by its anomaly, so a post repeated after a crash or a rebalance is the same
 * alert again: effectively once. What it commits keeps its open alerts (open-alerts.ts).
 */
export class AlertRouter {
  private readonly consumer: Consumer;
  private readonly client: AlertmanagerClient;
  private readonly open: OpenAlerts;
  private repostTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly config: Config) {
    const { alerting } = config;
    this.client = alertmanagerClient(alerting.alertmanagerUrl, alerting.security);
    this.open = new OpenAlerts(alerting);
    // Commits are the router's own (the oldest open alert's record): kafkajs commits nothing by itself.
    this.consumer = createKafka(config, 'alerter').consumer({ groupId: alerting.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  }

  async start(): Promise<void> {
    // Kafka must answer; Alertmanager need not: alerts wait in Kafka until it does.
    await checkConnections(this.config, ['kafka']);
    const ready = await this.client.ready().catch((error: unknown) => {
      log.warn({ err: String(error) }, 'Alertmanager does not answer yet; alerts are posted once it does');
      return false;
    });
    alerterMetrics.up.set(ready ? 1 : 0);
    // A rebalance hands partitions out anew, each read again from its committed offset: the open alerts are rebuilt from there.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.open.clear();
      alerterMetrics.open.set(0);
    });
    const { anomalies, deviceEvents } = this.config.kafka.topics;
    await runConsumer(
      this.consumer,
      [{ topics: [anomalies, deviceEvents], fromBeginning: true }],
      { autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) },
      'alerter',
    );
    this.repostTimer = setInterval(() => void this.repost(), this.config.alerting.repostEveryMs);
    log.info({ alertmanager: this.config.alerting.alertmanagerUrl, ready }, 'alerter running');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.repostTimer);
    await this.consumer.disconnect();
    log.info('alerter stopped');
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    if (messages.length === 0) return;
    const isAnomalies = topic === this.config.kafka.topics.anomalies;
    const alerts: Alert[] = [];
    for (const message of messages) {
      const at = { topic, partition, offset: Number(message.offset) };
      try {
        const alert = isAnomalies ? this.open.anomaly(anomaliesContract.decode(message.value), at) : this.open.deviceEvent(deviceEventsContract.decode(message.value), at);
        if (alert) alerts.push(alert);
      } catch (error) {
        // Vigil writes these topics itself: a record that does not decode is counted and skipped.
        alerterMetrics.skipped.inc({ topic });
        log.warn({ topic, partition, offset: message.offset, reason: (error as Error).message }, 'skipped a record that is not a valid event');
      }
    }
    alerterMetrics.open.set(this.open.size);
    if (!(await this.postUntilTaken(alerts, () => isRunning() && !isStale(), heartbeat))) return;
    const last = Number(messages[messages.length - 1]!.offset);
    resolveOffset(String(last));
    const offset = this.open.committable(topic, partition, last + 1);
    await this.consumer.commitOffsets([{ topic, partition, offset: String(offset) }]);
    await heartbeat();
  }

  /**
   * Posts until Alertmanager takes the alerts; false when the batch is no longer this router's
   * (stopping, or its partition went to another in a rebalance): it is read again from the
   * committed offset, and posted again, which changes nothing Alertmanager holds.
   */
  private async postUntilTaken(alerts: Alert[], stillOurs: () => boolean, heartbeat: () => Promise<void>): Promise<boolean> {
    if (alerts.length === 0) return true;
    const posted = await retryUntilDone('posting alerts to Alertmanager', () => this.post(alerts).then(() => true), () => !this.stopped && stillOurs(), {
      maxDelayMs: MAX_RETRY_DELAY_MS,
      beforeWait: heartbeat,
    });
    if (!posted) return false;
    for (const alert of alerts) alerterMetrics.posted.inc({ alertname: alert.labels.alertname ?? '', state: alert.endsAt === undefined ? 'firing' : 'resolved' });
    return true;
  }

  private async post(alerts: Alert[]): Promise<void> {
    const now = Date.now();
    try {
      await this.client.post(alerts.map((alert) => postable(alert, now, this.config.alerting.leaseMs)));
      alerterMetrics.up.set(1);
    } catch (error) {
      alerterMetrics.up.set(0);
      alerterMetrics.failures.inc();
      throw error;
    }
  }

  /** Posts every open alert again, extending its lease; a failure waits for the next round. */
  private async repost(): Promise<void> {
    const firing = this.open.firing();
    if (firing.length === 0 || this.stopped) return;
    try {
      await this.post(firing);
      alerterMetrics.reposted.inc(firing.length);
    } catch (error) {
      log.warn({ err: (error as Error).message, alerts: firing.length }, 'could not post the open alerts again; next round in a moment');
    }
  }
}
