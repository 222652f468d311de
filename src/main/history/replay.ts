/**
 * Replay cursor: plays a recorded session as the same TelemetryBatch stream
 * ({snapshots, events}) the live view consumes, with play/pause, speed
 * 0.25×–64×, seek, step ±1 and jump to the next/previous decision or
 * override. The clock and timer are injected (tests drive them by hand).
 *
 * Position: `t` is the session time of the last snapshot delivered (t0 before
 * the first). While playing, each tick moves session time by
 * (elapsed wall ms × speed) and delivers the snapshots and events in
 * (previous t, new t].
 */
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HostEvent, TelemetryBatch } from '../../shared/policy.ts';
import type { ReplayState } from '../../shared/api.ts';
import type { HistorySession } from './types.ts';
import type { StoredSnapshot } from './store.ts';

/** What a cursor reads from (HistoryClient implements it). */
export interface ReplaySource {
  getSession(id: string): Promise<HistorySession>;
  seek(id: string, t: number): Promise<StoredSnapshot | null>;
  snapshotsBetween(id: string, after: number, until: number, limit?: number): Promise<HostSnapshot[]>;
  prevSnapshot(id: string, t: number): Promise<StoredSnapshot | null>;
  eventsBetween(id: string, after: number, until: number): Promise<HostEvent[]>;
  findEvent(id: string, t: number, dir: 1 | -1, kinds: string[]): Promise<number | null>;
}

/** Injected time: a monotonic ms clock and an interval timer. */
export interface ReplayTimer {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The real timer. */
export const realTimer: ReplayTimer = {
  now: () => performance.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/** Slowest replay speed (× recorded time). */
export const MIN_SPEED = 0.25;
/** Fastest replay speed (× recorded time). */
export const MAX_SPEED = 64;

/** Options of {@link ReplayCursor.open}. */
export interface ReplayOptions {
  timer?: ReplayTimer;
  /** Tick period while playing, wall ms (default 100). */
  tickMs?: number;
  /** Receives every batch (the same shape as live telemetry). */
  onBatch: (batch: TelemetryBatch) => void;
  /** Called when the state changes (play/pause/speed/position). */
  onState?: (state: ReplayState) => void;
  /** Called when playing fails (e.g. the database was closed); the cursor pauses where it was. */
  onError?: (message: string) => void;
}

/** A replay of one session. */
export class ReplayCursor {
  private t: number;
  private seq = -1;
  private playing = false;
  private speed = 1;
  private handle: unknown = null;
  private lastNow = 0;
  private busy: Promise<void> | null = null;
  /** Time of the event the last jump landed on (reference for the next jump). */
  private eventT: number | null = null;
  private readonly timer: ReplayTimer;
  private readonly tickMs: number;

  private constructor(
    private source: ReplaySource,
    readonly session: HistorySession,
    private opts: ReplayOptions,
  ) {
    this.timer = opts.timer ?? realTimer;
    this.tickMs = opts.tickMs ?? 100;
    this.t = Math.min(session.t0 - (session.intervalMs ?? 0), 0);
  }

  /** Open a cursor at the start of a session (nothing delivered until play/seek/step). */
  static async open(source: ReplaySource, sessionId: string, opts: ReplayOptions): Promise<ReplayCursor> {
    const s = await source.getSession(sessionId);
    return new ReplayCursor(source, s, opts);
  }

  /** The state for the console. */
  state(): ReplayState {
    return { sessionId: this.session.id, t0: this.session.t0, t1: this.session.t1, t: this.t, playing: this.playing, speed: this.speed };
  }

  private changed(): void {
    this.opts.onState?.(this.state());
  }

  /** Start playing from the current position. */
  play(): void {
    if (this.playing) return;
    if (this.t >= this.session.t1) return;
    this.playing = true;
    this.lastNow = this.timer.now();
    this.handle = this.timer.setInterval(() => void this.tick(), this.tickMs);
    this.changed();
  }

  /** Stop playing (position kept). */
  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    this.timer.clearInterval(this.handle);
    this.handle = null;
    this.changed();
  }

  /** Set the speed (0.25 to 64); RangeError otherwise. */
  setSpeed(speed: number): void {
    if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) throw new RangeError(`replay speed must be between ${MIN_SPEED} and ${MAX_SPEED}, got ${speed}`);
    this.speed = speed;
    this.changed();
  }

  /** Resolves when the tick in progress (if any) has delivered its batch. */
  async idle(): Promise<void> {
    // A failed tick is reported through onError; waiting for it must not throw its error again.
    while (this.busy) await this.busy.catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.busy || !this.playing) return;
    const now = this.timer.now();
    const dt = now - this.lastNow;
    this.lastNow = now;
    const target = Math.min(this.session.t1, this.t + dt * this.speed);
    this.busy = this.advanceTo(target).finally(() => {
      this.busy = null;
    });
    try {
      await this.busy;
    } catch (err) {
      // The timer calls tick without awaiting it: a rejection here would be unhandled and end the process.
      this.pause();
      this.opts.onError?.(`replay of session ${this.session.id} stopped at ${this.t} ms: ${(err as Error).message}`);
      return;
    }
    if (this.t >= this.session.t1) this.pause();
  }

  private async advanceTo(target: number): Promise<void> {
    if (target <= this.t) return;
    const from = this.t;
    const [snapshots, events] = await Promise.all([this.source.snapshotsBetween(this.session.id, from, target, 100_000), this.source.eventsBetween(this.session.id, from, target)]);
    this.t = target;
    this.eventT = null;
    if (snapshots.length) this.seq = snapshots[snapshots.length - 1].seq;
    if (snapshots.length || events.length) this.opts.onBatch({ snapshots, events });
    this.changed();
  }

  /** Move to the snapshot covering t and deliver it (with the events of its interval). */
  async seek(t: number): Promise<ReplayState> {
    await this.idle();
    const s = await this.source.seek(this.session.id, t);
    if (!s) return this.state();
    await this.land(s.snapshot);
    this.eventT = null;
    return this.state();
  }

  private async land(s: HostSnapshot): Promise<void> {
    const events = await this.source.eventsBetween(this.session.id, s.t - s.intervalMs, s.t);
    this.t = s.t;
    this.seq = s.seq;
    this.lastNow = this.timer.now();
    this.opts.onBatch({ snapshots: [s], events });
    this.changed();
  }

  /** Deliver the next (+1) or previous (-1) snapshot. */
  async step(direction: 1 | -1): Promise<ReplayState> {
    await this.idle();
    let s: HostSnapshot | undefined;
    if (direction > 0) s = (await this.source.snapshotsBetween(this.session.id, this.t, Infinity, 1))[0];
    else s = (await this.source.prevSnapshot(this.session.id, this.t))?.snapshot;
    if (s) {
      this.eventT = null;
      await this.land(s);
    }
    return this.state();
  }

  /** Jump to the snapshot covering the next/previous event of these kinds (default: decision or override). */
  async jump(direction: 'next' | 'prev', kinds: string[] = ['decision', 'override']): Promise<ReplayState> {
    await this.idle();
    const ref = this.eventT ?? this.t;
    const te = await this.source.findEvent(this.session.id, ref, direction === 'next' ? 1 : -1, kinds);
    if (te === null) return this.state();
    const s = await this.source.seek(this.session.id, te);
    if (s) await this.land(s.snapshot);
    this.eventT = te;
    return this.state();
  }

  /** Stop the timer. */
  close(): void {
    this.pause();
  }
}
