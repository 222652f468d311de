/**
 * The agent's server: one HTTP(S) port carrying the agent protocol over WebSocket
 * (`/agent`, src/shared/agent-protocol.ts), `GET /metrics` (Prometheus) and `GET /healthz`.
 *
 * Security (docs/agent.md):
 * - Every request and the WebSocket upgrade need `Authorization: Bearer <token>`, compared in
 *   constant time (SHA-256 digests through crypto.timingSafeEqual). `/metrics` also takes the
 *   separate metrics token when one is set (a scrape token that cannot control the host).
 * - Loopback by default; a non-loopback address needs TLS, or `allowInsecureRemote` said out loud.
 * - Limits: frame size (ws maxPayload; larger frames close that client with 1009), a per-client
 *   message rate (token bucket; a flood gets one `rate-limited` error and the close), a bounded
 *   send buffer per client (snapshots are skipped for a slow client; one still behind after
 *   `maxSkippedSnapshots` in a row, or past `maxBufferedBytes`, is dropped), a cap on clients, a hello deadline, heartbeats both ways (a silent client is closed).
 * - Every message is validated; a bad one is answered with an `error` naming what was wrong and
 *   the connection stays up. Nothing a client sends can end the process or touch other clients.
 *
 * Control: one controlling client at a time — the latest console whose hello asks for control
 * takes it (a reconnecting console gets its control back at once); the one before is told and
 * becomes a watcher. Without --loop the controller's control commands are applied to the
 * source and acknowledged; with --loop the agent's own loop (LiveSession) owns the host and the
 * controller sends it overrides and policy changes instead.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HostSource } from '../main/host/source.ts';
import type { LiveSession } from '../main/loop/session.ts';
import { onClientError, plain, refuseUpgrade, targetPath } from '../main/server/http-server.ts';
import {
  AGENT_CLOSE,
  AGENT_PROTOCOL,
  AGENT_WS_PATH,
  parseClientMessage,
  versionError,
  type AgentErrorCode,
  type AgentMessage,
  type ClientMessage,
} from '../shared/agent-protocol.ts';
import type { HostInfo } from '../shared/control.ts';
import type { HostSnapshot } from '../shared/snapshot.ts';
import type { AgentClock, DriverName } from './drivers.ts';
import { AgentMetrics } from './metrics.ts';
import { bearerToken, tokenMatches } from '../main/util/auth.ts';

/** Addresses that count as loopback. */
export const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

