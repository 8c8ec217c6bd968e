import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config';
import { postgresHealthy, startPostgres, stopPostgres } from '../../src/services/postgres';

/**
 * As root, PostgreSQL runs as the `postgres` user, which cannot enter a checkout under a mode-700
 * folder (as /root is). Here such a checkout lives in a 700 temporary folder, its server on port
 * 25433 (the shared services keep theirs), its clusters folder in a reachable temporary folder.
 */
describe.skipIf(process.getuid?.() !== 0)('the local PostgreSQL as root, in a checkout its user cannot enter', () => {
  let locked: string;
  let clusters: string;
  let config: Config;
  const configFor = (checkout: string, clustersDir: string) =>
    loadConfig({ VIGIL_HOME: path.join(checkout, '.vigil'), VIGIL_POSTGRES_PORT: '25433', VIGIL_POSTGRES_CLUSTERS_DIR: clustersDir });

  beforeAll(() => {
    locked = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-locked-'));
    fs.chmodSync(locked, 0o700);
    clusters = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-clusters-'));
    fs.chmodSync(clusters, 0o755);
    config = configFor(path.join(locked, 'vigil'), clusters);
  });

  afterAll(async () => {
    if (config) await stopPostgres(config);
    fs.rmSync(locked, { recursive: true, force: true });
    fs.rmSync(clusters, { recursive: true, force: true });
  });

  it('stops at once with one line saying what to do when the clusters folder is out of reach too', async () => {
    const other = configFor(path.join(locked, 'other'), path.join(locked, 'clusters'));
    const error = await startPostgres(other).then(() => undefined, (e: Error) => e.message);
    expect(error).toMatch(
      new RegExp(
        `^PostgreSQL's user postgres can enter neither ${locked} \\(mode 700, owner uid 0\\), on the way to ${locked}/other/.vigil/postgres, ` +
          `nor ${locked} \\(mode 700, owner uid 0\\), on the way to ${locked}/clusters/other-[0-9a-f]{12}: ` +
          `give one of them o\\+x, set VIGIL_POSTGRES_CLUSTERS_DIR to a folder that user can reach, or set DATABASE_URL to use another server\\.$`,
      ),
    );
    expect(fs.existsSync(path.join(locked, 'clusters'))).toBe(false);
  });

  it('keeps the cluster where that user can reach it, linked from the state folder, across a stop and a start', async () => {
    expect(await startPostgres(config)).toBe('started');
    const link = path.join(config.home, 'postgres', 'data');
    const target = fs.readlinkSync(link);
    expect(target).toMatch(new RegExp(`^${clusters}/vigil-[0-9a-f]{12}/data$`));
    expect(fs.readFileSync(path.join(path.dirname(target), 'checkout'), 'utf8')).toBe(`${config.home}\n`);
    await query(config, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');

    expect(await stopPostgres(config)).toBe(true);
    expect(await postgresHealthy(config).catch(() => false)).toBe(false);
    expect(await startPostgres(config)).toBe('started');
    expect(fs.readlinkSync(link)).toBe(target);
    expect(await query(config, 'SELECT x FROM kept')).toEqual([{ x: 42 }]);
  });
});

async function query(config: Config, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: config.postgres.url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}
