/**
 * A replay cursor over a recorded session: produces the same TelemetryBatches the
 * live view consumes (tagged 'replay'), with play/pause, speed 0.25×–64×, seek,
 * step and jump to the next/previous decision or override. Paced by a wall-clock
 * timer while playing.
 */
import type { ReplayState } from '../../shared/api.ts';
import type { TelemetryBatch } from '../../shared/policy.ts';
import type { HistoryDb } from '../history/store.ts';

/** Event kinds a jump stops at. */
export const JUMP_KINDS = ['decision', 'override'];

/** Options of a {@link ReplayCursor}. */
export interface ReplayOptions {
  db: HistoryDb;
  sessionId: string;
  /** Receives each batch. */
  emit: (b: TelemetryBatch) => void;
  /** Receives the cursor state when it changes on its own (end reached). */
  onState: (s: ReplayState) => void;
  now: () => number;
  tickMs?: number;
}

/** See the file comment. */
export class ReplayCursor {
  private readonly o: ReplayOptions;
  private readonly t0: number;
  private readonly t1: number;
  private readonly intervalMs: number;
  private t: number;
  private playing = false;
  private speed = 1;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastWall = 0;

  constructor(o: ReplayOptions) {
    this.o = o;
    const s = o.db.getSession(o.sessionId);
    this.t0 = s.t0;
    this.t1 = s.t1;
    this.intervalMs = s.intervalMs ?? 100;
    this.t = s.t0;
  }

  /** The cursor's state. */
  state(): ReplayState {
    return { sessionId: this.o.sessionId, t0: this.t0, t1: this.t1, t: this.t, playing: this.playing, speed: this.speed };
  }

  /** Emit the snapshot at the cursor (and the events up to it within one interval). */
  private emitAt(t: number): void {
    const hit = this.o.db.seek(this.o.sessionId, t);
    if (!hit) return;
    this.t = hit.t;
    const events = this.o.db.eventsBetween(this.o.sessionId, hit.t - hit.snapshot.intervalMs, hit.t);
    this.o.emit({ snapshots: [hit.snapshot], events });
  }

  /** Show the first snapshot. */
  open(): ReplayState {
    this.emitAt(this.t0);
    return this.state();
  }

  play(): ReplayState {
    if (this.t >= this.t1) this.emitAt(this.t0);
    this.playing = true;
    this.lastWall = this.o.now();
    if (!this.timer) this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 100);
    return this.state();
  }

  pause(): ReplayState {
    this.playing = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return this.state();
  }

  setSpeed(speed: number): ReplayState {
    this.speed = speed;
    return this.state();
  }

  seek(t: number): ReplayState {
    this.emitAt(Math.min(this.t1, Math.max(this.t0, t)));
    return this.state();
  }

  step(direction: 1 | -1): ReplayState {
    this.pause();
    if (direction > 0) {
      const next = this.o.db.snapshotsBetween(this.o.sessionId, this.t, Infinity, 1)[0];
      if (next) {
        const events = this.o.db.eventsBetween(this.o.sessionId, this.t, next.t);
        this.t = next.t;
        this.o.emit({ snapshots: [next], events });
      }
    } else if (this.t > this.t0) {
      // the previous snapshot: the first at or after (t − one interval)
      const prev = this.o.db.snapshotsBetween(this.o.sessionId, this.t - 2 * this.intervalMs, this.t - 1, 2);
      const target = prev.length ? prev[prev.length - 1].t : this.t0;
      this.emitAt(target);
    }
    return this.state();
  }

  jumpToDecision(direction: 'next' | 'prev'): ReplayState | null {
    const t = this.o.db.findEvent(this.o.sessionId, this.t, direction === 'next' ? 1 : -1, JUMP_KINDS);
    if (t === null) return null;
    this.emitAt(t);
    return this.state();
  }

  private tick(): void {
    if (!this.playing) return;
    const wall = this.o.now();
    const until = Math.min(this.t1, this.t + (wall - this.lastWall) * this.speed);
    this.lastWall = wall;
    if (until <= this.t) return;
    const snapshots = this.o.db.snapshotsBetween(this.o.sessionId, this.t, until, 5000);
    const events = this.o.db.eventsBetween(this.o.sessionId, this.t, until);
    this.t = until;
    if (snapshots.length || events.length) this.o.emit({ snapshots, events });
    if (this.t >= this.t1) {
      this.pause();
      this.o.onState(this.state());
    }
  }

  close(): void {
    this.pause();
  }
}
