import { describe, expect, it } from 'vitest';
import { boardLog } from '../support/board';
import { usePipeline } from '../support/pipeline';

const newPipeline = usePipeline();
const token = 'board-token-for-the-test-5f0c2a9e71';

describe('the Anomaly Board beyond loopback (VIGIL_BOARD_TOKEN)', () => {
  it('refuses to listen on 0.0.0.0 without a token: one line, no stack, exit code 1', async () => {
    const p = newPipeline('e2e-board-no-token', { VIGIL_BOARD_TOKEN: undefined });
    const run = await p.vigil(['board', '--host', '0.0.0.0', '--port', '0']);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'vigil: the board does not listen on 0.0.0.0 without an access token: set VIGIL_BOARD_TOKEN (16 characters or more, e.g. openssl rand -hex 32), or listen on 127.0.0.1\n',
    });
  });

  it('refuses a token shorter than 16 characters', async () => {
    const p = newPipeline('e2e-board-short-token', { VIGIL_BOARD_TOKEN: undefined });
    p.env.VIGIL_BOARD_TOKEN = 'short'; // the command's setting; the test's own config has none
    const run = await p.vigil(['board', '--host', '0.0.0.0', '--port', '0']);
    expect([run.code, run.stderr]).toEqual([1, 'vigil: VIGIL_BOARD_TOKEN must be at least 16 characters (e.g. openssl rand -hex 32)\n']);
  });

  it('with a token on 0.0.0.0: the page, the API and the event stream answer 401 without it, and serve it by Bearer, Basic or the cookie a visit to /?token= sets', async () => {
    const p = newPipeline('e2e-board-token', { VIGIL_BOARD_TOKEN: token });
    await p.setUp();
    await p.start('board', ['--host', '0.0.0.0', '--port', '0']);
    const port = [...boardLog(p).matchAll(/"url":"http:\/\/0\.0\.0\.0:(\d+)\/"/g)].at(-1)?.[1];
    expect(port, 'the board says where it listens').toBeDefined();
    const at = (path: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${port}${path}`, { headers, redirect: 'manual' });
    const status = async (path: string, headers: Record<string, string> = {}) => {
      const response = await at(path, headers);
      await response.body?.cancel();
      return response.status;
    };

    // Without the token, or with a wrong one: nothing.
    const page = await at('/');
    expect(page.status).toBe(401);
    expect(page.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await page.text()).not.toContain('<html');
    for (const path of ['/api/board', '/events', '/api/config']) expect(await status(path), path).toBe(401);
    expect(await status('/api/board', { authorization: 'Bearer not-the-token-at-all-123' })).toBe(401);
    expect(await status('/?token=not-the-token-at-all-123')).toBe(401);

    // With it.
    expect(await status('/api/board', { authorization: `Bearer ${token}` })).toBe(200);
    expect(await status('/', { authorization: `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}` })).toBe(200);

    // A first visit with ?token= sets a cookie (not the token itself) and drops the token from the address.
    const visit = await at(`/?token=${token}`);
    expect(visit.status).toBe(303);
    expect(visit.headers.get('location')).toBe('/');
    const cookie = visit.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).not.toContain(token);
    expect(await status('/', { cookie })).toBe(200);
    const events = await at('/events', { cookie });
    expect([events.status, events.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    await events.body?.cancel();

    // The token is in no line the board logged.
    expect(boardLog(p)).not.toContain(token);
  });
});
