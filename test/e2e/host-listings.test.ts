import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, Pipeline, waitFor } from '../support/pipeline';

/**
 * The host rules' per-batch listings (`vigil violations --listing …`) on the real Kafka, with the
 * thresholds applied to Temporal: host records with known values across two 60-s batches of
 * event time, some keyed and some not, three the host format refuses; the exact tables printed
 * for the three queries, as the notebook's show() prints them per batch.
 */
const p = new Pipeline('e2e-host-listings');
const suffix = p.runName.slice(p.runName.lastIndexOf('-') + 1);
// Short ids: show() would cut a cell longer than 20 characters, and Vigil prints them whole.
const host = (n: number) => `h${suffix}-000${n}`;
const h0 = host(0);
const h1 = host(1);
let thresholdsFile: string;

/** A host record at 2018-10-29 17:08/17:09 (+0700), 10:08/10:09 UTC; host 0 keyed, the others not. */
function record(n: number, minute: 8 | 9 | 10, second: number, metrics: { loadavg?: number; cpu?: number; mem?: number }) {
  const value = JSON.stringify({ ts: `2018-10-29T17:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}+0700`, id: host(n), ...metrics });
  return { key: n === 0 ? host(n) : null, value };
}

const batchA = '-------------------------------------------\nBatch: 2018-10-29 10:08:00 to 10:09:00 UTC\n-------------------------------------------';
const batchB = '-------------------------------------------\nBatch: 2018-10-29 10:09:00 to 10:10:00 UTC\n-------------------------------------------';
const block = (heading: string, lines: string[]) => `${heading}\n${lines.join('\n')}\n\n`;

const latest =
  block(batchA, [
    '+------+-------------------+--------------+-------+-------+---+----+',
    '|row_no|                 ts|            id|  field|  value|low|high|',
    '+------+-------------------+--------------+-------+-------+---+----+',
    `|     1|2018-10-29 10:08:53|${h0}|    cpu|   99.0|0.0|90.0|`,
    `|     1|2018-10-29 10:08:54|${h1}|loadavg| 3.0675|0.0| 3.0|`,
    `|     1|2018-10-29 10:08:54|${h1}|    mem|90.0614|0.0|70.0|`,
    '+------+-------------------+--------------+-------+-------+---+----+',
  ]) +
  block(batchB, [
    '+------+-------------------+--------------+-------+-----+---+----+',
    '|row_no|                 ts|            id|  field|value|low|high|',
    '+------+-------------------+--------------+-------+-----+---+----+',
    `|     1|2018-10-29 10:09:03|${h0}|    cpu| 94.0|0.0|90.0|`,
    `|     1|2018-10-29 10:09:03|${h0}|loadavg| -0.5|0.0| 3.0|`,
    '+------+-------------------+--------------+-------+-----+---+----+',
  ]);

// cnt > 3: host 0's cpu violates three times in the first batch (not listed), four in the second.
const count =
  block(batchA, [
    '+------+---+-------------------+--------------+-------+-------+---+----+',
    '|row_no|cnt|                 ts|            id|  field|  value|low|high|',
    '+------+---+-------------------+--------------+-------+-------+---+----+',
    `|     1|  4|2018-10-29 10:08:54|${h1}|loadavg| 3.0675|0.0| 3.0|`,
    `|     1|  5|2018-10-29 10:08:54|${h1}|    mem|90.0614|0.0|70.0|`,
    '+------+---+-------------------+--------------+-------+-------+---+----+',
  ]) +
  block(batchB, [
    '+------+---+-------------------+--------------+-----+-----+---+----+',
    '|row_no|cnt|                 ts|            id|field|value|low|high|',
    '+------+---+-------------------+--------------+-----+-----+---+----+',
    `|     1|  4|2018-10-29 10:09:03|${h0}|  cpu| 94.0|0.0|90.0|`,
    '+------+---+-------------------+--------------+-----+-----+---+----+',
  ]);

const consecutive =
  block(batchA, [
    '+------+-------------------+--------------+-----+-------+-------+-------+---+----+',
    '|row_no|                 ts|            id|field|  value| value1| value2|low|high|',
    '+------+-------------------+--------------+-----+-------+-------+-------+---+----+',
    `|     1|2018-10-29 10:08:54|${h1}|  mem|90.0614|90.0588|89.7509|0.0|70.0|`,
    '+------+-------------------+--------------+-----+-------+-------+-------+---+----+',
  ]) +
  block(batchB, [
    '+------+-------------------+--------------+-----+-----+------+------+---+----+',
    '|row_no|                 ts|            id|field|value|value1|value2|low|high|',
    '+------+-------------------+--------------+-----+-----+------+------+---+----+',
    `|     1|2018-10-29 10:09:03|${h0}|  cpu| 94.0|  93.0|  92.0|0.0|90.0|`,
    '+------+-------------------+--------------+-----+-----+------+------+---+----+',
  ]);

const refused = 'skipped 3 record(s) the host format refuses: invalid-json 1, invalid-schema 1, key-mismatch 1\n';

