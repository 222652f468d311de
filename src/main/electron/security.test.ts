/**
 * Shell security rules that do not need a running Electron (stand-ins for app/protocol/net):
 * which frame URLs count as the app's, and that the iocm:// handler serves only files under
 * the renderer directory, with the CSP header.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

let handler: ((req: Request) => Promise<Response>) | null = null;
vi.mock('electron', () => ({
  app: { isPackaged: true },
  protocol: { handle: (_s: string, fn: (req: Request) => Promise<Response>) => (handler = fn), registerSchemesAsPrivileged: () => {} },
  // net.fetch of file:// URLs, as Electron does it.
  net: {
    fetch: async (url: string) => {
      try {
        return new Response(readFileSync(fileURLToPath(url)), { status: 200, headers: { 'content-type': 'text/plain' } });
      } catch {
        return new Response('', { status: 404 });
      }
    },
  },
  session: {},
}));
const { isAppFrameUrl, serveRenderer, trustedDevRendererUrl, APP_ORIGIN } = await import('./security.ts');

const dir = mkdtempSync(join(tmpdir(), 'iocm-sec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shell security', () => {
  it('accepts only the app origin as a frame URL', () => {
    expect(isAppFrameUrl(`${APP_ORIGIN}/index.html`)).toBe(true);
    expect(isAppFrameUrl(`${APP_ORIGIN}/index.html#/sessions`)).toBe(true);
    for (const u of ['iocm://evil/index.html', 'file:///index.html', 'https://app/', 'http://127.0.0.1:5173/', '', null, undefined, 'not a url']) {
      expect(isAppFrameUrl(u as string), String(u)).toBe(false);
    }
  });

  it('serves files under the renderer dir only, with the CSP header', async () => {
    const renderer = join(dir, 'renderer');
    mkdirSync(join(renderer, 'assets'), { recursive: true });
    writeFileSync(join(renderer, 'index.html'), 'the page');
    writeFileSync(join(renderer, 'assets', 'a.js'), 'the script');
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    serveRenderer(renderer);
    const get = (u: string) => handler!(new Request(u));
    const page = await get(`${APP_ORIGIN}/index.html`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('the page');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await (await get(`${APP_ORIGIN}/`)).text()).toBe('the page');
    expect(await (await get(`${APP_ORIGIN}/assets/a.js`)).text()).toBe('the script');
    for (const u of [`${APP_ORIGIN}/../secret.txt`, `${APP_ORIGIN}/assets/..%2f..%2fsecret.txt`, `${APP_ORIGIN}/%2e%2e/secret.txt`, 'iocm://other/index.html', `${APP_ORIGIN}/missing.js`]) {
      const r = await get(u);
      expect(r.status, u).toBe(404);
      expect(await r.text()).not.toBe('secret');
    }
  });

  it('trusts ELECTRON_RENDERER_URL only unpackaged, with IOCM_DEV=1, on a loopback http URL (issue 10 item 13)', () => {
    const dev = { ELECTRON_RENDERER_URL: 'http://localhost:5173/', IOCM_DEV: '1' };
    expect(trustedDevRendererUrl(dev, false)).toBe('http://localhost:5173/');
    expect(trustedDevRendererUrl({ ...dev, ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173/x' }, false)).toBe('http://127.0.0.1:5173/x');
    // Unpackaged alone is not enough any more: the flag must be explicit.
    expect(trustedDevRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173/' }, false)).toBeNull();
    expect(trustedDevRendererUrl({ ...dev, IOCM_DEV: 'yes' }, false)).toBeNull();
    expect(trustedDevRendererUrl(dev, true)).toBeNull();
    for (const url of ['https://evil.example/', 'http://evil.example:5173/', 'http://localhost.evil.example/', 'http://user:pw@localhost:5173/', 'file:///tmp/x.html', 'javascript:alert(1)', 'not a url']) {
      expect(trustedDevRendererUrl({ ...dev, ELECTRON_RENDERER_URL: url }, false), url).toBeNull();
    }
    // With the app packaged (this test's stand-in), no dev origin is an app frame.
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173/';
    process.env.IOCM_DEV = '1';
    try {
      expect(isAppFrameUrl('http://localhost:5173/')).toBe(false);
    } finally {
      delete process.env.ELECTRON_RENDERER_URL;
      delete process.env.IOCM_DEV;
    }
  });
});
