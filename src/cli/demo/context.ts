import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import type { Config } from '../../config';
import type { SystemRow } from './closing-table';
import type { DemoOutputs } from './outputs';

/** What each part of the demo works with. */
export interface DemoContext {
  config: Config;
  /** One line of the part's report, under its heading. */
  say(line: string): void;
  /** This run's tag, in its device ids: every run has fresh devices, so it can be repeated. */
  tag: string;
  outputs: DemoOutputs;
  /** The Temporal client, as operator commands use it. */
  client: Client;
  /** The sink's database. */
  db: PgClient;
}

/** A part's row of the closing table, and what went wrong (nothing, when it did what it shows). */
export interface PartOutcome {
  row: SystemRow;
  problems: string[];
}

/** How long a part waits for an outcome before it says what is missing. */
export const WAIT_MS = 60_000;

/** Polls `check` until it holds or `timeoutMs` has passed; true when it held. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** Writes a sample file under the project's `.vigil/samples` and returns its path. */
export function writeSample(config: Config, name: string, text: string): string {
  const file = path.join(config.home, 'samples', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Rows of the sink's database. */
export async function rowsOf<T>(ctx: DemoContext, sql: string, params: unknown[]): Promise<T[]> {
  return (await ctx.db.query(sql, params)).rows as T[];
}
