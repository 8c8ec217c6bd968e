import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { installTemporalServer } from '../../src/services/temporal-server';

/** A state folder of its own, so nothing here touches the suite's build. */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-build-'));
const config = loadConfig({ VIGIL_HOME: home });
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

async function withEnvironment<T>(changes: NodeJS.ProcessEnv, run: () => Promise<T>): Promise<T> {
  const before = { ...process.env };
  Object.assign(process.env, changes);
  try {
    return await run();
  } finally {
    for (const key of Object.keys(changes)) delete process.env[key];
    Object.assign(process.env, before);
  }
}

/** Go's name of this machine's platform, as the go command says it. */
const goPlatform = `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`;

const failure = (run: () => Promise<unknown>) => run().then(() => 'no error', (error: Error) => error.message);

describe('building the production Temporal server', () => {
  it('says in one line that Go is needed when `go` is not on PATH', async () => {
    const message = await withEnvironment({ PATH: '/nonexistent' }, () => failure(() => installTemporalServer(config)));
    expect(message).toBe(
      'Go is required to build the Temporal server 1.32.2 (VIGIL_TEMPORAL_BACKEND=server), but `go` is not on PATH: install Go 1.21 or newer (Debian: apt-get install golang-go), or use the dev server (VIGIL_TEMPORAL_BACKEND=dev).',
    );
  });

  it('says in one line why the build failed (here: no module proxy to fetch the pinned toolchain from) and where its output is, and leaves no lock behind', async () => {
    const message = await withEnvironment({ GOPROXY: 'off' }, () => failure(() => installTemporalServer(config)));
    const log = path.join(home, 'temporal-server', 'build.log');
    // With no module proxy the pinned toolchain cannot be fetched: the go command's own last words.
    expect(message).toBe(
      `Building the Temporal server (go install go.temporal.io/server@v1.32.2) failed with exit code 1: go: download go1.27.3 for ${goPlatform}: toolchain not available (full output: ${log})`,
    );
    expect(fs.existsSync(path.join(home, 'temporal-server', 'build.lock'))).toBe(false);
  });
});
