/**
 * AgentHostSource: the console's client of a remote agent (src/agent) as a {@link HostSource}
 * (kind 'agent'). It speaks the agent protocol (src/shared/agent-protocol.ts) over one WebSocket
 * (`wss://` verified against `ca` when given), validates every message the agent sends (a bad one
 * becomes an error event, never a crash), and keeps the link up: when it drops, it reconnects
 * with exponential backoff and jitter (from the injected clock and RNG) and reports its state
 * through connection()/onConnection(). apply() sends a control command and resolves with the
 * agent's acknowledgement (or a refusal in words after a timeout or while disconnected).
 *
 * For an agent that runs its own loop (--loop) it also relays that loop: its status and events
 * (onLoop), and operator overrides and policy changes with their acknowledgements.
 *
 * Core layer: no clock or randomness of its own (both injected), no shell.
 */
import WebSocket from 'ws';
import type { ControlAction, ControlResult, HostConfig, HostConnectionState, HostInfo, KnobAction } from '../../shared/control.ts';
import type { ConfigError, HostEvent, LoopStatus, OverrideCommand, OverrideResult, PolicyConfig } from '../../shared/policy.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import { AGENT_CLOSE, AGENT_PROTOCOL, parseAgentMessage, type AgentHello, type AgentMessage, type ClientMessage } from '../../shared/agent-protocol.ts';
import type { HostSource, HostSourceCapabilities } from './source.ts';

/** Time and timers, injected by the shell (tests pass their own). */
export interface LinkClock {
  /** Wall time, ms since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link AgentHostSource.connect}. */
export interface AgentSourceOptions {
  /** ws:// or wss:// URL of the agent (its /agent endpoint; a bare host:port URL gets /agent). */
  url: string;
  token: string;
  /** PEM certificate or CA to verify a wss:// agent against (the system's CAs when absent). */
  ca?: string;
  /** Display name (default: the agent's host name). */
  name?: string;
  /** Ask for control (default) or only watch. */
  role?: 'control' | 'watch';
  /** Who is connecting, for the agent's log. */
  client?: string;
  clock: LinkClock;
  /** Uniform in [0, 1): backoff jitter. */
  random: () => number;
  /** First reconnect delay, ms (default 500); doubles up to maxBackoffMs (default 30 000). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** ± share of the delay drawn at random (default 0.5). */
  jitter?: number;
  /** How long an acknowledgement may take, ms (default 10 000). */
  ackTimeoutMs?: number;
  /** How long the first connection (up to the hello) may take, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** Largest message accepted from the agent, bytes (default 64 MiB). */
  maxMessageBytes?: number;
}

/** The agent loop's relay: its status and the events since the last relay message. */
export interface AgentLoopBatch {
  status: LoopStatus;
  events: HostEvent[];
}

type Pending = { resolve: (v: unknown) => void; timer: unknown; onTimeout: () => unknown };

/** The agent's endpoint URL: `/agent` added when the URL has no path. */
export function agentEndpoint(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`'${url.slice(0, 200)}' is not a URL; expected ws://HOST:PORT or wss://HOST:PORT`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`the agent's address must start with ws:// or wss://, not ${u.protocol}//`);
  if (u.username || u.password) throw new Error("put the token in the token field, not in the agent's address");
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/agent';
  return u.toString();
}

/** Snapshots within which an acknowledged change must show in the host's configuration (1 s at the usual 100 ms). */
export const APPLIED_WITHIN_SNAPSHOTS = 10;

/** Whether two lists of core ids hold the same cores. */
function sameSet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const sb = [...b].sort((x, y) => x - y);
  return [...a].sort((x, y) => x - y).every((core, i) => core === sb[i]);
}

/** A control action in words ("side cores [1, 2]"). */
function describeAction(a: ControlAction): string {
  if (a.kind === 'setSideCores') return `side cores [${a.cores.join(', ')}]`;
  if (a.kind === 'assignQueue') return `queue ${a.queue} to core ${a.core}`;
  return `polling ${a.on ? 'on' : 'off'} for queue ${a.queue}`;
}

