import { describe, expect, it } from 'vitest';
import { ACCESS_COOKIE, boardUrl, cookieNamed, cookieValueFor, decideAccess, isLoopback, listenRefusal, sameSecret } from '../../src/board/access';
import { splitAddress } from '../../src/connections/tls-probe';

const TOKEN = 'board-token-0123456789abcdef';
const at = (address: string) => new URL(address, 'http://board');

describe("the board's access rules", () => {
  it('tells loopback addresses from the others', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([true, true, true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.5', 'board.example.com', '::ffff:10.0.0.5'].map(isLoopback)).toEqual([false, false, false, false, false]);
  });

  it('refuses to listen beyond loopback without a token, in one line', () => {
    expect(listenRefusal('127.0.0.1', false)).toBeUndefined();
    expect(listenRefusal('0.0.0.0', true)).toBeUndefined();
    expect(listenRefusal('0.0.0.0', false)).toBe(
      'the board does not listen on 0.0.0.0 without an access token: set VIGIL_BOARD_TOKEN (16 characters or more, e.g. openssl rand -hex 32), or listen on 127.0.0.1',
    );
  });

  it('compares tokens whatever their lengths', () => {
    expect([sameSecret(TOKEN, TOKEN), sameSecret('', TOKEN), sameSecret(`${TOKEN}x`, TOKEN), sameSecret('a', 'b')]).toEqual([true, false, false, false]);
  });

  it('lets the right ?token= on the page set the cookie and drop the token from the address', () => {
    expect(decideAccess(at('/?token=board-token-0123456789abcdef&q=fleet'), {}, TOKEN)).toEqual({
      allow: true,
      setCookie: `${ACCESS_COOKIE}=${cookieValueFor(TOKEN)}; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000`,
      redirectTo: '/?q=fleet',
    });
    expect(decideAccess(at(`/?token=${TOKEN}`), { 'x-forwarded-proto': 'https' }, TOKEN)).toMatchObject({ setCookie: expect.stringMatching(/; Secure$/) });
    expect(decideAccess(at(`/api/board?token=${TOKEN}`), {}, TOKEN)).toEqual({ allow: true });
    expect(decideAccess(at('/?token=wrong'), {}, TOKEN)).toEqual({ allow: false });
  });

  it('admits a request with the token as Bearer, as Basic password, or as the cookie, and nothing else', () => {
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const decide = (headers: Record<string, string>) => decideAccess(at('/events'), headers, TOKEN).allow;
    expect(decide({ authorization: `Bearer ${TOKEN}` })).toBe(true);
    expect(decide({ authorization: basic('anyone', TOKEN) })).toBe(true);
    expect(decide({ cookie: `theme=dark; ${ACCESS_COOKIE}=${cookieValueFor(TOKEN)}` })).toBe(true);
    expect(decide({})).toBe(false);
    expect(decide({ authorization: 'Bearer nope' })).toBe(false);
    expect(decide({ authorization: basic(TOKEN, 'nope') })).toBe(false);
    // The cookie holds a value derived from the token, not the token.
    expect(decide({ cookie: `${ACCESS_COOKIE}=${TOKEN}` })).toBe(false);
    expect(cookieValueFor(TOKEN)).not.toContain(TOKEN);
  });

  it('reads cookies and says its address', () => {
    expect(cookieNamed('a=1; vigil_board=xyz; b=2', 'vigil_board')).toBe('xyz');
    expect(cookieNamed('a=1', 'vigil_board')).toBeUndefined();
    expect([boardUrl('127.0.0.1', 8090), boardUrl('::', 80), boardUrl('[::1]', 1)]).toEqual(['http://127.0.0.1:8090/', 'http://[::]:80/', 'http://[::1]:1/']);
  });
});

describe('server addresses', () => {
  it('splits host and port, IPv6 included', () => {
    expect([splitAddress('ns.acct.tmprl.cloud:7233', 7233), splitAddress('temporal', 7233), splitAddress('[::1]:7234', 7233), splitAddress('::1', 7233)]).toEqual([
      { host: 'ns.acct.tmprl.cloud', port: 7233 },
      { host: 'temporal', port: 7233 },
      { host: '::1', port: 7234 },
      { host: '::1', port: 7233 },
    ]);
  });
});
