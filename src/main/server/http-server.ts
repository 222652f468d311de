/**
 * The headless console server: serves the built renderer (out/renderer) and IocmApi
 * over WebSocket (/ws) on a loopback address, behind a random token.
 *
 * Authorization (every HTTP request and every WebSocket upgrade):
 * - `?token=<token>` in the URL, compared in constant time; a page request that carries it
 *   also gets an HttpOnly, SameSite=Strict cookie `iocm_token`, so the page's own assets
 *   (./assets/*.js, loaded without the query) are authorized by the cookie;
 * - otherwise the cookie; otherwise 401. A wrong token is a 401 even with a valid cookie.
 * - The Host header must name the loopback address and port (DNS rebinding), and a
 *   browser's WebSocket Origin must be the server's own origin.
 *
 * WebSocket messages are validated with the shared zod schemas (backend.ts `dispatch`);
 * a bad message gets an error reply naming what was wrong and the connection stays up.
 * Events are coalesced by one EventBatcher and broadcast to every client.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_NAMES, METHOD_NAMES, err, type EventName, type Result, type Unsubscribe } from '../../shared/api.ts';
import { WIRE_PROTOCOL, decodeWire, encodeWire } from '../../shared/wire.ts';
import { dispatch, type ApiBackend } from './backend.ts';
import { EventBatcher } from './batcher.ts';
import { contentSecurityPolicy } from './csp.ts';

/** Hosts the server may listen on (loopback only). */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'] as const;

/** Options of {@link startConsoleServer}. */
export interface ConsoleServerOptions {
  backend: ApiBackend;
  /** Directory of the built renderer (index.html + assets). */
  rendererDir: string;
  /** Loopback address (default 127.0.0.1). */
  host?: string;
  /** Port; 0 picks a free one (default 0). */
  port?: number;
  /** Token; a random 32-byte hex token when omitted. */
  token?: string;
  /** Event flush period in ms (default: the batcher's). */
  flushMs?: number;
  /** Largest accepted WebSocket message, bytes (default 16 MiB). */
  maxMessageBytes?: number;
}

/** A running server. */
export interface ConsoleServer {
  /** The URL to open, with the token: http://127.0.0.1:PORT/?token=… */
  url: string;
  host: string;
  port: number;
  token: string;
  /** Number of connected WebSocket clients. */
  clients(): number;
  /** Close every connection and stop listening (does not shut the services down). */
  close(): Promise<void>;
}

const COOKIE = 'iocm_token';
const DROP_TELEMETRY_ABOVE_BYTES = 8 * 1024 * 1024;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

type Auth = { ok: true; viaQuery: boolean } | { ok: false; reason: string };

function authorize(req: IncomingMessage, url: URL, token: string): Auth {
  const q = url.searchParams.get('token');
  if (q !== null) return tokensEqual(q, token) ? { ok: true, viaQuery: true } : { ok: false, reason: 'wrong token' };
  const c = cookieToken(req);
  if (c !== null && tokensEqual(c, token)) return { ok: true, viaQuery: false };
  return { ok: false, reason: 'missing token' };
}

function securityHeaders(res: ServerResponse, wsOrigin: string): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy([wsOrigin]));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text + '\n');
}

/** Map a URL path to a file under `root`, or null when it escapes it. */
function resolveStatic(root: string, pathname: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  rel = rel.replace(/^\/+/, '') || 'index.html';
  const file = normalize(resolve(root, rel));
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || inside.includes(`..${sep}`) || resolve(root, inside) !== file) return null;
  return file;
}

