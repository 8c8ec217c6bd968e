import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Config } from '../../src/config';
import type { DeviceState } from '../../src/device/state';
import type { SensorSample } from '../../src/samples';
import { readPid } from '../../src/services/processes';
import { temporalPaths } from '../../src/services/temporal';
import { type Pipeline, waitFor } from './pipeline';
import { sumSeries } from './vigil-process';
import {
  type BadMessage,
  distinctDeadLetters,
  expectExactlyTheSpikes,
  expectModelsEqualReference,
  expectPerDeviceOrder,
  flagged,
  malformedMessages,
  messagesOf,
  readingsAppliedIn,
  sampleFor,
  type TestMessage,
  waitUntilDrained,
} from './sensor-run';

type Command = 'worker' | 'ingest';

interface Watched {
  name: string;
  child: ChildProcess;
  /** The signal the test itself sent: the only acceptable reason for the process to end. */
  sent?: NodeJS.Signals;
}

/**
 * The worker and ingest processes of one fault scenario. A process may end only because the
 * test signalled it: any other exit is a crash, which is what these scenarios look for.
 */
export class ProcessWatch {
  private readonly watched: Watched[] = [];

  constructor(private readonly p: Pipeline) {}

  /** `as`: one of several processes of the command, with settings of its own (Pipeline.start). */
  async start(command: Command, as?: { name: string; env: NodeJS.ProcessEnv }): Promise<ChildProcess> {
    const child = await this.p.start(command, [], as);
    const count = this.watched.filter((w) => w.name.startsWith(command)).length;
    this.watched.push({ name: `${command} #${count + 1}${as ? ` ${as.name}` : ''} (pid ${child.pid})`, child });
    return child;
  }

  kill(child: ChildProcess): void {
    this.signal(child, 'SIGKILL');
  }

  /** SIGTERM, then waits for the graceful stop to finish. */
  async stop(child: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    this.signal(child, 'SIGTERM');
    await exited;
  }

  /** Every process is still running, or ended as the signal the test sent it asks. */
  expectNoCrash(): void {
    for (const { name, child, sent } of this.watched) {
      const { exitCode, signalCode } = child;
      const ending = `exit code ${exitCode}, signal ${signalCode}`;
      if (exitCode === null && signalCode === null) continue;
      if (sent === 'SIGKILL') expect(signalCode, `${name} was killed by the test`).toBe('SIGKILL');
      else if (sent === 'SIGTERM') expect(exitCode, `${name} stopped cleanly on SIGTERM (${ending})`).toBe(0);
      else expect.fail(`${name} ended on its own (${ending}); see test-results/${this.p.name}-*.log`);
    }
  }

  private signal(child: ChildProcess, signal: NodeJS.Signals): void {
    const watched = this.watched.find((w) => w.child === child);
    if (!watched) throw new Error('not a watched process');
    watched.sent = signal;
    child.kill(signal);
  }
}

/**
 * Sets up the pipeline's slice of the services for the 20-device sample with 100 bad records
 * among it; `keyed` false sends the records without a key, so each device's readings are spread
 * over all the partitions and put in event-time order by the device.
 */
export async function faultRun(p: Pipeline, { keyed = true }: { keyed?: boolean } = {}) {
  await p.setUp();
  const sample = sampleFor(p);
  const bad = malformedMessages(`${p.runName}-dev-1`);
  const unkeyed = keyed ? undefined : { partitions: p.config.kafka.readingsPartitions };
  return { sample, bad, messages: messagesOf(sample, bad, { unkeyed }), topic: p.topicFor('sensor'), processes: new ProcessWatch(p) };
}

/**
 * Sends the messages in `chunks` parts with a short pause after each, so the pipeline is
 * still busy when `afterChunk(i)` brings a fault in.
 */
export async function streamInChunks(
  p: Pipeline,
  topic: string,
  messages: TestMessage[],
  chunks: number,
  afterChunk: (chunk: number) => Promise<void> | void,
): Promise<void> {
  const size = Math.ceil(messages.length / chunks);
  for (let i = 0; i < chunks; i += 1) {
    await p.send(messages.slice(i * size, (i + 1) * size), topic);
    await afterChunk(i);
    await sleep(200);
  }
}