/** The console's client of a remote agent; see the file comment. */
export class AgentHostSource implements HostSource {
  readonly kind = 'agent' as const;
  private readonly o: AgentSourceOptions;
  private readonly url: string;
  private ws: WebSocket | null = null;
  private helloV: AgentHello;
  /** The last configuration problem said (see configProblem), so that it is said once. */
  private configBad: string | null = null;
  private infoV: HostInfo;
  private configV: HostConfig;
  private loopStatusV: LoopStatus | null;
  private conn: HostConnectionState;
  private role: 'control' | 'watch';
  private nextId = 1;
  private hbSeq = 0;
  private lastSeen = 0;
  private hbTimer: unknown = null;
  private retryTimer: unknown = null;
  private closed = false;
  private readonly pending = new Map<number, Pending>();
  private readonly snapSubs = new Set<(s: HostSnapshot) => void>();
  private readonly infoSubs = new Set<(i: HostInfo) => void>();
  private readonly connSubs = new Set<(c: HostConnectionState) => void>();
  private readonly errorSubs = new Set<(message: string) => void>();
  private readonly loopSubs = new Set<(b: AgentLoopBatch) => void>();
  /** Acknowledged changes not yet seen in the host's configuration, by what they set (see watchApplied). */
  private readonly unseen = new Map<string, { action: ControlAction; snapsLeft: number }>();

  private constructor(o: AgentSourceOptions, url: string, ws: WebSocket, hello: AgentHello, early: string[]) {
    this.o = o;
    this.url = url;
    this.helloV = hello;
    this.infoV = this.localInfo(hello.info);
    this.configV = hello.config;
    this.loopStatusV = hello.loop.status;
    this.role = hello.role;
    this.conn = { state: 'connected', since: o.clock.now(), attempts: 0, error: null };
    this.attach(ws, early);
  }

  /**
   * Connect and wait for the agent's hello. Rejects with a clear error when the first attempt fails
   * (wrong token, unreachable, certificate, protocol version); later drops reconnect on their own.
   */
  static async connect(o: AgentSourceOptions): Promise<AgentHostSource> {
    const url = agentEndpoint(o.url);
    const { ws, hello, early } = await AgentHostSource.open(o, url);
    return new AgentHostSource(o, url, ws, hello, early);
  }

  /** One connection attempt up to the hello. */
  private static open(o: AgentSourceOptions, url: string): Promise<{ ws: WebSocket; hello: AgentHello; early: string[] }> {
    return new Promise((resolve, reject) => {
      let done = false;
      const ws = new WebSocket(url, {
        headers: { Authorization: `Bearer ${o.token}` },
        maxPayload: o.maxMessageBytes ?? 64 * 1024 * 1024,
        handshakeTimeout: o.connectTimeoutMs ?? 10_000,
        ...(o.ca ? { ca: o.ca } : {}),
      });
      const fail = (message: string): void => {
        if (done) return;
        done = true;
        o.clock.clearTimeout(timer);
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(new Error(message));
      };
      const timer = o.clock.setTimeout(() => fail(`the agent at ${url} did not answer within ${o.connectTimeoutMs ?? 10_000} ms`), o.connectTimeoutMs ?? 10_000);
      ws.on('unexpected-response', (_req, res) => {
        const s = res.statusCode ?? 0;
        fail(s === 401 ? `the agent at ${url} refused the token (401 Unauthorized)` : s === 503 ? `the agent at ${url} is busy (503: too many consoles connected)` : `the agent at ${url} answered HTTP ${s}, not a WebSocket`);
      });
      ws.on('error', (e) => fail(`cannot reach the agent at ${url}: ${describeSocketError(e)}`));
      ws.on('close', (code, reason) => fail(`the agent at ${url} closed the connection (${code}${reason.length ? `: ${reason.toString().slice(0, 200)}` : ''})`));
      ws.on('open', () => {
        const hello: ClientMessage = { type: 'hello', protocol: { ...AGENT_PROTOCOL }, client: o.client ?? 'iocm-console', role: o.role ?? 'control' };
        ws.send(JSON.stringify(hello));
      });
      ws.on('message', (data, isBinary) => {
        if (done) return;
        if (isBinary) return fail('the agent sent a binary frame before its hello');
        const p = parseAgentMessage(rawText(data));
        if (!p.ok) return fail(`the agent sent a bad first message: ${p.error}`);
        const m = p.value;
        if (m.type === 'error') return fail(`the agent refused the connection: ${m.message}`);
        if (m.type !== 'hello') return fail(`the agent sent '${m.type}' before its hello`);
        if (m.protocol.major !== AGENT_PROTOCOL.major) return fail(`the agent speaks protocol ${m.protocol.major}.${m.protocol.minor}; this console speaks ${AGENT_PROTOCOL.major}.${AGENT_PROTOCOL.minor}`);
        const bad = configProblem(m.config, m.info);
        if (bad) return fail(`the agent's hello describes a configuration its host cannot have: ${bad}`);
        done = true;
        o.clock.clearTimeout(timer);
        ws.removeAllListeners();
        // Frames that arrive in the same read as the hello are kept for attach() (nothing is lost).
        const early: string[] = [];
        ws.on('message', (d, bin) => void early.push(bin ? '\u0000binary' : rawText(d)));
        ws.on('error', () => {});
        resolve({ ws, hello: m, early });
      });
    });
  }