/** Start the server; resolves once it listens. */
export async function startConsoleServer(opts: ConsoleServerOptions): Promise<ConsoleServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!(LOOPBACK_HOSTS as readonly string[]).includes(host)) {
    throw new Error(`the console server listens on loopback only (127.0.0.1, localhost or ::1), not '${host}'`);
  }
  const token = opts.token ?? randomBytes(32).toString('hex');
  const root = resolve(opts.rendererDir);
  const { backend } = opts;
  let port = 0;
  const urlHost = host === '::1' ? '[::1]' : host;
  const allowedHosts = (): string[] => [`${urlHost}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const ownOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`);

  const server = createServer((req, res) => {
    const hostHeader = req.headers.host ?? '';
    if (!allowedHosts().includes(hostHeader)) return plain(res, 421, 'Misdirected request: unknown Host header.');
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    const auth = authorize(req, url, token);
    if (!auth.ok) return plain(res, 401, `Unauthorized (${auth.reason}): open the URL printed by 'iocm serve', including ?token=…`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'Method not allowed.');
    }
    securityHeaders(res, `ws://${hostHeader}`);
    if (auth.viaQuery) {
      res.setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    }
    if (url.pathname === '/healthz') return plain(res, 200, 'ok');
    let file = resolveStatic(root, url.pathname);
    if (!file) return plain(res, 404, 'Not found.');
    let st = existsSync(file) ? statSync(file) : null;
    if ((!st || st.isDirectory()) && !extname(url.pathname)) {
      // Client-side routes fall back to the app's page.
      file = join(root, 'index.html');
      st = existsSync(file) ? statSync(file) : null;
    }
    if (!st || !st.isFile()) {
      if (file === join(root, 'index.html')) {
        return plain(res, 503, `The console's pages are not built (${join(root, 'index.html')} is missing). Run: npm run build`);
      }
      return plain(res, 404, 'Not found.');
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', MIME[extname(file).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('Content-Length', st.size);
    res.setHeader('Cache-Control', file.endsWith('index.html') ? 'no-store' : 'private, max-age=3600');
    if (req.method === 'HEAD') return res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes ?? 16 * 1024 * 1024 });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, text: string): void => {
      socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      socket.destroy();
    };
    const hostHeader = req.headers.host ?? '';
    if (!allowedHosts().includes(hostHeader)) return refuse(421, 'Misdirected Request');
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    if (url.pathname !== '/ws') return refuse(404, 'Not Found');
    const auth = authorize(req, url, token);
    if (!auth.ok) return refuse(401, 'Unauthorized');
    const origin = req.headers.origin;
    if (origin !== undefined && !ownOrigins().includes(origin)) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (ws: WebSocket, msg: unknown): void => {
    if (ws.readyState === ws.OPEN) ws.send(encodeWire(msg));
  };

  const batcher = new EventBatcher((event, payload) => {
    if (clients.size === 0) return;
    const text = encodeWire({ event, payload });
    for (const ws of clients) {
      if (ws.readyState !== ws.OPEN) continue;
      // A client that cannot keep up misses live telemetry, never replies, status or notices.
      if (event === 'telemetry' && ws.bufferedAmount > DROP_TELEMETRY_ABOVE_BYTES) continue;
      ws.send(text);
    }
  }, opts.flushMs);
  const subs: Unsubscribe[] = EVENT_NAMES.map((name: EventName) => backend.subscribe(name, (p) => batcher.push(name, p as never)));

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    send(ws, { hello: { protocol: WIRE_PROTOCOL, methods: METHOD_NAMES, events: EVENT_NAMES } });
    ws.on('message', (data, isBinary) => {
      void handleMessage(ws, data, isBinary);
    });
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
  });

  async function handleMessage(ws: WebSocket, data: unknown, isBinary: boolean): Promise<void> {
    const bad = (id: number | string | null, message: string, field?: string): void =>
      send(ws, { id, result: err('invalid-argument', message, field) });
    if (isBinary) return bad(null, 'Binary messages are not accepted; send JSON text.');
    const text = Array.isArray(data) ? Buffer.concat(data as Buffer[]).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    let msg: unknown;
    try {
      msg = decodeWire(text);
    } catch (e) {
      return bad(null, `The message is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return bad(null, 'A request must be a JSON object {"id", "method", "args"}.');
    }
    const m = msg as Record<string, unknown>;
    const id = typeof m.id === 'number' || typeof m.id === 'string' ? m.id : null;
    if (id === null) return bad(null, "A request needs an 'id' (number or string).", 'id');
    const extra = Object.keys(m).filter((k) => k !== 'id' && k !== 'method' && k !== 'args');
    if (extra.length) return bad(id, `Unknown field(s) in the request: ${extra.join(', ')}.`);
    let result: Result<unknown>;
    if (m.method === 'saveFile') {
      result = err('not-available', 'Saving files is done by the browser in headless mode (download).');
    } else {
      result = await dispatch(backend, m.method, m.args);
    }
    send(ws, { id, result });
  }

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', rej);
      res();
    });
  });
  port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    host,
    port,
    token,
    clients: () => clients.size,
    close: () => {
      closed ??= (async () => {
        for (const u of subs) u();
        batcher.close();
        for (const ws of clients) ws.close(1001, 'server shutting down');
        await new Promise<void>((r) => wss.close(() => r()));
        for (const ws of clients) ws.terminate();
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}