beforeAll(async () => {
  await p.setUp();
  // Only for `thresholds apply` (its Updates); the listings need no worker.
  await p.start('worker');
  // Seed 001's thresholds.csv; host 2 has no row, so its cpu of 99 is never listed.
  fs.mkdirSync(artifactsDir, { recursive: true });
  thresholdsFile = path.join(artifactsDir, `${p.runName}-thresholds.csv`);
  fs.writeFileSync(thresholdsFile, [`${h0},loadavg,0.0,3.0`, `${h0},cpu,0.0,90.0`, `${h0},mem,0.0,85.0`, `${h1},loadavg,0.0,3.0`, `${h1},cpu,0.0,80.0`, `${h1},mem,0.0,70.0`, ''].join('\n'));
  const applied = await p.vigil(['thresholds', 'apply', thresholdsFile, '--by', 'e2e']);
  expect(applied.code, applied.stderr).toBe(0);

  await p.send(
    [
      // First batch: host 1's loadavg violates 4 times (not at :52), its mem 5 times; host 0's cpu 3 times.
      record(1, 8, 50, { loadavg: 3.1767, cpu: 10, mem: 89.4921 }),
      record(1, 8, 51, { loadavg: 3.1625, cpu: 10, mem: 89.4845 }),
      record(1, 8, 52, { loadavg: 2.0, cpu: 10, mem: 89.7509 }),
      record(1, 8, 53, { loadavg: 3.1835, cpu: 10, mem: 90.0588 }),
      record(1, 8, 54, { loadavg: 3.0675, cpu: 10, mem: 90.0614 }),
      record(0, 8, 50, { loadavg: 0.5, cpu: 95, mem: 50 }),
      record(0, 8, 51, { loadavg: 0.5, cpu: 97, mem: 50 }),
      record(0, 8, 52, { loadavg: 0.5, cpu: 50, mem: 50 }),
      record(0, 8, 53, { loadavg: 0.5, cpu: 99 }), // no mem: a null, which violates nothing
      record(2, 8, 53, { loadavg: 9, cpu: 99, mem: 99 }),
      // Second batch: host 0's cpu violates 4 times in a row, its loadavg once (below low).
      record(0, 9, 0, { loadavg: 0.5, cpu: 91, mem: 50 }),
      record(0, 9, 1, { loadavg: 0.5, cpu: 92, mem: 50 }),
      record(0, 9, 2, { loadavg: 0.5, cpu: 93, mem: 50 }),
      record(0, 9, 3, { loadavg: -0.5, cpu: 94, mem: 50 }),
      record(1, 9, 3, { loadavg: 1, cpu: 10, mem: 50 }),
      record(2, 9, 3, { loadavg: 9, cpu: 99, mem: 99 }),
      // What the host format refuses: not JSON, a key naming another host, a time without its zone.
      { key: null, value: 'not json' },
      { key: h0, value: JSON.stringify({ ts: '2018-10-29T17:08:55+0700', id: h1, cpu: 99 }) },
      { key: null, value: JSON.stringify({ ts: '2018-10-29T17:08:55', id: h1, cpu: 99 }) },
    ],
    p.topicFor('host'),
  );
});

afterAll(async () => {
  await p.tearDown();
});

describe("the host rules' per-batch listings, read from the host topic", () => {
  it('prints the newest violation per (host, field) of each batch, judged by the thresholds applied to Temporal: row_no = 1', async () => {
    // The devices' memos reach visibility a moment after the Updates complete.
    let run = await p.vigil(['violations', '--listing', 'latest']);
    await waitFor('the listing with the applied thresholds', async () => (run = await p.vigil(['violations', '--listing', 'latest'])).stdout === latest, 30_000, () => run.stdout + run.stderr);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, latest, refused]);
  });

  it('prints the same when given the thresholds file instead, as the notebook read thresholds.csv', async () => {
    const run = await p.vigil(['violations', '--listing', 'latest', '--batch', '60s', '--thresholds', thresholdsFile]);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, latest, refused]);
  });

  it('lists a (host, field) only with more than 3 violations in the batch: cnt > 3 needs 4', async () => {
    const run = await p.vigil(['violations', '--listing', 'count']);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, count, refused]);
    // --more-than 2: host 0's three cpu violations of the first batch are listed too.
    const two = await p.vigil(['violations', '--listing', 'count', '--more-than', '2']);
    expect(two.stdout.split('\n').filter((line) => line.startsWith('|     1|')).map((line) => line.split('|').slice(2, 6).join('|'))).toEqual([
      `  3|2018-10-29 10:08:53|${h0}|    cpu`,
      `  4|2018-10-29 10:08:54|${h1}|loadavg`,
      `  5|2018-10-29 10:08:54|${h1}|    mem`,
      `  4|2018-10-29 10:09:03|${h0}|  cpu`,
    ]);
  });

  it('lists a (host, field) when its newest event and the two before it all violate: value, value1, value2', async () => {
    const run = await p.vigil(['violations', '--listing', 'consecutive']);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, consecutive, refused]);
  });

  it('--from: starts at the messages written since then (none), and exits at the end of the topic', async () => {
    const run = await p.vigil(['violations', '--listing', 'latest', '--from', new Date().toISOString()]);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, '', '']);
  });

  it('--follow: prints a batch once the input\'s event time passes its end, and stops on SIGTERM', async () => {
    let stdout = '';
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../src/cli.ts'), 'violations', '--listing', 'latest', '--follow'], { env: p.env, cwd: path.resolve(__dirname, '../..') });
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [first] = latest.split(batchB);
      await waitFor('the first batch, closed by the second batch\'s events', async () => stdout === first, 60_000, () => stdout);
      // The second batch's end is 10:10:00 UTC: a record at that time closes it.
      await p.send([record(1, 10, 0, { loadavg: 1, cpu: 10, mem: 50 })], p.topicFor('host'));
      await waitFor('the second batch', async () => stdout === latest, 30_000, () => stdout);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toBe(latest);
  });
});
