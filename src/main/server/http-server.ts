/**
 * The headless console server: serves the built renderer (out/renderer) and IocmApi
 * over WebSocket (/ws) on a loopback address, behind a random token.
 *
 * Authorization (docs/security.md):
 * - The token never travels in a cookie (browsers send cookies to every port of a host, so
 *   any other local server would receive it) nor in a URL the server sees: the printed URL
 *   carries it in the fragment (`/#token=…`), which the browser keeps to itself.
 * - Static files (the built renderer) are public and carry no secret; they need no token.
 * - The WebSocket upgrade must offer the subprotocols `iocm.v1` and `iocm-token.<token>`
 *   (browsers can set Sec-WebSocket-Protocol; a cross-site page cannot read the token).
 *   HTTP endpoints that need it (/healthz) take `Authorization: Bearer <token>`.
 *   Both go through one check, {@link ConsoleServer.token} compared in constant time.
 * - Exports are fetched with a single-use, unguessable download id handed to an
 *   authorized WebSocket client (GET /download/<id>), streamed from disk.
 * - The Host header must name the loopback address and port (DNS rebinding), and a
 *   browser's WebSocket Origin must be the server's own origin.
 * - No request can end the process: request targets are parsed without throwing, any
 *   handler error becomes a 400/500 for that request only.
 *
 * WebSocket messages are validated with the shared zod schemas (backend.ts `dispatch`);
 * a bad message gets an error reply naming what was wrong and the connection stays up.
 * Each client has a bounded send buffer (telemetry is dropped first; a client that still
 * falls behind is disconnected), a cap on requests in flight and on reply size.
 * Events are coalesced by one EventBatcher and broadcast to every client.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_NAMES, METHOD_NAMES, err, type EventName, type Result, type Unsubscribe } from '../../shared/api.ts';
import { WIRE_PROTOCOL, WS_SUBPROTOCOL, WS_TOKEN_PREFIX, decodeWire, encodeWire } from '../../shared/wire.ts';
import { dispatch, type ApiBackend } from './backend.ts';
import { EventBatcher } from './batcher.ts';
import { contentSecurityPolicy } from './csp.ts';
import { bearerToken, tokenMatches } from '../util/auth.ts';

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
  /** Largest accepted WebSocket message, bytes (default 1 MiB: requests are small). */
  maxMessageBytes?: number;
  /** Largest reply, bytes (default 16 MiB); a bigger answer is refused with a message saying so. */
  maxReplyBytes?: number;
  /** Bytes queued to one client beyond which telemetry is skipped for it (default 8 MiB). */
  dropTelemetryAboveBytes?: number;
  /** Bytes queued to one client beyond which it is disconnected (default 64 MiB). */
  maxClientBufferBytes?: number;
  /** Requests one client may have in flight (default 16). */
  maxInFlight?: number;
  /** Connected WebSocket clients at most (default 32). */
  maxClients?: number;
  /**
   * A replay is the console's, shared by every page: when the last page has been gone this long
   * (ms, default 60 000: a reload comes back well within it), it is closed, so the next admin
   * does not land in someone's forgotten replay. 0 keeps it open.
   */
  replayIdleCloseMs?: number;
}

/** A running server. */
export interface ConsoleServer {
  /** The URL to open, with the token in the fragment: http://127.0.0.1:PORT/#token=… */
  url: string;
  host: string;
  port: number;
  token: string;
  /** Number of connected WebSocket clients. */
  clients(): number;
  /** Close every connection and stop listening (does not shut the services down). */
  close(): Promise<void>;
}

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

/** The token a request presents, from its one allowed place per transport (never a cookie or the URL). */
export function presentedToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') return bearerToken(auth, 512);
  const protocols = req.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const p of protocols.split(',')) {
      const t = p.trim();
      if (t.startsWith(WS_TOKEN_PREFIX)) return t.slice(WS_TOKEN_PREFIX.length);
    }
  }
  return null;
}

/** The path of an origin-form request target ("/a/b?c"), or null for anything else ("//", absolute-form, "*", junk). */
export function targetPath(raw: string | undefined): string | null {
  const s = raw ?? '/';
  if (s.length > 8192 || s[0] !== '/' || s[1] === '/') return null;
  const cut = s.search(/[?#]/);
  return cut < 0 ? s : s.slice(0, cut);
}

function securityHeaders(res: ServerResponse, wsOrigin: string): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy([wsOrigin]));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** A short plain-text answer (no caching). */
export function plain(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text + '\n');
}

/** Refuse a WebSocket upgrade with an HTTP status and close the socket. */
export function refuseUpgrade(socket: Socket, status: number, text: string): void {
  socket.on('error', () => {});
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  socket.destroy();
}

