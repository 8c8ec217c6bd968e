import fs from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { pgConfig } from '../../src/connections/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, Pipeline, waitFor } from '../support/pipeline';

/**
 * Seed 001's operator queries on the real services: the DISCONNECTED hosts (`devices list
 * --status`, from Temporal's visibility) and the latest violation per (host, field) (`violations`,
 * from the sink's PostgreSQL). The sink writes to a database of this test's own, so the listing
 * holds exactly its rows.
 */
const p = new Pipeline('e2e-operator');
const host = (n: number) => `${p.runName}-host-000${n}`;
const database = p.runName.replace(/[^a-z0-9]/g, '_');
let admin: PgClient;

/** A host record of seed 001 at 2018-10-29 17:08:5s (+0700). */
const record = (n: number, second: number, loadavg: number, cpu: number, mem: number) => ({
  key: host(n),
  value: JSON.stringify({ ts: `2018-10-29T17:08:5${second}+0700`, id: host(n), loadavg, cpu, mem }),
});
const at = (second: number) => `2018-10-29T10:08:5${second}.000Z`;

beforeAll(async () => {
  await p.setUp();
  admin = new PgClient(pgConfig(p.config));
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(p.config.postgres.url);
  url.pathname = `/${database}`;
  p.env.DATABASE_URL = url.toString();
  p.env.VIGIL_DISCONNECT_AFTER_MS = '3000';
  await p.start('worker');
  await p.start('ingest');
  await p.start('sink');
});

afterAll(async () => {
  await p.tearDown();
  await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin?.end();
});

describe("seed 001's listings: DISCONNECTED hosts and the latest violation per (host, field)", () => {
  it('lists devices by connection status, and rejects an unknown status in one line', async () => {
    // Seed 001's thresholds.csv, and a third host that is configured but never reports.
    const thresholds = [
      `${host(0)},loadavg,0.0,3.0`, `${host(0)},cpu,0.0,90.0`, `${host(0)},mem,0.0,85.0`,
      `${host(1)},loadavg,0.0,3.0`, `${host(1)},cpu,0.0,80.0`, `${host(1)},mem,0.0,70.0`,
      `${host(2)},cpu,0.0,80.0`,
    ];
    fs.mkdirSync(artifactsDir, { recursive: true });
    const file = path.join(artifactsDir, `${p.runName}-thresholds.csv`);
    fs.writeFileSync(file, `${thresholds.join('\n')}\n`);
    expect((await p.vigil(['thresholds', 'apply', file, '--by', 'e2e'])).code).toBe(0);

    const list = async (...args: string[]) => {
      const run = await p.vigil(['devices', 'list', ...args]);
      expect(run.code, run.stderr).toBe(0);
      return run.stdout;
    };
    const newHosts = [0, 1, 2].map((n) => `${host(n)}  NEW     0`);
    await waitFor('three NEW devices in visibility', async () => (await list('--status', 'NEW')) === `device${' '.repeat(host(0).length - 6)}  status  anomalies  last reading\n${newHosts.join('\n')}\n`, 30_000);

    await p.send(
      [
        record(0, 0, 0.5, 95, 50), record(0, 1, 3.5, 97, 50), record(0, 2, 1.0, 50, 86),
        record(1, 0, 3.1835, 10, 90.0588), record(1, 1, 3.0675, 10, 90.0614), record(1, 2, 2.0, 10, 60), record(1, 3, 1.0, -0.5, 50),
      ],
      p.topicFor('host'),
    );
    const pad = ' '.repeat(host(0).length - 6);
    const disconnected = `device${pad}  status        anomalies  last reading\n${host(0)}  DISCONNECTED  3          ${at(2)}\n${host(1)}  DISCONNECTED  3          ${at(3)}\n`;
    await waitFor('both reporting hosts DISCONNECTED after 3 s of silence', async () => (await list('--status', 'DISCONNECTED')) === disconnected, 60_000);

    expect(await list('--status', 'NEW')).toBe(`device${pad}  status  anomalies  last reading\n${host(2)}  NEW     0\n`);
    expect(await list('--status', 'CONNECTED')).toBe('No devices.\n');
    expect(await list()).toBe(
      `device${pad}  status        anomalies  last reading\n${host(0)}  DISCONNECTED  3          ${at(2)}\n${host(1)}  DISCONNECTED  3          ${at(3)}\n${host(2)}  NEW           0\n`,
    );

    const bad = await p.vigil(['devices', 'list', '--status', 'GONE']);
    expect([bad.code, bad.stdout, bad.stderr]).toEqual([1, '', "error: option '--status <status>' argument 'GONE' is invalid. Allowed choices are NEW, CONNECTED, DISCONNECTED.\n"]);
  });

  it("prints the latest violation per (host, field) from the sink's table, as seed 001's query does", async () => {
    // 13 steps: host 0 cpu raised, updated, resolved; loadavg raised, resolved; mem raised.
    // Host 1 loadavg and mem raised, updated, resolved each; cpu raised (a low violation).
    const db = new PgClient(pgConfig(p.config, { database }));
    await db.connect();
    try {
      await waitFor('the sink to store the 13 anomaly steps', async () => Number((await db.query('SELECT count(*) FROM anomalies')).rows[0].count) === 13, 60_000, () => `${p.anomalies.length} on Kafka`);
    } finally {
      await db.end();
    }

    const run = await p.vigil(['violations']);
    expect(run.code, run.stderr).toBe(0);
    const h0 = host(0);
    const h1 = host(1);
    const pad = ' '.repeat(h0.length - 6);
    expect(run.stdout).toBe(
      [
        `ts                        device${pad}  field    value    low  high`,
        `${at(1)}  ${h0}  cpu      97       0    90`,
        `${at(1)}  ${h0}  loadavg  3.5      0    3`,
        `${at(2)}  ${h0}  mem      86       0    85`,
        `${at(3)}  ${h1}  cpu      -0.5     0    80`,
        `${at(1)}  ${h1}  loadavg  3.0675   0    3`,
        `${at(1)}  ${h1}  mem      90.0614  0    70`,
        '',
      ].join('\n'),
    );
  });

  it('says in one line when the database does not answer', async () => {
    const sinkDatabase = p.env.DATABASE_URL;
    p.env.DATABASE_URL = 'postgres://vigil@127.0.0.1:1/vigil';
    const run = await p.vigil(['violations']).finally(() => (p.env.DATABASE_URL = sinkDatabase));
    expect([run.code, run.stdout, run.stderr]).toEqual([
      1,
      '',
      'vigil: PostgreSQL at 127.0.0.1:1/vigil: does not answer (connection refused); check the host and port in DATABASE_URL and that the server runs\n',
    ]);
  });
});