  private localInfo(i: HostInfo): HostInfo {
    return { ...i, source: 'agent', name: this.o?.name ?? i.name };
  }

  /** Take `ws` as the link; `ready` runs once it can carry requests, before the `early` frames are handled. */
  private attach(ws: WebSocket, early: string[], ready?: () => void): void {
    ws.removeAllListeners();
    this.ws = ws;
    this.lastSeen = this.o.clock.now();
    const handle = (text: string | null): void => {
      this.lastSeen = this.o.clock.now();
      if (text === null) return this.emitError('the agent sent a binary frame (ignored)');
      const p = parseAgentMessage(text);
      if (!p.ok) return this.emitError(`the agent sent a bad message (ignored): ${p.error}`);
      try {
        this.onMessage(p.value);
      } catch (e) {
        this.emitError(`handling the agent's ${p.value.type} failed: ${(e as Error)?.message ?? String(e)}`);
      }
    };
    ws.on('message', (data, isBinary) => handle(isBinary ? null : rawText(data)));
    ws.on('error', (e) => this.emitError(`link error: ${describeSocketError(e)}`));
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.lost(`the link closed (${code}${reason.length ? `: ${reason.toString().slice(0, 200)}` : ''})`);
    });
    ready?.();
    for (const text of early) handle(text === '\u0000binary' ? null : text);
    this.scheduleHeartbeat();
  }

  private scheduleHeartbeat(): void {
    const hb = this.helloV.heartbeatMs;
    this.o.clock.clearTimeout(this.hbTimer);
    this.hbTimer = this.o.clock.setTimeout(() => {
      const ws = this.ws;
      if (!ws || this.closed) return;
      if (this.o.clock.now() - this.lastSeen > 3 * hb) {
        this.ws = null;
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        this.lost(`the agent was silent for more than ${Math.round((3 * hb) / 1000)} s`);
        return;
      }
      this.sendMsg({ type: 'heartbeat', seq: this.hbSeq++ });
      this.scheduleHeartbeat();
    }, hb);
  }

  private onMessage(m: AgentMessage): void {
    switch (m.type) {
      case 'snapshot': {
        // Said once per problem (a snapshot comes every interval), again when it changes.
        const bad = configProblem(m.config, this.infoV);
        if (bad && bad !== this.configBad) this.emitError(`the agent sent a configuration its host cannot have (kept the last one): ${bad}`);
        this.configBad = bad;
        if (!bad) {
          this.configV = m.config;
          this.checkApplied(m.config);
        }
        for (const cb of [...this.snapSubs]) cb(m.snapshot);
        return;
      }
      case 'info': {
        const bad = configProblem(m.config, m.info);
        if (bad) return this.emitError(`the agent sent a host description with a configuration it cannot have (ignored): ${bad}`);
        this.configV = m.config;
        // Queue ids may mean other queues now: the watches of earlier changes end.
        this.unseen.clear();
        this.infoV = this.localInfo(m.info);
        for (const cb of [...this.infoSubs]) cb(this.infoV);
        return;
      }
      case 'ack':
      case 'overrideAck':
        return this.settle(m.id, m.result);
      case 'policyAck':
        return this.settle(m.id, m.errors);
      case 'loop':
        this.loopStatusV = m.status;
        for (const cb of [...this.loopSubs]) cb({ status: m.status, events: m.events });
        return;
      case 'heartbeat':
        return;
      case 'hello':
        return this.emitError('the agent sent a second hello (ignored)');
      case 'error':
        if (m.code === 'not-controller' && (m.id === null || m.id === undefined)) this.role = 'watch';
        if (typeof m.id === 'number' && this.pending.has(m.id)) return this.settleError(m.id, `${m.message}`);
        return this.emitError(`the agent reports: ${m.message}`);
    }
  }

  private settle(id: number, value: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.o.clock.clearTimeout(p.timer);
    p.resolve(value);
  }

  private settleError(id: number, message: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.o.clock.clearTimeout(p.timer);
    p.resolve(errorAs(p, message));
  }

  private emitError(message: string): void {
    for (const cb of [...this.errorSubs]) cb(message);
  }

  private setConn(c: HostConnectionState): void {
    this.conn = c;
    for (const cb of [...this.connSubs]) cb(c);
  }

  private sendMsg(m: ClientMessage): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(m));
    return true;
  }

  /** The link dropped: fail what waits, and start reconnecting. */
  private lost(why: string): void {
    this.o.clock.clearTimeout(this.hbTimer);
    for (const id of [...this.pending.keys()]) this.settleError(id, `the link to the agent dropped before it answered (${why})`);
    if (this.closed) return;
    this.setConn({ state: 'reconnecting', since: this.o.clock.now(), attempts: 0, error: why });
    this.scheduleRetry();
  }

  /** Delay before reconnect attempt `n` (1-based): exponential, capped, with jitter. */
  backoffMs(n: number): number {
    const base = Math.min(this.o.maxBackoffMs ?? 30_000, (this.o.initialBackoffMs ?? 500) * 2 ** Math.min(n - 1, 30));
    const j = this.o.jitter ?? 0.5;
    return Math.max(0, Math.round(base * (1 - j + 2 * j * this.o.random())));
  }

  private scheduleRetry(): void {
    const attempt = this.conn.attempts + 1;
    this.retryTimer = this.o.clock.setTimeout(() => {
      if (this.closed) return;
      AgentHostSource.open(this.o, this.url).then(
        ({ ws, hello, early }) => {
          if (this.closed) {
            ws.terminate();
            return;
          }
          const before = JSON.stringify(this.helloV.info);
          this.helloV = hello;
          this.configV = hello.config;
          // A restarted agent starts from its own configuration: earlier watches end.
          this.unseen.clear();
          this.loopStatusV = hello.loop.status;
          this.role = hello.role;
          const changed = JSON.stringify(hello.info) !== before;
          if (changed) this.infoV = this.localInfo(hello.info);
          // The link is up once the socket is attached: it is said to be (connected) and then a
          // changed host is announced, both before attach() hands on the frames that came with the
          // hello. Whoever keys on the info (the loop, the recorded session) sees the change before
          // any snapshot of the new host, and a loop that restarts on it reaches the host: its setup
          // (setManager…) goes out on this link instead of being refused as "not connected"
          // (review 8: a spurious error alert when an agent came back as another host).
          this.attach(ws, early, () => {
            this.setConn({ state: 'connected', since: this.o.clock.now(), attempts: 0, error: null });
            if (changed) for (const cb of [...this.infoSubs]) cb(this.infoV);
          });
        },
        (e: Error) => {
          if (this.closed) return;
          this.setConn({ state: 'reconnecting', since: this.conn.since, attempts: attempt, error: e.message });
          this.scheduleRetry();
        },
      );
    }, this.backoffMs(attempt));
  }

  private request<T>(m: ClientMessage & { id: number }, onTimeout: () => T, label: string): Promise<T> {
    return new Promise<T>((resolve) => {
      const p: Pending = {
        resolve: resolve as (v: unknown) => void,
        onTimeout,
        timer: this.o.clock.setTimeout(() => {
          this.pending.delete(m.id);
          resolve(errorAs(p, `the agent did not acknowledge ${label} within ${this.o.ackTimeoutMs ?? 10_000} ms`) as T);
        }, this.o.ackTimeoutMs ?? 10_000),
      };
      this.pending.set(m.id, p);
      if (!this.sendMsg(m)) this.settleError(m.id, `the agent is not connected (${this.conn.error ?? this.conn.state})`);
    });
  }

  // ---- HostSource ----

  info(): HostInfo {
    return this.infoV;
  }

  capabilities(): HostSourceCapabilities {
    // Pacing, seed and scenario belong to the agent's host, not the console.
    return { pacing: false, seed: false, scenario: false, whatIf: this.helloV.capabilities.whatIf };
  }

  config(): HostConfig {
    return this.configV;
  }

  onSnapshot(cb: (s: HostSnapshot) => void): () => void {
    this.snapSubs.add(cb);
    return () => this.snapSubs.delete(cb);
  }

  onInfo(cb: (info: HostInfo) => void): () => void {
    this.infoSubs.add(cb);
    return () => this.infoSubs.delete(cb);
  }

  connection(): HostConnectionState {
    return this.conn;
  }

  onConnection(cb: (c: HostConnectionState) => void): () => void {
    this.connSubs.add(cb);
    return () => this.connSubs.delete(cb);
  }

  /** Subscribe to problems in words (bad messages from the agent, errors it reports). */
  onError(cb: (message: string) => void): () => void {
    this.errorSubs.add(cb);
    return () => this.errorSubs.delete(cb);
  }

  apply(action: ControlAction | KnobAction): Promise<ControlResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'the agent link is closed' });
    const id = this.nextId++;
    return this.request<ControlResult>({ type: 'control', id, action }, () => ({ ok: false, error: '' }), action.kind).then((r) => {
      if (r.ok) this.watchApplied(action);
      return r;
    });
  }

  /**
   * An acknowledged change must show in the host's configuration: an agent that acknowledges a
   * change and never makes it (a broken driver, a host that undid it) would have the loop decide
   * the same change again and again, and the operator see nothing wrong (review 6). One watch per
   * kind: the latest side cores, the latest queue move, the latest polling change — a queue move can
   * move others with it (queues sharing an IOThread or vhost workers), so only the latest of them is
   * sure to show. The same change asked again neither restarts the count nor, once said, says it
   * again; one not seen within APPLIED_WITHIN_SNAPSHOTS is said once.
   */
  private watchApplied(action: ControlAction | KnobAction): void {
    const key = action.kind === 'setSideCores' ? 'side' : action.kind === 'assignQueue' ? 'owner' : action.kind === 'setPolling' ? 'polling' : null;
    if (key === null) return;
    // New side cores re-place every queue: an earlier queue move need not hold.
    if (action.kind === 'setSideCores') this.unseen.delete('owner');
    const same = this.unseen.get(key);
    if (same && JSON.stringify(same.action) === JSON.stringify(action)) return;
    this.unseen.set(key, { action: action as ControlAction, snapsLeft: APPLIED_WITHIN_SNAPSHOTS });
  }

  private checkApplied(c: HostConfig): void {
    for (const [key, w] of this.unseen) {
      const a = w.action;
      const shown =
        a.kind === 'setSideCores'
          ? sameSet(a.cores, c.sideCores)
          : a.kind === 'assignQueue'
            ? c.queueOwner[a.queue] === a.core
            : c.queuePolling[a.queue] === a.on;
      if (shown) {
        this.unseen.delete(key);
        continue;
      }
      if (--w.snapsLeft > 0) continue;
      // Said: kept (never counting down again) so that the same change asked again is not said again.
      w.snapsLeft = Infinity;
      const now =
        a.kind === 'setSideCores' ? `its side cores are still [${c.sideCores.join(', ')}]` : a.kind === 'assignQueue' ? `queue ${a.queue}'s owner is still ${String(c.queueOwner[a.queue] ?? 'none')}` : `queue ${a.queue}'s polling is still ${String(c.queuePolling[a.queue] ?? 'unknown')}`;
      this.emitError(`the agent acknowledged ${describeAction(a)} but ${APPLIED_WITHIN_SNAPSHOTS} snapshots later ${now}: the host did not make the change`);
    }
  }

  // ---- the agent's own loop (--loop) ----

  /** The agent's hello as last received (driver, version, role, dry run). */
  hello(): AgentHello {
    return this.helloV;
  }

  /** This console's role on the agent: 'control' or 'watch'. */
  currentRole(): 'control' | 'watch' {
    return this.role;
  }

  /** True when the agent runs its own loop (--loop). */
  remoteLoop(): boolean {
    return this.helloV.loop.running;
  }

  /** The agent loop's status as last relayed (null without --loop). */
  loopStatus(): LoopStatus | null {
    return this.loopStatusV;
  }

  /** Subscribe to the agent loop's relay (status and events, a few per second). */
  onLoop(cb: (b: AgentLoopBatch) => void): () => void {
    this.loopSubs.add(cb);
    return () => this.loopSubs.delete(cb);
  }

  /** Send an operator override to the agent's loop; resolves with its acknowledgement. */
  override(cmd: OverrideCommand): Promise<OverrideResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'the agent link is closed' });
    return this.request<OverrideResult>({ type: 'override', id: this.nextId++, cmd }, () => ({ ok: false, error: '' }), `the ${cmd.kind} override`);
  }

  /** Switch the agent loop's policy; resolves with per-field errors (empty = accepted). */
  setPolicy(name: string, config: PolicyConfig): Promise<ConfigError[]> {
    if (this.closed) return Promise.resolve([{ field: 'name', message: 'the agent link is closed' }]);
    return this.request<ConfigError[]>({ type: 'setPolicy', id: this.nextId++, name, config }, () => [], 'the policy change');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.o.clock.clearTimeout(this.hbTimer);
    this.o.clock.clearTimeout(this.retryTimer);
    for (const id of [...this.pending.keys()]) this.settleError(id, 'the agent link was closed');
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.close(AGENT_CLOSE.shutdown, 'console closed the link');
      ws.terminate();
    }
    this.setConn({ state: 'closed', since: this.o.clock.now(), attempts: 0, error: null });
  }
}