/** Limits of the agent's server (defaults in {@link DEFAULT_LIMITS}). */
export interface AgentLimits {
  /** Largest accepted frame, bytes. */
  maxPayloadBytes: number;
  /** Connected clients at most. */
  maxClients: number;
  /** Sustained messages per second per client. */
  ratePerSec: number;
  /** Burst of messages per client. */
  rateBurst: number;
  /** Queued bytes to a client above which snapshots are skipped for it. */
  dropSnapshotsAboveBytes: number;
  /** Queued bytes to a client above which it is disconnected. */
  maxBufferedBytes: number;
  /** Snapshots skipped in a row for a client that cannot keep up before it is disconnected. */
  maxSkippedSnapshots: number;
  /** Time a client has to send its hello, ms. */
  helloTimeoutMs: number;
  /** Heartbeat period, ms (a peer silent for 3 periods is dead). */
  heartbeatMs: number;
  /** Period of the --loop relay messages, ms. */
  loopBatchMs: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: AgentLimits = {
  maxPayloadBytes: 64 * 1024,
  maxClients: 16,
  ratePerSec: 50,
  rateBurst: 200,
  dropSnapshotsAboveBytes: 4 * 1024 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxSkippedSnapshots: 100,
  helloTimeoutMs: 10_000,
  heartbeatMs: 5_000,
  loopBatchMs: 250,
};

/** Options of {@link startAgentServer}. */
export interface AgentServerOptions {
  source: HostSource;
  driver: DriverName;
  /** The agent's software version (hello, agent info metric). */
  version: string;
  /** Bearer token for the WebSocket and HTTP. */
  token: string;
  /** A second token accepted on /metrics only (scrapers); absent: the main token only. */
  metricsToken?: string;
  /** Address (default 127.0.0.1) and port (0 = any free one; default 7878). */
  host?: string;
  port?: number;
  /** PEM certificate and key: serve wss:// and https://. */
  tls?: { cert: string; key: string };
  /** Listen on a non-loopback address without TLS (the token travels in clear). */
  allowInsecureRemote?: boolean;
  /** The agent's own loop (--loop) over `source`, or absent. */
  loop?: LiveSession;
  dryRun?: boolean;
  limits?: Partial<AgentLimits>;
  clock: AgentClock;
  log?: (line: string) => void;
}

/** A running agent server. */
export interface AgentServer {
  /** ws:// or wss:// URL of the agent endpoint. */
  url: string;
  host: string;
  port: number;
  metrics: AgentMetrics;
  clients(): number;
  /** Stop listening and close every client (the source is the caller's to close). */
  close(): Promise<void>;
}

/** The bearer token of a request, or null. */
export function bearer(req: IncomingMessage): string | null {
  return bearerToken(req.headers.authorization, 1024);
}

interface Client {
  ws: WebSocket;
  /** Set after a valid hello. */
  hello: boolean;
  name: string;
  tokens: number;
  lastRefill: number;
  lastSeen: number;
  helloTimer: unknown;
  hbSeq: number;
  /** Snapshots skipped in a row (slow reader). */
  skipped: number;
}

/** Start the agent's server; resolves once it listens. Bad options throw (the CLI makes them exit 2). */
export async function startAgentServer(opts: AgentServerOptions): Promise<AgentServer> {
  const lim: AgentLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const host = opts.host ?? '127.0.0.1';
  const clock = opts.clock;
  const log = opts.log ?? (() => {});
  if (!LOOPBACK.includes(host) && !opts.tls && !opts.allowInsecureRemote) {
    throw new Error(`listening on '${host}' (not loopback) needs TLS (--tls-cert and --tls-key): the token would travel in clear. Say --insecure-remote to do it anyway.`);
  }
  if (opts.token.length < 16) throw new Error('the token must be at least 16 characters');
  const { source, loop } = opts;
  let info: HostInfo = source.info();
  const metrics = new AgentMetrics({ version: opts.version, driver: opts.driver, protocol: `${AGENT_PROTOCOL.major}.${AGENT_PROTOCOL.minor}`, host: info.name, loop: !!loop });
  metrics.setInfo(info);
  const clients = new Set<Client>();
  let controller: Client | null = null;
  let closing = false;

  // ---- sending ----
  const sendText = (c: Client, text: string, droppable: boolean): void => {
    const ws = c.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (droppable && ws.bufferedAmount > lim.dropSnapshotsAboveBytes) {
      if (++c.skipped <= lim.maxSkippedSnapshots) return;
    } else if (droppable) c.skipped = 0;
    if (c.skipped > lim.maxSkippedSnapshots || ws.bufferedAmount + text.length > lim.maxBufferedBytes) {
      metrics.onRefused('slow-client');
      log(`client ${c.name}: dropped (could not keep up: ${ws.bufferedAmount} bytes queued)`);
      drop(c);
      ws.terminate();
      return;
    }
    ws.send(text);
  };
  const send = (c: Client, m: AgentMessage, droppable = false): void => sendText(c, JSON.stringify(m), droppable);
  const sendError = (c: Client, code: AgentErrorCode, message: string, id: number | null = null): void => {
    metrics.onRefused(code);
    send(c, { type: 'error', code, message, id });
  };
  const broadcast = (m: AgentMessage, droppable = false): void => {
    if (clients.size === 0) return;
    const text = JSON.stringify(m);
    for (const c of clients) if (c.hello) sendText(c, text, droppable);
  };
  const drop = (c: Client): void => {
    if (!clients.delete(c)) return;
    clock.clearTimeout(c.helloTimer);
    if (controller === c) controller = null;
    metrics.setClients(clients.size);
  };

  // ---- messages ----
  const takeToken = (c: Client): boolean => {
    const now = clock.now();
    c.tokens = Math.min(lim.rateBurst, c.tokens + ((now - c.lastRefill) / 1000) * lim.ratePerSec);
    c.lastRefill = now;
    if (c.tokens < 1) return false;
    c.tokens -= 1;
    return true;
  };

  const onHello = (c: Client, m: Extract<ClientMessage, { type: 'hello' }>): void => {
    const bad = versionError(m.protocol);
    if (bad) {
      sendError(c, 'unsupported-version', bad);
      c.ws.close(AGENT_CLOSE.unsupportedVersion, 'unsupported protocol version');
      drop(c);
      return;
    }
    if (c.hello) return sendError(c, 'bad-message', 'hello was already received on this connection.');
    c.hello = true;
    c.name = m.client.replace(/[^\x20-\x7e]/g, '?');
    clock.clearTimeout(c.helloTimer);
    if ((m.role ?? 'control') === 'control') {
      const prev = controller;
      controller = c;
      if (prev && prev !== c) sendError(prev, 'not-controller', `Control was taken by another console (${c.name}); this connection now only watches.`);
    }
    log(`client ${c.name}: connected (${controller === c ? 'controls' : 'watches'})`);
    send(c, {
      type: 'hello',
      protocol: { ...AGENT_PROTOCOL },
      agent: opts.version,
      driver: opts.driver,
      role: controller === c ? 'control' : 'watch',
      heartbeatMs: lim.heartbeatMs,
      capabilities: source.capabilities(),
      info,
      config: source.config(),
      loop: { running: !!loop, status: loop ? loop.status() : null },
      dryRun: !!opts.dryRun,
    });
  };

  const onControl = async (c: Client, m: Extract<ClientMessage, { type: 'control' }>): Promise<void> => {
    if (loop) return sendError(c, 'loop-owns-host', "The agent runs its own loop (--loop): send overrides ('override', 'setPolicy'), not control actions.", m.id);
    let result;
    try {
      result = await source.apply(m.action);
    } catch (e) {
      result = { ok: false as const, error: `the host failed to apply ${m.action.kind}: ${(e as Error)?.message ?? String(e)}` };
    }
    metrics.onControl(result.ok);
    send(c, { type: 'ack', id: m.id, result });
  };

  const handle = (c: Client, data: unknown, isBinary: boolean): void => {
    // A client closed already (flooding, too slow, no hello): frames it had queued before the close
    // are dropped without a word, so one flood makes one log line, not one per queued frame.
    if (!clients.has(c)) return;
    c.lastSeen = clock.now();
    if (!takeToken(c)) {
      log(`client ${c.name}: flooding (more than ${lim.ratePerSec} messages/s); closed`);
      sendError(c, 'rate-limited', `Too many messages: at most ${lim.ratePerSec} per second (bursts of ${lim.rateBurst}). Closing.`);
      c.ws.close(AGENT_CLOSE.rateLimited, 'rate limited');
      drop(c);
      return;
    }
    if (isBinary) return sendError(c, 'binary', 'Binary frames are not accepted; send JSON text.');
    const text = Array.isArray(data) ? Buffer.concat(data as Buffer[]).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    const p = parseClientMessage(text);
    if (!p.ok) return sendError(c, p.code, p.error, p.id);
    const m = p.value;
    if (m.type === 'hello') return onHello(c, m);
    if (!c.hello) return sendError(c, 'hello-first', "Send 'hello' first (with the protocol version).", 'id' in m ? m.id : null);
    switch (m.type) {
      case 'heartbeat':
        return;
      case 'control':
        if (controller !== c) return sendError(c, 'not-controller', 'Another console controls this host; this connection only watches.', m.id);
        void onControl(c, m).catch((e) => sendError(c, 'internal', `control failed: ${(e as Error)?.message}`, m.id));
        return;
      case 'override': {
        if (!loop) return sendError(c, 'no-loop', 'The agent runs no loop of its own (start it with --loop); the console runs the loop and sends control actions.', m.id);
        if (controller !== c) return sendError(c, 'not-controller', 'Another console controls this host; this connection only watches.', m.id);
        const result = loop.override(m.cmd);
        // The loop's state after the command goes out first, so the console's reply shows it.
        relayLoop(true);
        return send(c, { type: 'overrideAck', id: m.id, result });
      }
      case 'setPolicy': {
        if (!loop) return sendError(c, 'no-loop', 'The agent runs no loop of its own (start it with --loop).', m.id);
        if (controller !== c) return sendError(c, 'not-controller', 'Another console controls this host; this connection only watches.', m.id);
        let errors;
        try {
          errors = loop.setPolicy(m.name, m.config);
        } catch (e) {
          errors = [{ field: 'name', message: (e as Error)?.message ?? String(e) }];
        }
        relayLoop(true);
        return send(c, { type: 'policyAck', id: m.id, errors });
      }
    }
  };

  // ---- HTTP ----
  const unauthorized = (res: ServerResponse, metricsPath = false): void => {
    res.setHeader('WWW-Authenticate', 'Bearer realm="iocm-agent"');
    plain(res, 401, `Unauthorized: send 'Authorization: Bearer <token>' (the agent's --token-file${metricsPath && opts.metricsToken !== undefined ? ' or --metrics-token-file' : ''}).`);
  };
  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = targetPath(req.url);
    if (path === null) return plain(res, 400, 'Bad request target.');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'Method not allowed.');
    }
    const t = bearer(req);
    if (path === '/metrics') {
      if (!(tokenMatches(t, opts.token) || (opts.metricsToken !== undefined && tokenMatches(t, opts.metricsToken)))) return unauthorized(res, true);
      metrics.setClients(clients.size);
      metrics.text().then(
        ({ contentType, body }) => {
          res.statusCode = 200;
          res.setHeader('Content-Type', contentType);
          res.setHeader('Cache-Control', 'no-store');
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (e) => plain(res, 500, `metrics failed: ${(e as Error)?.message}`),
      );
      return;
    }
    if (!tokenMatches(t, opts.token)) return unauthorized(res);
    if (path === '/healthz') return plain(res, 200, 'ok');
    return plain(res, 404, `Not found. The agent serves ${AGENT_WS_PATH} (WebSocket), /metrics and /healthz.`);
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }) : createHttpServer();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    try {
      handleRequest(req, res);
    } catch (e) {
      if (!res.headersSent) plain(res, 500, `Internal error: ${(e as Error)?.message ?? String(e)}`);
      else res.destroy();
    }
  });
  server.on('clientError', onClientError);
  server.on('tlsClientError', () => {});
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  // ---- WebSocket ----
  const wss = new WebSocketServer({ noServer: true, maxPayload: lim.maxPayloadBytes });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refuse = (status: number, text: string): void => refuseUpgrade(socket, status, text);
    try {
      if (closing) return refuse(503, 'Service Unavailable');
      if (targetPath(req.url) !== AGENT_WS_PATH) return refuse(404, 'Not Found');
      if (!tokenMatches(bearer(req), opts.token)) {
        metrics.onRefused('unauthorized');
        return refuse(401, 'Unauthorized');
      }
      if (clients.size >= lim.maxClients) {
        metrics.onRefused('max-clients');
        return refuse(503, 'Service Unavailable');
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch {
      socket.destroy();
    }
  });

  wss.on('connection', (ws: WebSocket) => {
    const now = clock.now();
    const c: Client = { ws, hello: false, name: '(no hello yet)', tokens: lim.rateBurst, lastRefill: now, lastSeen: now, helloTimer: null, hbSeq: 0, skipped: 0 };
    clients.add(c);
    metrics.setClients(clients.size);
    c.helloTimer = clock.setTimeout(() => {
      if (c.hello || !clients.has(c)) return;
      sendError(c, 'hello-first', `No hello within ${lim.helloTimeoutMs} ms. Closing.`);
      ws.close(AGENT_CLOSE.timeout, 'no hello');
      drop(c);
    }, lim.helloTimeoutMs);
    ws.on('message', (data, isBinary) => {
      try {
        handle(c, data, isBinary);
      } catch (e) {
        sendError(c, 'internal', `The agent could not handle that message: ${(e as Error)?.message ?? String(e)}`);
      }
    });
    ws.on('close', () => drop(c));
    ws.on('error', (e) => {
      // ws reports an oversize frame here and closes with 1009; the client is gone either way.
      if (/max payload/i.test(String((e as Error)?.message))) metrics.onRefused('too-large');
      drop(c);
    });
  });

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 7878, host, () => {
      server.off('error', rej);
      res();
    });
  });
  server.on('error', (e) => log(`server error: ${(e as Error).message}`));

  // ---- the host ----
  // Subscribed and timed only once the port is ours: when listen fails (a port in use) nothing
  // has been started that would keep the process alive after the caller's one-line error. No
  // client can connect before these lines run (the listen callback and this continuation come
  // before any connection event).
  const unsubSnap = source.onSnapshot((s: HostSnapshot) => {
    metrics.onSnapshot(s);
    broadcast({ type: 'snapshot', snapshot: s, config: source.config() }, true);
  });
  const unsubInfo = source.onInfo?.((i) => {
    info = i;
    metrics.setInfo(i);
    broadcast({ type: 'info', info: i, config: source.config() });
  });
  /** Relay the loop's new events and status (`always`: the status even with no new event). */
  function relayLoop(always: boolean): void {
    if (!loop) return;
    const b = loop.takeBatch();
    if (!b && !always) return;
    if (b) metrics.onEvents(b.events);
    broadcast({ type: 'loop', status: b?.status ?? loop.status(), events: b?.events ?? [] });
  }
  const loopTimer = loop ? clock.setInterval(() => relayLoop(false), lim.loopBatchMs) : null;
  // What the host said while the port was being opened was not heard: read it afresh.
  info = source.info();
  metrics.setInfo(info);
  const hbTimer = clock.setInterval(() => {
    const now = clock.now();
    for (const c of [...clients]) {
      if (!c.hello) continue;
      if (now - c.lastSeen > 3 * lim.heartbeatMs) {
        log(`client ${c.name}: silent for ${Math.round((now - c.lastSeen) / 1000)} s; closed`);
        metrics.onRefused('dead');
        c.ws.close(AGENT_CLOSE.timeout, 'heartbeat timeout');
        c.ws.terminate();
        drop(c);
        continue;
      }
      send(c, { type: 'heartbeat', seq: c.hbSeq++ });
    }
  }, lim.heartbeatMs);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | null = null;
  return {
    url: `${opts.tls ? 'wss' : 'ws'}://${urlHost}:${port}${AGENT_WS_PATH}`,
    host,
    port,
    metrics,
    clients: () => clients.size,
    close: () => {
      closed ??= (async () => {
        closing = true;
        clock.clearInterval(hbTimer);
        if (loopTimer !== null) clock.clearInterval(loopTimer);
        unsubSnap();
        unsubInfo?.();
        for (const c of clients) c.ws.close(AGENT_CLOSE.shutdown, 'agent shutting down');
        await new Promise<void>((r) => wss.close(() => r()));
        for (const c of [...clients]) {
          c.ws.terminate();
          drop(c);
        }
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}
