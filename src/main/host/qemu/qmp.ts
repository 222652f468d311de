/**
 * A small QMP client over a unix socket: reads the greeting, negotiates with `qmp_capabilities`,
 * then runs commands one JSON line each with an `id`, matching replies by id. Events are counted
 * and otherwise ignored. Bounded: a line longer than `maxLineBytes` or more than `maxPending`
 * commands in flight is an error; every command has a timeout. A closed or vanished socket fails
 * the commands in flight and every later one (the client is then dead: the owner drops that VM).
 * Timers come from the injected clock (core layer).
 */
import { createConnection, type Socket } from 'node:net';

/** Timers the client needs (injected; the shell passes the real ones). */
export interface QmpTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

/** Options of {@link QmpClient.connect}. */
export interface QmpOptions {
  timers: QmpTimers;
  /** Per-command timeout (default 5000 ms). */
  timeoutMs?: number;
  /** Longest reply line accepted (default 4 MiB). */
  maxLineBytes?: number;
  /** Most commands in flight (default 64). */
  maxPending?: number;
}

/** An error QEMU answered with (`{"error": {"class", "desc"}}`). */
export class QmpError extends Error {
  constructor(
    readonly errorClass: string,
    desc: string,
    readonly command: string,
  ) {
    super(`${command}: ${errorClass}: ${desc}`);
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: unknown;
}

/** A connected, negotiated QMP session. */
export class QmpClient {
  private readonly sock: Socket;
  private readonly opts: Required<QmpOptions>;
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private deadError: Error | null = null;
  private readonly closeSubs: ((e: Error) => void)[] = [];
  /** The greeting's QEMU version, e.g. "7.2.22". */
  version = '';
  /** Asynchronous events seen (and ignored). */
  events = 0;
  private greeting: ((ok: Error | null) => void) | null = null;

  private constructor(
    readonly path: string,
    sock: Socket,
    opts: QmpOptions,
  ) {
    this.sock = sock;
    this.opts = { timeoutMs: 5000, maxLineBytes: 4 << 20, maxPending: 64, ...opts };
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', (e) => this.die(new Error(`QMP ${path}: ${e.message}`)));
    sock.on('close', () => this.die(new Error(`QMP ${path}: the socket closed (QEMU exited?)`)));
  }

  /** Connects to `path`, reads the greeting and negotiates capabilities. */
  static async connect(path: string, opts: QmpOptions): Promise<QmpClient> {
    const sock = createConnection({ path });
    const c = new QmpClient(path, sock, opts);
    const timeoutMs = opts.timeoutMs ?? 5000;
    await new Promise<void>((resolve, reject) => {
      const timer = opts.timers.setTimeout(() => {
        c.greeting = null;
        const e = new Error(`QMP ${path}: no greeting within ${timeoutMs} ms`);
        c.die(e);
        reject(e);
      }, timeoutMs);
      c.greeting = (err) => {
        opts.timers.clearTimeout(timer);
        c.greeting = null;
        if (err) reject(err);
        else resolve();
      };
    });
    await c.execute('qmp_capabilities');
    return c;
  }

  /** True once the socket closed or failed. */
  get dead(): boolean {
    return this.deadError !== null;
  }

  /** Called once when the session dies (socket closed, error, protocol violation). */
  onClose(cb: (e: Error) => void): void {
    if (this.deadError) cb(this.deadError);
    else this.closeSubs.push(cb);
  }

  /** Runs one command; resolves with its `return` value, rejects with a {@link QmpError} or a transport error. */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.deadError) return Promise.reject(this.deadError);
    if (this.pending.size >= this.opts.maxPending) return Promise.reject(new Error(`QMP ${this.path}: more than ${this.opts.maxPending} commands in flight`));
    const id = `iocm-${this.nextId++}`;
    const msg: Record<string, unknown> = { execute: command, id };
    if (args) msg.arguments = args;
    return new Promise((resolve, reject) => {
      const timer = this.opts.timers.setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP ${this.path}: ${command} got no reply within ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
      this.sock.write(JSON.stringify(msg) + '\n');
    });
  }

  /** Closes the socket; commands in flight fail. */
  close(): void {
    this.die(new Error(`QMP ${this.path}: closed`));
  }

  private onData(d: string): void {
    this.buf += d;
    for (;;) {
      const nl = this.buf.indexOf('\n');
      if (nl < 0) break;
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onLine(line);
      if (this.deadError) return;
    }
    if (this.buf.length > this.opts.maxLineBytes) this.die(new Error(`QMP ${this.path}: a reply line exceeds ${this.opts.maxLineBytes} bytes`));
  }

  private onLine(line: string): void {
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      this.die(new Error(`QMP ${this.path}: not JSON: ${line.slice(0, 80)}`));
      return;
    }
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      this.die(new Error(`QMP ${this.path}: not a JSON object: ${line.slice(0, 80)}`));
      return;
    }
    const o = m as Record<string, unknown>;
    if ('QMP' in o) {
      const v = (o.QMP as { version?: { qemu?: { major?: number; minor?: number; micro?: number } } } | null)?.version?.qemu;
      if (v) this.version = `${v.major}.${v.minor}.${v.micro}`;
      this.greeting?.(null);
      return;
    }
    if ('event' in o) {
      this.events++;
      return;
    }
    const id = typeof o.id === 'string' ? o.id : null;
    const p = id !== null ? this.pending.get(id) : undefined;
    if (!p || id === null) return; // a reply to a command that timed out, or not ours
    this.pending.delete(id);
    this.opts.timers.clearTimeout(p.timer);
    if ('return' in o) p.resolve(o.return);
    else {
      const e = (o.error ?? {}) as { class?: unknown; desc?: unknown };
      p.reject(new QmpError(String(e.class ?? 'GenericError'), String(e.desc ?? 'unknown error'), p.command));
    }
  }

  private die(e: Error): void {
    if (this.deadError) return;
    this.deadError = e;
    this.greeting?.(e);
    for (const p of this.pending.values()) {
      this.opts.timers.clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    this.buf = '';
    this.sock.destroy();
    for (const cb of this.closeSubs.splice(0)) cb(e);
  }
}
