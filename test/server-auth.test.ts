/**
 * Headless server: token authorization of HTTP requests and WebSocket upgrades, cookie
 * authorization of the page's assets, Host-header and Origin checks, static file confinement.
 * Real services (host model + loop + SQLite) behind a real server on port 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, httpGet, openWs, type Fixture } from './server-helpers.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

describe('headless server authorization', () => {
  it('prints a loopback URL with a long random token', () => {
    expect(fx.run.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    expect(fx.port).toBeGreaterThan(0);
  });

  it('answers 401 without a token and with a wrong one', async () => {
    const none = await httpGet(`${fx.base}/`);
    expect(none.status).toBe(401);
    expect(none.body).not.toContain('IOcm test page');
    const wrong = await httpGet(`${fx.base}/?token=${'0'.repeat(64)}`);
    expect(wrong.status).toBe(401);
    const asset = await httpGet(`${fx.base}/assets/app.js`);
    expect(asset.status).toBe(401);
  });

  it('serves the page with the token, with a CSP, and authorizes assets by the cookie it sets', async () => {
    const page = await httpGet(`${fx.base}/?token=${fx.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('IOcm test page');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(cookie).toBe(`iocm_token=${fx.token}`);
    expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly/);
    const asset = await httpGet(`${fx.base}/assets/app.js`, { cookie });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.body).toContain('iocm test asset');
    // A wrong token in the URL wins over a valid cookie.
    expect((await httpGet(`${fx.base}/assets/app.js?token=nope`, { cookie })).status).toBe(401);
    // A forged cookie is refused.
    expect((await httpGet(`${fx.base}/assets/app.js`, { cookie: 'iocm_token=abc' })).status).toBe(401);
  });

  it('never serves files outside the renderer directory', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const r = await httpGet(`${fx.base}${p}?token=${fx.token}`);
      expect(r.body, p).not.toContain('outside the renderer dir');
      expect([400, 404]).toContain(r.status);
    }
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const r = await httpGet(`${fx.base}/?token=${fx.token}`, { host: `evil.example:${fx.port}` });
    expect(r.status).toBe(421);
  });

  it('refuses WebSocket upgrades without the right token or from a foreign origin', async () => {
    const ws = `ws://127.0.0.1:${fx.port}/ws`;
    await expect(openWs(ws)).rejects.toMatchObject({ status: 401 });
    await expect(openWs(`${ws}?token=wrong`)).rejects.toMatchObject({ status: 401 });
    await expect(openWs(`${ws}?token=${fx.token}`, { origin: 'http://evil.example' })).rejects.toMatchObject({ status: 403 });
    const ok = await openWs(`${ws}?token=${fx.token}`, { origin: fx.base });
    ok.close();
    const byCookie = await openWs(ws, { cookie: `iocm_token=${fx.token}` });
    byCookie.close();
  });
});
