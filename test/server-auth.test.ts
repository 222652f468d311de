/**
 * Headless server: token authorization of WebSocket upgrades and /healthz, public static
 * files, Host-header and Origin checks, static file confinement, and requests that once
 * ended the process (issue 10, items 1 and 2). Real services (host model + loop + SQLite)
 * behind a real server on port 0; attacks are sent over raw TCP sockets.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, httpGet, openWs, type Fixture } from './server-helpers.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

/** Send raw bytes, return what the server answered before closing (or after `ms`). */
export function raw(port: number, text: string, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, ms);
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (/\r\n\r\n/.test(out) && !/^HTTP\/1\.1 101/.test(out)) done();
    });
    s.on('error', done);
    s.on('close', done);
    s.write(text);
  });
}

async function alive(): Promise<void> {
  const r = await httpGet(`${fx.base}/healthz`, { authorization: `Bearer ${fx.token}` });
  expect(r.status).toBe(200);
}

describe('headless server authorization', () => {
  it('prints a loopback URL with a long random token in the fragment (never sent to a server)', () => {
    expect(fx.run.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/);
    expect(fx.port).toBeGreaterThan(0);
  });

  it('serves the page and its assets without any secret, and never sets a cookie', async () => {
    const page = await httpGet(`${fx.base}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('IOcm test page');
    expect(page.body).not.toContain(fx.token);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(page.headers['set-cookie']).toBeUndefined();
    const asset = await httpGet(`${fx.base}/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['set-cookie']).toBeUndefined();
  });

  it('answers a plain GET of the WebSocket endpoint with 426, not with the app page', async () => {
    const r = await httpGet(`${fx.base}/ws`);
    expect(r.status).toBe(426);
    expect(r.body).toContain('WebSocket endpoint');
  });

  it('answers /healthz only to the Bearer token; a cookie or query token is not a credential', async () => {
    expect((await httpGet(`${fx.base}/healthz`)).status).toBe(401);
    expect((await httpGet(`${fx.base}/healthz`, { authorization: `Bearer ${'0'.repeat(64)}` })).status).toBe(401);
    // The scheme is case-insensitive (RFC 7235); the token is not.
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) expect((await httpGet(`${fx.base}/healthz`, { authorization: `${scheme} ${fx.token}` })).status, scheme).toBe(200);
    expect((await httpGet(`${fx.base}/healthz`, { authorization: `bearer ${fx.token.toUpperCase()}` })).status).toBe(401);
    expect((await httpGet(`${fx.base}/healthz?token=${fx.token}`)).status).toBe(401);
    expect((await httpGet(`${fx.base}/healthz`, { cookie: `iocm_token=${fx.token}` })).status).toBe(401);
    await alive();
  });

  it('never serves files outside the renderer directory', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await httpGet(`${fx.base}${p}`);
      expect(r.body, p).not.toContain('outside the renderer dir');
      expect([400, 404]).toContain(r.status);
    }
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const r = await httpGet(`${fx.base}/`, { host: `evil.example:${fx.port}` });
    expect(r.status).toBe(421);
  });

  it('refuses WebSocket upgrades without the right token or from a foreign origin', async () => {
    const ws = `ws://127.0.0.1:${fx.port}/ws`;
    await expect(openWs(ws, null)).rejects.toMatchObject({ status: 401 });
    await expect(openWs(ws, 'wrong')).rejects.toMatchObject({ status: 401 });
    await expect(openWs(`${ws}?token=${fx.token}`, null)).rejects.toMatchObject({ status: 401 });
    await expect(openWs(ws, null, { cookie: `iocm_token=${fx.token}` })).rejects.toMatchObject({ status: 401 });
    await expect(openWs(ws, fx.token, { origin: 'http://evil.example' })).rejects.toMatchObject({ status: 403 });
    await expect(openWs(ws, fx.token, { origin: 'http://127.0.0.1:1' })).rejects.toMatchObject({ status: 403 });
    // The token alone without the console's protocol is refused too.
    await expect(openWs(ws, fx.token, {}, [`iocm-token.${fx.token}`])).rejects.toMatchObject({ status: 400 });
    const ok = await openWs(ws, fx.token, { origin: fx.base });
    expect(ok.protocol).toBe('iocm.v1');
    ok.close();
  });
});

describe('requests that once ended the server (issue 10 item 1)', () => {
  const attacks: [string, string][] = [
    ['cookie with a bad escape', 'GET / HTTP/1.1\r\nHost: H\r\nCookie: iocm_token=%\r\n\r\n'],
    ['target //', 'GET // HTTP/1.1\r\nHost: H\r\n\r\n'],
    ['target http://[/', 'GET http://[/ HTTP/1.1\r\nHost: H\r\n\r\n'],
    ['target http://a:99999/', 'GET http://a:99999/ HTTP/1.1\r\nHost: H\r\n\r\n'],
    ['target *', 'OPTIONS * HTTP/1.1\r\nHost: H\r\n\r\n'],
    ['upgrade on //', 'GET // HTTP/1.1\r\nHost: H\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: iocm_token=%\r\n\r\n'],
    ['upgrade on http://[/', 'GET http://[/ HTTP/1.1\r\nHost: H\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'],
    ['upgrade with a bad escape in the protocol', 'GET /ws HTTP/1.1\r\nHost: H\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: iocm.v1, iocm-token.%\r\n\r\n'],
    ['upgrade with a wrong key', 'GET /ws HTTP/1.1\r\nHost: H\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Protocol: iocm.v1, iocm-token.TOKEN\r\n\r\n'],
    ['download with junk id', 'GET /download/%zz HTTP/1.1\r\nHost: H\r\n\r\n'],
    ['static path with a bad escape', 'GET /%E0%A4%A HTTP/1.1\r\nHost: H\r\n\r\n'],
    ['garbage request line', '\x00\x01\x02 nonsense\r\n\r\n'],
    ['huge header', `GET / HTTP/1.1\r\nHost: H\r\nX: ${'a'.repeat(100_000)}\r\n\r\n`],
  ];
  for (const [name, text] of attacks) {
    it(`survives: ${name}`, async () => {
      const answer = await raw(fx.port, text.replaceAll('Host: H', `Host: 127.0.0.1:${fx.port}`).replaceAll('TOKEN', fx.token));
      // The public page may be served; nothing else succeeds, and the process stays up.
      if (!name.startsWith('cookie')) expect(answer, name).not.toMatch(/^HTTP\/1\.1 [12]\d\d/);
      expect(answer, name).not.toContain(fx.token);
      await alive();
    });
  }

  it('a page on another local port fetching //, the way the issue reported it, gets a 400 and the server stays up', async () => {
    const r = await raw(fx.port, `GET // HTTP/1.1\r\nHost: 127.0.0.1:${fx.port}\r\nOrigin: http://127.0.0.1:1\r\n\r\n`);
    expect(r).toMatch(/^HTTP\/1\.1 400/);
    await alive();
  });
});