/** In = processed + dead-lettered: every message sent was applied once or dead-lettered. */
export function expectInEqualsOut(p: Pipeline, states: Map<string, DeviceState>, sent: number): void {
  const applied = readingsAppliedIn(states);
  const deadLettered = distinctDeadLetters(p).length;
  expect(applied + deadLettered, `in (${sent}) = processed (${applied}) + dead-lettered (${deadLettered})`).toBe(sent);
}

/** Messages the ingest has taken but not yet signalled to Temporal nor dead-lettered. */
export async function ingestBacklog(p: Pipeline): Promise<number> {
  const metrics = await p.metrics('ingest');
  const sum = (prefix: string) => sumSeries(metrics, (series) => series.startsWith(prefix));
  return sum('vigil_ingest_messages_total{') - sum('vigil_signal_batch_size_sum') - sum('vigil_dead_letters_total{');
}

/**
 * Freezes the local Temporal dev server (SIGSTOP) until `thaw` is called: calls to it hang, so
 * work that needs the server is caught in flight, however fast the pipeline. A server that is
 * not ours (TEMPORAL_ADDRESS) is left alone, and `frozen` says false.
 */
export function freezeTemporal(config: Config): { frozen: boolean; thaw: () => void } {
  const pid = config.temporal.managed ? readPid(temporalPaths(config).process) : undefined;
  if (pid === undefined) return { frozen: false, thaw: () => undefined };
  process.kill(pid, 'SIGSTOP');
  let thawed = false;
  return {
    frozen: true,
    thaw: () => {
      if (thawed) return;
      thawed = true;
      process.kill(pid, 'SIGCONT');
    },
  };
}

/**
 * What every fault scenario must end with: no process crashed, every message applied once or
 * dead-lettered with its reason, the models and anomalies of an uninterrupted run, in order.
 */
export function expectSurvived(
  p: Pipeline,
  processes: ProcessWatch,
  outcome: { sample: SensorSample; bad: BadMessage[]; sent: number; states: Map<string, DeviceState>; keyed?: boolean },
): void {
  processes.expectNoCrash();
  expectInEqualsOut(p, outcome.states, outcome.sent);
  const reasons = distinctDeadLetters(p).map((letter) => letter.headers['vigil.dlq.reason'] ?? '(none)');
  expect(reasons.sort(), 'each bad message dead-lettered with its reason').toEqual(outcome.bad.map((b) => b.reason).sort());
  expectModelsEqualReference(outcome.states, outcome.sample);
  expectExactlyTheSpikes(p.anomalies, outcome.sample);
  expectPerDeviceOrder(p.anomalies, outcome.keyed === false ? 'event-time' : 'offset');
}

/**
 * The 20-device run with the worker killed with SIGKILL after the fourth of ten chunks, once some
 * anomalies are out, and started again: the same anomalies and final models as an uninterrupted
 * run, every reading applied once. Against whatever servers and credentials `p` carries.
 */
export async function survivesWorkerKill(p: Pipeline, { keyed = true }: { keyed?: boolean } = {}): Promise<void> {
  const { sample, bad, messages, topic, processes } = await faultRun(p, { keyed });
  const worker = await processes.start('worker');
  await processes.start('ingest');
  await streamInChunks(p, topic, messages, 10, async (chunk) => {
    if (chunk !== 3) return;
    await waitFor('some anomalies before the kill', () => flagged(p.anomalies).length >= 3, 120_000);
    expect(flagged(p.anomalies).length, 'the kill comes mid-stream').toBeLessThan(sample.spikes.length);
    processes.kill(worker);
  });
  await processes.start('worker');
  const states = await waitUntilDrained(p, sample, bad.length, { stillHealthy: () => processes.expectNoCrash() });
  expectSurvived(p, processes, { sample, bad, sent: messages.length, states, keyed });
}
