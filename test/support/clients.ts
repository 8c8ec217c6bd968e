import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../../src/config';
import { ensureConfluentKafka, ensureKcat } from '../../src/services/producer-clients';

/** Runs a program to its end, failing with its output. */
function run(command: string, args: string[], input: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} ended with ${code ?? signal}:\n${output.slice(-2000)}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** `kcat -P` as a user types it: one message per line, no key, librdkafka's own partitioner. */
export async function kcatProduce(config: Config, topic: string, lines: readonly string[]): Promise<void> {
  await run(ensureKcat(), ['-P', '-b', config.kafka.brokers.join(','), '-t', topic], `${lines.join('\n')}\n`, 120_000);
}

/** The meter's producer script (written like the meter system's producer.py) with the confluent-kafka client. */
export async function runMeterProducer(config: Config, options: { file: string; topic: string; start: string; stepFrequency: number; accelerator: number; maxIterations: number }): Promise<string> {
  const script = path.join(__dirname, 'clients', 'meter_producer.py');
  const args = [
    script, '--bootstrap_server', config.kafka.brokers.join(','), '--file_path', options.file, '--topic', options.topic, '--start', options.start,
    '--step_frequency', String(options.stepFrequency), '--accelerator', String(options.accelerator), '--max_iterations', String(options.maxIterations),
  ];
  return run(ensureConfluentKafka(config), args, undefined, 300_000);
}
