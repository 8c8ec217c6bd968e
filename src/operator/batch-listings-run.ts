import type { Config } from '../config';
import { inputFormatsOf } from '../config';
import { decodeMessage, Rejection } from '../formats';
import { hostMetrics } from '../formats/host';
import { connectTemporalClient } from '../connections/temporal';
import type { ThresholdRow } from '../formats/threshold-rows';
import { boundsInForce, thresholdsInForce } from '../workflow-client/thresholds-in-force';
import { batchHeading, batchListing, type Bounds, boundsFromRows, EventTimeBatches, type ListingKind, showTable, unpivot } from './batch-violations';
import { readTopic } from './topic-reader';

export type BoundsOf = (id: string, field: string) => Bounds | undefined;

/** Where a listing's thresholds come from: read again before each batch printed, closed once the listing ends. */
export interface ThresholdsSource {
  boundsOf(): Promise<BoundsOf>;
  close(): Promise<void>;
}

/** A thresholds file's rows, as the notebook read its thresholds table. */
export function fixedThresholds(rows: readonly ThresholdRow[]): ThresholdsSource {
  const boundsOf = boundsFromRows(rows);
  return { boundsOf: async () => boundsOf, close: async () => {} };
}

/**
 * The thresholds in force in Temporal (the devices' and the fleet's memos), as `thresholds apply`
 * left them. Connected when the first batch is printed, so that a wrong topic is said first; read
 * again for each batch printed, so a change applied while following counts from the next batch.
 */
export function thresholdsInForceSource(config: Config): ThresholdsSource {
  let client: Awaited<ReturnType<typeof connectTemporalClient>> | undefined;
  return {
    boundsOf: async () => {
      client ??= await connectTemporalClient(config);
      const inForce = await thresholdsInForce(client, config);
      return (id, field) => boundsInForce(inForce, id, field);
    },
    close: async () => client?.connection.close(),
  };
}

export interface BatchListingOptions {
  kind: ListingKind;
  /** `count`: list a (host, field) with more than this many violations in the batch (the notebook's `cnt > 3`). */
  moreThan: number;
  batchMs: number;
  /** The host input topic (default: the configured input topic of the host format). */
  topic?: string;
  /** Start at the messages written at or after this time (default: the topic's beginning). */
  from?: number;
  /** Go on reading, printing each batch once the input's event time has passed its end. */
  follow: boolean;
}

export interface ListingOutput {
  print(text: string): void;
  warn(line: string): void;
}

/** The configured topic of the host format, or the one named, which must be a host input. */
function hostTopic(config: Config, topic: string | undefined): string {
  const formats = inputFormatsOf(config);
  const chosen = topic ?? config.kafka.inputs.find((input) => input.format === 'host')?.topic;
  if (chosen === undefined) throw new Error('no input topic has the host format (VIGIL_HOST_TOPIC, VIGIL_INPUTS)');
  const format = formats.get(chosen);
  if (format?.name !== 'host') throw new Error(`${chosen} is not an input topic of the host format (${format ? `its format is ${format.name}` : 'it is not an input topic'})`);
  return chosen;
}

/**
 * The host rules' per-batch listings on the host input topic: each record read with the host
 * format's parser (keyed or not, as the ingest reads it), unpivoted, grouped in batches of event
 * time, judged against the thresholds `thresholds()` gives when the batch is printed, and printed
 * as the notebook prints each batch. Without `follow` it reads to the topic's end, prints every
 * batch and resolves; with it, it prints each batch as the input's event time passes its end.
 * A record the format refuses is counted on stderr, never listed.
 */
export async function runBatchListings(config: Config, options: BatchListingOptions, thresholds: () => Promise<BoundsOf>, out: ListingOutput): Promise<{ finished: Promise<void>; stop(): Promise<void> }> {
  const topic = hostTopic(config, options.topic);
  const format = inputFormatsOf(config).get(topic)!;
  const batches = new EventTimeBatches(options.batchMs);
  const skipped = new Map<string, number>();
  let reported = { skipped: 0, late: 0 };

  const report = () => {
    const total = [...skipped.values()].reduce((a, b) => a + b, 0);
    if (total > reported.skipped) out.warn(`skipped ${total} record(s) the host format refuses: ${[...skipped].sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => `${code} ${n}`).join(', ')}`);
    if (batches.late > reported.late) out.warn(`${batches.late} event(s) came after their batch was printed, and are in no listing`);
    reported = { skipped: total, late: batches.late };
  };
  const print = async (due: ReturnType<EventTimeBatches['takeAll']>) => {
    if (due.length === 0) return report();
    const boundsOf = await thresholds();
    for (const { batchStart, events } of due) {
      const listing = batchListing(batchStart, events, boundsOf, options.kind, { moreThan: options.moreThan });
      out.print(`${batchHeading(batchStart, options.batchMs)}\n${showTable(listing)}\n`);
    }
    report();
  };

  // Printing waits for the thresholds: one batch's printing at a time, in batch order.
  let printing = Promise.resolve();
  let caughtUp = false;
  // Following, a batch that cannot be printed (the thresholds cannot be read) ends the command.
  let failed: (error: unknown) => void = () => {};
  const printDue = () => {
    printing = printing.then(() => print(batches.takeClosed())).catch((error: unknown) => failed(error));
  };

  const reading = await readTopic(config, topic, options, (message, partition) => {
    try {
      const reading = decodeMessage(format, message.value, { key: message.key?.toString('utf8'), timestamp: Number(message.timestamp) }, config.ingest.maxMessageBytes);
      batches.add(unpivot(reading, hostMetrics));
    } catch (error) {
      const code = error instanceof Rejection ? error.code : 'decoder-error';
      skipped.set(code, (skipped.get(code) ?? 0) + 1);
      if (!(error instanceof Rejection)) out.warn(`partition ${partition}, offset ${message.offset}: ${(error as Error).message}`);
    }
    // While catching up with what the topic held, a batch waits for the other partitions.
    if (caughtUp) printDue();
  });

  const finished = options.follow
    ? reading.caughtUp.then(() => {
        caughtUp = true;
        const failure = new Promise<void>((_, reject) => (failed = reject));
        printDue();
        return failure;
      })
    : reading.caughtUp.then(async () => {
        await reading.stop();
        await print(batches.takeAll());
      });
  return { finished, stop: async () => { await reading.stop(); await printing; } };
}
