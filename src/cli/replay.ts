import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SingleBar } from 'cli-progress';
import type { Message } from 'kafkajs';
import type { Config } from '../config';
import { checkConnections } from '../connections/check';
import { configuredFormats, type FormatName, type InputFormat, parseText, Rejection, toCanonical } from '../formats';
import { fileRows, isCsvFile } from '../formats/file-rows';
import { createKafka } from '../kafka/client';
import { deviceIdSchema } from '../reading';

export interface ReplayOptions {
  format: FormatName;
  /**
   * Event-time speed-up: 60 plays an hour in a minute. Undefined: as fast as possible. With
   * `stepFrequency`, the meter producer's meaning instead (see there).
   */
  accelerator?: number;
  /**
   * The meter producer's pacing: every `stepFrequency` seconds, the next `stepFrequency ×
   * accelerator` minutes of the file at once (accelerator 1 by default): 60 × accelerator times
   * real time, in steps, as its `--step_frequency` and `--accelerator` play it.
   */
  stepFrequency?: number;
  topic?: string;
  progress?: boolean;
  /** The device of every row, for formats whose rows name none (usage); default: the configured one. */
  device?: string;
}

export interface ReplayResult {
  sent: number;
  invalid: Array<{ line: number; reason: string }>;
}

/**
 * The key of every row when the format's rows name no device (usage): `--device`, else the
 * configured default; undefined for formats whose rows carry their own id.
 */
export function fixedDeviceKey(format: InputFormat, device: string | undefined): string | undefined {
  if (!format.deviceIdFromKey) {
    if (device !== undefined) throw new Error(`--device is for formats whose rows name no device (usage); ${format.name} rows name their own`);
    return undefined;
  }
  let deviceId: string;
  try {
    deviceId = format.deviceIdFromKey(device);
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    throw new Error(`${format.name} rows name no device: pass --device <id> or set VIGIL_USAGE_DEVICE_ID`);
  }
  const valid = deviceIdSchema.safeParse(deviceId);
  if (!valid.success) throw new Error(`--device ${JSON.stringify(deviceId)}: ${valid.error.issues[0]?.message ?? 'not a device id'}`);
  return deviceId;
}

/** When a reading of event time `ts` is due, by the replay's pacing; undefined: at once. */
export function dueAt(ts: number, firstTs: number, wallStart: number, { accelerator, stepFrequency }: Pick<ReplayOptions, 'accelerator' | 'stepFrequency'>): number | undefined {
  if (stepFrequency !== undefined) {
    const stepMs = stepFrequency * (accelerator ?? 1) * 60_000;
    return wallStart + Math.floor((ts - firstTs) / stepMs) * stepFrequency * 1000;
  }
  return accelerator === undefined ? undefined : wallStart + (ts - firstTs) / accelerator;
}

/**
 * Sends a CSV (header row) or a file of one message per line (JSON, or the format's own line
 * syntax) into the readings topic, keyed by device id, in file order, paced by event time when
 * an accelerator is given. Invalid rows are not sent: they are reported with their line and
 * reason.
 */
export async function replayFile(config: Config, file: string, options: ReplayOptions): Promise<ReplayResult> {
  const format = configuredFormats(config.formats)[options.format];
  const key = fixedDeviceKey(format, options.device);
  const rows = fileRows(fs.readFileSync(file, 'utf8'), isCsvFile(file), options.format);
  const invalid: ReplayResult['invalid'] = [];
  await checkConnections(config, ['kafka']);
  const producer = createKafka(config, 'replay').producer({ allowAutoTopicCreation: false });
  const topic = options.topic ?? config.kafka.inputs.find((input) => input.format === options.format)?.topic;
  if (topic === undefined) throw new Error(`no input topic reads the ${options.format} format; pass --topic`);
  const bar = options.progress ? new SingleBar({ format: 'replay [{bar}] {value}/{total} readings · {eta}s left', hideCursor: true }) : undefined;
  await producer.connect();
  let sent = 0;
  try {
    bar?.start(rows.length, 0);
    let batch: Message[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await producer.send({ topic, acks: -1, messages: batch });
      sent += batch.length;
      bar?.update(sent + invalid.length);
      batch = [];
    };
    let firstTs: number | undefined;
    const wallStart = Date.now();
    for (const row of rows) {
      let reading;
      try {
        reading = toCanonical(format, row.wire ?? parseText(format, row.text), { key, timestamp: Date.now() });
      } catch (error) {
        if (!(error instanceof Rejection)) throw error;
        invalid.push({ line: row.line, reason: error.message });
        continue;
      }
      const due = dueAt(reading.ts, (firstTs ??= reading.ts), wallStart, options);
      if (due !== undefined) {
        if (due - Date.now() > 5) {
          await flush();
          await sleep(due - Date.now());
        }
      }
      batch.push({ key: reading.deviceId, value: row.text });
      if (batch.length >= 500) await flush();
    }
    await flush();
  } finally {
    bar?.stop();
    await producer.disconnect();
  }
  return { sent, invalid };
}
