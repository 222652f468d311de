/**
 * Helpers for the agent tests: a real `iocm agent` process (node bin/iocm.mjs agent …) on a free
 * port, a token file, real clocks for the console's client, and small WebSocket utilities.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { ROOT } from './cli-helpers.ts';
import type { LinkClock } from '../src/main/host/agent-source.ts';
import type { AgentClock } from '../src/agent/drivers.ts';
import type { Result } from '../src/shared/api.ts';
import type { Services } from '../src/main/services/index.ts';

/** A temp dir with a token file (mode 0600). */
export function tokenDir(): { dir: string; token: string; tokenFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'iocm-agent-'));
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token + '\n');
  chmodSync(tokenFile, 0o600);
  return { dir, token, tokenFile };
}

/** The value of an API result, or an error with its code and message. */
export function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/**
 * What a test file of console services over real agent processes keeps, all stopped and removed
 * after the file: a token file, a temp dir (`prefix`), the agent processes and the services
 * (`use(s)` hands them over; `use(null)` after a test stopped them itself).
 */
export function agentServicesFixture(prefix: string): { t: ReturnType<typeof tokenDir>; dir: string; procs: AgentProc[]; use<S extends Services | null>(s: S): S } {
  const t = tokenDir();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const procs: AgentProc[] = [];
  let services: Services | null = null;
  afterAll(async () => {
    await services?.shutdown();
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(t.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    t,
    dir,
    procs,
    use: <S extends Services | null>(s: S): S => {
      services = s;
      return s;
    },
  };
}

/** A running agent process. */
export interface AgentProc {
  child: ChildProcess;
  port: number;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A TCP port free on loopback now (an agent restarted on the same address needs a fixed one). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Start `iocm agent` with `args` and wait for its "listening on" line. */
export function startAgentProc(args: string[], timeoutMs = 30_000): Promise<AgentProc> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), 'agent', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (wss?:\/\/[^\s]+:(\d+)\/agent)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[2]), url: m[1], stdout: () => out, stderr: () => err, exited });
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`agent exited (${code}) before listening; stderr: ${err}`));
    });
  });
}

/** The real clock for the console's client (the shell would pass this). */
export const realLinkClock: LinkClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The real clock for an in-process agent. */
export const realAgentClock: AgentClock = {
  ...realLinkClock,
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** A seeded uniform RNG in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A raw WebSocket client that records every message as parsed JSON. */
export interface RawClient {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  send(m: unknown): void;
  /** Wait until `pred` holds for some message (after index `from`). */
  waitFor(pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number, from?: number): Promise<Record<string, unknown>>;
}

/** Open a raw client to an agent with a bearer token (`scheme`: how the client spells 'Bearer'). */
export function rawClient(url: string, token: string, opts: { ca?: string; heartbeats?: boolean; scheme?: string } = {}): Promise<RawClient> {
  const ws = new WebSocket(url, { headers: { Authorization: `${opts.scheme ?? 'Bearer'} ${token}` }, ...(opts.ca ? { ca: opts.ca } : {}) });
  const messages: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as Record<string, unknown>;
    // Answer the agent's heartbeats, as a console does (a silent client is closed).
    if (m.type === 'heartbeat' && opts.heartbeats !== false && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'heartbeat', seq: m.seq }));
    messages.push(m);
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => {});
  const client: RawClient = {
    ws,
    messages,
    closed,
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    waitFor: (pred, timeoutMs = 10_000, from = 0) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          for (let i = from; i < messages.length; i++) {
            if (pred(messages[i])) {
              resolve(messages[i]);
              return true;
            }
          }
          return false;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching message in ${timeoutMs} ms; last: ${JSON.stringify(messages.slice(-3)).slice(0, 500)}`));
        }, timeoutMs);
        const w = (): void => {
          if (check()) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(w), 1);
          }
        };
        waiters.push(w);
        void closed.then(() => w());
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** A client hello of this build's protocol. */
export const HELLO = { type: 'hello', protocol: { major: 1, minor: 0 }, client: 'test' };

/** The hello a fake model agent sends (role control, no loop, no capabilities), with `info` and `config` and any field overridden. */
export function agentHello(info: unknown, config: unknown, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'hello',
    protocol: { major: 1, minor: 0 },
    agent: 'fake',
    driver: 'model',
    role: 'control',
    heartbeatMs: 60_000,
    capabilities: { pacing: false, seed: false, scenario: false, whatIf: false },
    info,
    config,
    loop: { running: false, status: null },
    dryRun: false,
    ...over,
  };
}

/** A clock whose time moves only when told: timers fire in `advance`. */
export class ManualClock implements AgentClock {
  t = 1_000_000;
  private next = 1;
  private readonly timers = new Map<number, { at: number; every: number | null; fn: () => void }>();
  now = (): number => this.t;
  setInterval = (fn: () => void, ms: number): unknown => this.add(fn, ms, ms);
  setTimeout = (fn: () => void, ms: number): unknown => this.add(fn, ms, null);
  clearInterval = (h: unknown): void => void this.timers.delete(h as number);
  clearTimeout = (h: unknown): void => void this.timers.delete(h as number);
  private add(fn: () => void, ms: number, every: number | null): number {
    const id = this.next++;
    this.timers.set(id, { at: this.t + Math.max(1, ms), every: every === null ? null : Math.max(1, every), fn });
    return id;
  }
  /** Move time forward by `ms` in steps of `step`, firing timers that fall due. */
  advance(ms: number, step = 5): void {
    const end = this.t + ms;
    while (this.t < end) {
      this.t = Math.min(end, this.t + step);
      for (const [id, tm] of [...this.timers]) {
        if (tm.at > this.t) continue;
        if (tm.every === null) this.timers.delete(id);
        else tm.at += tm.every;
        tm.fn();
      }
    }
  }
}