/** A refusal in the shape the waiting request resolves to. */
function errorAs(p: Pending, message: string): unknown {
  const shape = p.onTimeout();
  if (Array.isArray(shape)) return [{ field: 'agent', message }];
  return { ok: false, error: message };
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as Buffer).toString('utf8');
}

function describeSocketError(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is the agent running?)';
  if (code === 'ENOTFOUND') return 'no such host';
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') return `the agent's certificate is not trusted (${code}); give its certificate or CA`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return "the agent's certificate does not name this address";
  return (e.message || String(code)).slice(0, 300);
}

/**
 * Why an agent's configuration cannot be its host's (null when it can): another core count, a side
 * core that is not one of the host's cores, side cores not ascending, a queue owned by a core that is
 * not a side core. An agent that says so is broken or hostile: the console keeps the last
 * configuration that fit (review 6: side core 4000 on a 2-core host went through silently).
 */
export function configProblem(config: HostConfig, info: HostInfo): string | null {
  if (config.cores !== info.cores) return `config.cores is ${config.cores}, the host has ${info.cores}`;
  let prev = -1;
  for (const c of config.sideCores) {
    if (!(c >= 0 && c < info.cores)) return `config.sideCores has core ${c}, the host's cores are 0..${info.cores - 1}`;
    if (c <= prev) return `config.sideCores is not ascending without repeats (${config.sideCores.slice(0, 8).join(', ')})`;
    prev = c;
  }
  const side = new Set(config.sideCores);
  for (let q = 0; q < config.queueOwner.length; q++) {
    const o = config.queueOwner[q];
    if (o !== null && !side.has(o)) return `config.queueOwner[${q}] is core ${o}, which is not a side core`;
  }
  return null;
}
