/**
 * Electron security checklist for the console window (see
 * https://www.electronjs.org/docs/latest/tutorial/security):
 * - the renderer is loaded from a privileged custom scheme (iocm://app/…) that serves only
 *   files under out/renderer (no file://, no remote content);
 * - a strict CSP header on every response (plus the meta tag in index.html);
 * - navigation, new windows and <webview> denied; permission requests and checks denied;
 * - {@link isAppFrameUrl} lets the IPC adapter check every message's sender frame.
 */
import { app, net, protocol, session, type WebContents } from 'electron';
import { normalize, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { contentSecurityPolicy } from '../server/csp.ts';

/** The app's URL scheme. */
export const APP_SCHEME = 'iocm';
/** The app's origin; the renderer's entry is `${APP_ORIGIN}/index.html`. */
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/** Must run before `app.whenReady()`: makes iocm:// a standard, secure scheme. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  ]);
}

/** Environment flag that must be set (to 1) before ELECTRON_RENDERER_URL is trusted: `npm run dev` sets it. */
export const DEV_FLAG = 'IOCM_DEV';

/**
 * The renderer dev server URL under `npm run dev`, or null. ELECTRON_RENDERER_URL is trusted
 * only when the app is not packaged, {@link DEV_FLAG}=1 is set explicitly, and the URL is
 * http on a loopback host: a stray variable in an admin's environment can never make the
 * console load (and give the API to) a remote page.
 */
export function trustedDevRendererUrl(env: Record<string, string | undefined>, isPackaged: boolean): string | null {
  const url = env.ELECTRON_RENDERER_URL;
  if (!url || isPackaged || env[DEV_FLAG] !== '1') return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) || u.username || u.password) return null;
  return u.href;
}

/** The dev server origin under `npm run dev` (never in a build run). */
function devOrigin(): string | null {
  const url = trustedDevRendererUrl(process.env, app.isPackaged);
  return url ? new URL(url).origin : null;
}

/** True when `url` belongs to the app's own pages (the only frames allowed to call the API). */
export function isAppFrameUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (`${u.protocol}//${u.host}` === APP_ORIGIN) return true;
  const dev = devOrigin();
  return dev !== null && u.origin === dev;
}

/** Serve out/renderer on iocm://app/ with the CSP header; anything outside it is a 404. */
export function serveRenderer(rendererDir: string): void {
  const root = resolve(rendererDir);
  const csp = contentSecurityPolicy();
  protocol.handle(APP_SCHEME, async (req) => {
    const url = new URL(req.url);
    if (url.host !== 'app') return new Response('not found', { status: 404 });
    const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
    const file = normalize(resolve(root, rel));
    const inside = relative(root, file);
    if (inside.startsWith('..') || inside.includes(`..${sep}`) || resolve(root, inside) !== file) {
      return new Response('not found', { status: 404 });
    }
    const res = await net.fetch(pathToFileURL(file).href).catch(() => null);
    if (!res || !res.ok) return new Response('not found', { status: 404 });
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', csp);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: 200, headers });
  });
}

/** Session-wide hardening: CSP on every response, all permissions denied. */
export function hardenSession(): void {
  const ses = session.defaultSession;
  const csp = contentSecurityPolicy();
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders, 'Content-Security-Policy': [csp] };
    callback({ responseHeaders: headers });
  });
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // No remote content: only the app scheme (and the dev server in `electron-vite dev`) may load.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ok =
      details.url.startsWith(`${APP_ORIGIN}/`) ||
      details.url.startsWith('devtools://') ||
      details.url.startsWith('data:') ||
      details.url.startsWith('blob:') ||
      (devOrigin() !== null && (details.url.startsWith(`${devOrigin()}/`) || details.url.startsWith(devOrigin()!.replace(/^http/, 'ws'))));
    callback({ cancel: !ok });
  });
}

/** Per-webContents hardening: no navigation away, no new windows, no webviews. */
export function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppFrameUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppFrameUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