/** Answer a malformed HTTP request with 400 (or drop the socket) instead of letting it throw. */
export function onClientError(_e: Error, socket: Socket): void {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  else socket.destroy();
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

/** A header-safe attachment file name (ASCII letters, digits, `._-`). */
export function attachmentName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 200);
  return clean || 'export';
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
  const maxReply = opts.maxReplyBytes ?? 16 * 1024 * 1024;
  const dropTelemetryAbove = opts.dropTelemetryAboveBytes ?? 8 * 1024 * 1024;
  const maxBuffered = opts.maxClientBufferBytes ?? 64 * 1024 * 1024;
  const maxInFlight = opts.maxInFlight ?? 16;
  const maxClients = opts.maxClients ?? 32;
  let port = 0;
  const urlHost = host === '::1' ? '[::1]' : host;
  const allowedHosts = (): string[] => [`${urlHost}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const ownOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`);
  /** The one token check behind both transports. */
  const authorized = (req: IncomingMessage): boolean => {
    const t = presentedToken(req);
    return tokenMatches(t, token);
  };

  const serveDownload = (req: IncomingMessage, res: ServerResponse, id: string): void => {
    const file = /^[0-9a-f]{32}$/.test(id) && backend.claimExport ? backend.claimExport(id) : null;
    if (!file) return plain(res, 404, 'No such download: export ids are single-use and expire after a few minutes. Export again.');
    let st;
    try {
      st = statSync(file.path);
    } catch {
      file.release();
      return plain(res, 410, 'The exported file is gone. Export again.');
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', file.mimeType);
    res.setHeader('Content-Length', st.size);
    res.setHeader('Content-Disposition', `attachment; filename="${attachmentName(file.fileName)}"`);
    res.setHeader('Cache-Control', 'no-store');
    if (req.method === 'HEAD') {
      file.release();
      return void res.end();
    }
    const stream = createReadStream(file.path);
    const done = (): void => file.release();
    stream.on('error', () => res.destroy());
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  };

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const hostHeader = req.headers.host ?? '';
    if (!allowedHosts().includes(hostHeader)) return plain(res, 421, 'Misdirected request: unknown Host header.');
    const pathname = targetPath(req.url);
    if (pathname === null) return plain(res, 400, 'Bad request target.');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'Method not allowed.');
    }
    securityHeaders(res, `ws://${hostHeader}`);
    if (pathname === '/healthz') {
      if (!authorized(req)) return plain(res, 401, "Unauthorized: send 'Authorization: Bearer <token>' (the token printed by 'iocm serve').");
      return plain(res, 200, 'ok');
    }
    if (pathname === '/ws') {
      // the WebSocket endpoint without an upgrade: say so (it is no page of the app)
      res.setHeader('Upgrade', 'websocket');
      return plain(res, 426, 'Upgrade required: /ws is the WebSocket endpoint of the console.');
    }
    if (pathname.startsWith('/download/')) return serveDownload(req, res, pathname.slice('/download/'.length));
    let file = resolveStatic(root, pathname);
    if (!file) return plain(res, 404, 'Not found.');
    let st = existsSync(file) ? statSync(file) : null;
    if ((!st || st.isDirectory()) && !extname(pathname)) {
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
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const server = createServer((req, res) => {
    try {
      handleRequest(req, res);
    } catch (e) {
      // One bad request never ends the process.
      if (!res.headersSent) plain(res, 500, `Internal error: ${(e as Error)?.message ?? String(e)}`);
      else res.destroy();
    }
  });
  server.on('clientError', onClientError);
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes ?? 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
  const clients = new Set<WebSocket>();
  const inFlight = new WeakMap<WebSocket, number>();

  const handleUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    const refuse = (status: number, text: string): void => refuseUpgrade(socket, status, text);
    const hostHeader = req.headers.host ?? '';
    if (!allowedHosts().includes(hostHeader)) return refuse(421, 'Misdirected Request');
    if (targetPath(req.url) !== '/ws') return refuse(404, 'Not Found');
    const origin = req.headers.origin;
    if (origin !== undefined && !ownOrigins().includes(origin)) return refuse(403, 'Forbidden');
    if (!authorized(req)) return refuse(401, 'Unauthorized');
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(WS_SUBPROTOCOL)) return refuse(400, 'Bad Request');
    if (clients.size >= maxClients) return refuse(503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    try {
      handleUpgrade(req, socket, head);
    } catch {
      socket.destroy();
    }
  });

  /** Queue one frame to a client, within its budget; a client that cannot keep up is disconnected. */
  const sendText = (ws: WebSocket, text: string): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount + text.length > maxBuffered) {
      clients.delete(ws);
      ws.terminate();
      return;
    }
    ws.send(text);
  };

  const batcher = new EventBatcher((event, payload) => {
    if (clients.size === 0) return;
    const text = encodeWire({ event, payload });
    for (const ws of clients) {
      // A client that cannot keep up misses live telemetry first.
      if (event === 'telemetry' && ws.bufferedAmount > dropTelemetryAbove) continue;
      sendText(ws, text);
    }
  }, opts.flushMs);
  const subs: Unsubscribe[] = EVENT_NAMES.map((name: EventName) => backend.subscribe(name, (p) => batcher.push(name, p as never)));

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    inFlight.set(ws, 0);
    sendText(ws, encodeWire({ hello: { protocol: WIRE_PROTOCOL, methods: METHOD_NAMES, events: EVENT_NAMES } }));
    ws.on('message', (data, isBinary) => {
      void handleMessage(ws, data, isBinary).catch(() => {});
    });
    if (idleTimer) {
      clearTimeout(idleTimer);
      idleTimer = null;
    }
    ws.on('close', () => gone(ws));
    ws.on('error', () => gone(ws));
  });

  // The last page gone: close a replay it left open once no page came back for a while.
  const replayIdleMs = opts.replayIdleCloseMs ?? 60_000;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;
  const gone = (ws: WebSocket): void => {
    clients.delete(ws);
    if (clients.size > 0 || replayIdleMs <= 0 || idleTimer || closed) return;
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (clients.size === 0) void backend.call('closeReplay', {}).catch(() => {});
    }, replayIdleMs);
    idleTimer.unref?.();
  };

  async function handleMessage(ws: WebSocket, data: unknown, isBinary: boolean): Promise<void> {
    const reply = (id: number | string | null, result: Result<unknown>): void => {
      let text = encodeWire({ id, result });
      if (text.length > maxReply) {
        const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
        text = encodeWire({
          id,
          result: err('refused', `The answer would be ${mb(text.length)} MB, more than the ${mb(maxReply)} MB a message may carry; ask for a shorter range, fewer series or fewer points.`),
        });
      }
      sendText(ws, text);
    };
    const bad = (id: number | string | null, message: string, field?: string): void => reply(id, err('invalid-argument', message, field));
    if (isBinary) return bad(null, 'Binary messages are not accepted; send JSON text.');
    const text = Array.isArray(data) ? Buffer.concat(data as Buffer[]).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    let msg: unknown;
    try {
      msg = decodeWire(text);
    } catch (e) {
      // Valid JSON with a bad $bytes field: answer under the request's id when it can be read.
      let readable: unknown = null;
      try {
        readable = (JSON.parse(text) as { id?: unknown } | null)?.id;
      } catch {
        // not JSON at all: no id to answer under
      }
      const rid = (typeof readable === 'number' && Number.isFinite(readable)) || (typeof readable === 'string' && readable.length <= 100) ? readable : null;
      return bad(rid, `The message is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return bad(null, 'A request must be a JSON object {"id", "method", "args"}.');
    }
    const m = msg as Record<string, unknown>;
    const id = (typeof m.id === 'number' && Number.isFinite(m.id)) || (typeof m.id === 'string' && m.id.length <= 100) ? (m.id as number | string) : null;
    if (id === null) return bad(null, "A request needs an 'id' (number or string of at most 100 characters).", 'id');
    const extra = Object.keys(m).filter((k) => k !== 'id' && k !== 'method' && k !== 'args');
    if (extra.length) return bad(id, `Unknown field(s) in the request: ${extra.slice(0, 5).map((k) => k.slice(0, 40)).join(', ')}.`, extra[0].slice(0, 100) || '""');
    const busy = inFlight.get(ws) ?? 0;
    if (busy >= maxInFlight) return reply(id, err('refused', `Too many requests in flight (${maxInFlight}); wait for answers before sending more.`));
    inFlight.set(ws, busy + 1);
    let result: Result<unknown>;
    try {
      if (m.method === 'saveFile') {
        result = err('not-available', 'Saving files is done by the browser in headless mode (download).');
      } else {
        result = await dispatch(backend, m.method, m.args);
      }
    } finally {
      inFlight.set(ws, (inFlight.get(ws) ?? 1) - 1);
    }
    reply(id, result);
  }

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', rej);
      res();
    });
  });
  port = (server.address() as AddressInfo).port;
  server.on('error', () => {});

  let closed: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}/#token=${token}`,
    host,
    port,
    token,
    clients: () => clients.size,
    close: () => {
      closed ??= (async () => {
        if (idleTimer) clearTimeout(idleTimer);
        idleTimer = null;
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
