import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { anomalyEventSchema } from '../../src/contracts/anomalies';
import { artifactsDir, type Pipeline } from './pipeline';

/** One anomaly step the worker logged as acknowledged by Kafka, and where the broker put it. */
interface Published {
  eventId: string;
  /** `partition@baseOffset` of the produce batch that carried it. */
  at: string[];
}

export interface PublicationAudit {
  /** Distinct anomaly steps of this run the workers logged as acknowledged (acks = all). */
  published: number;
  /** Distinct steps the test's collector received. */
  collected: number;
  /** Distinct steps in the topic when read again from the beginning by a new consumer group. */
  inTopic: number;
  /** Acknowledged steps the collector never received: `inTopic` says whether the topic holds them (the collector missed them) or not (lost). */
  missing: Array<Published & { inTopic: boolean }>;
  /** Steps the collector received that no worker logged: none, unless the log is incomplete. */
  unlogged: string[];
}

/** The anomaly steps of this run that the workers logged as published (the worker at debug level: `processLogLevel`). */
function publishedIn(p: Pipeline): Map<string, Published> {
  const published = new Map<string, Published>();
  const file = p.logFileOf('worker');
  if (!fs.existsSync(file)) return published;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes('"anomalies published"')) continue;
    const entry = JSON.parse(line) as { eventIds: string[]; at: string[] };
    for (const eventId of entry.eventIds) {
      // Ids start with the device id, which starts with the run's name: other runs' lines are skipped.
      if (eventId.startsWith(p.runName)) published.set(eventId, { eventId, at: entry.at });
    }
  }
  return published;
}

/**
 * Every anomaly step now in the run's topic: each partition read from the beginning, by a
 * consumer group of its own, up to the high watermark it had when the audit began (so a step
 * counted as not in the topic is truly not there, not merely not read yet).
 */
async function readTopicAgain(p: Pipeline): Promise<Set<string>> {
  const topic = p.config.kafka.topics.anomalies;
  const admin = p.kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect())).map((o) => [o.partition, BigInt(o.high)]));
  const unread = new Set([...ends].filter(([, high]) => high > 0n).map(([partition]) => partition));
  const ids = new Set<string>();
  const consumer = p.kafka.consumer({ groupId: `${p.runName}.audit-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        ids.add(anomalyEventSchema.parse(JSON.parse(message.value?.toString('utf8') ?? 'null')).eventId);
        if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) unread.delete(partition);
      },
    });
    const deadline = Date.now() + 120_000;
    while (unread.size > 0) {
      if (Date.now() > deadline) throw new Error(`the audit could not read partitions ${[...unread].join(', ')} of ${topic} to their ends in 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await consumer.disconnect();
  }
  return ids;
}

/**
 * Accounts for every anomaly step a run's workers published: each id a worker logged as
 * acknowledged by Kafka (and where it landed), whether the test's collector received it and,
 * for any it did not, whether the topic holds it (the collector missed it) or not (lost by
 * Vigil or the broker). Written to `test-results/<test>-publications.json`, run after run.
 */
export async function auditPublications(p: Pipeline): Promise<PublicationAudit> {
  const published = publishedIn(p);
  const collected = new Set(p.anomalies.map((a) => a.eventId));
  const inTopic = await readTopicAgain(p);
  const audit: PublicationAudit = {
    published: published.size,
    collected: collected.size,
    inTopic: inTopic.size,
    missing: [...published.values()].filter((step) => !collected.has(step.eventId)).map((step) => ({ ...step, inTopic: inTopic.has(step.eventId) })),
    unlogged: [...collected].filter((id) => !published.has(id)),
  };
  fs.mkdirSync(artifactsDir, { recursive: true });
  fs.appendFileSync(path.join(artifactsDir, `${p.name}-publications.json`), `${JSON.stringify({ run: p.runName, ...audit })}\n`);
  return audit;
}

/** One line for a test's failure message or its log. */
export function describeAudit(audit: PublicationAudit): string {
  const missed = audit.missing.filter((m) => m.inTopic).length;
  const lost = audit.missing.length - missed;
  return `publications: ${audit.published} acknowledged, ${audit.collected} collected, ${audit.inTopic} in the topic; ${missed} missed by the collector, ${lost} lost, ${audit.unlogged.length} collected but not logged`;
}
