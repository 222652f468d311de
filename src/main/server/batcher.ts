/**
 * Coalesces the services' event streams into a few messages per second for a
 * transport (IPC or WebSocket), so telemetry never travels one message per value:
 * - telemetry: batches of the same stream and session are merged (snapshots and
 *   events concatenated in order, the latest loop status kept); at most
 *   {@link MAX_SNAPSHOTS_PER_FLUSH} newest snapshots per flush (the charts show the
 *   latest; history keeps everything), events are never dropped; all snapshots but the
 *   newest travel as trend points (`TelemetryMessage.trend`: what the time series read);
 * - status: only the latest state;
 * - progress: the latest per operation (a `done` event is the last one anyway);
 * - notice: all, in order;
 * - fleet: only the latest rows.
 */
import type { EventName, FleetRow, IocmEvents, ProgressEvent, TelemetryMessage, ConsoleState, Notice } from '../../shared/api.ts';
import { thinSnapshots } from '../../shared/snapshot.ts';

/** Default flush period: 4 messages per second per stream at most. */
export const DEFAULT_FLUSH_MS = 250;
/** Cap on snapshots per telemetry message per flush. */
export const MAX_SNAPSHOTS_PER_FLUSH = 200;

/** Receives the coalesced events. */
export type BatchSink = <E extends EventName>(event: E, payload: IocmEvents[E]) => void;

/** Coalesces events and flushes them every `flushMs`. */
export class EventBatcher {
  private telemetry = new Map<string, TelemetryMessage>();
  private status: ConsoleState | null = null;
  private progress = new Map<string, ProgressEvent>();
  private notices: Notice[] = [];
  private fleet: FleetRow[] | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly sink: BatchSink,
    private readonly flushMs = DEFAULT_FLUSH_MS,
  ) {}

  /** Queue one event; it is delivered at the next flush. */
  push<E extends EventName>(event: E, payload: IocmEvents[E]): void {
    if (this.closed) return;
    switch (event) {
      case 'telemetry': {
        const msg = payload as TelemetryMessage;
        const key = `${msg.stream}|${msg.sessionId ?? ''}|${msg.hostId ?? ''}`;
        const prev = this.telemetry.get(key);
        if (!prev) {
          this.telemetry.set(key, {
            stream: msg.stream,
            sessionId: msg.sessionId,
            ...(msg.hostId !== undefined ? { hostId: msg.hostId } : {}),
            batch: { snapshots: [...msg.batch.snapshots], events: [...msg.batch.events], ...(msg.batch.status ? { status: msg.batch.status } : {}) },
          });
        } else {
          for (const s of msg.batch.snapshots) prev.batch.snapshots.push(s);
          for (const e of msg.batch.events) prev.batch.events.push(e);
          if (msg.batch.status) prev.batch.status = msg.batch.status;
        }
        break;
      }
      case 'status':
        this.status = payload as ConsoleState;
        break;
      case 'progress': {
        const p = payload as ProgressEvent;
        this.progress.set(p.opId, p);
        break;
      }
      case 'notice':
        this.notices.push(payload as Notice);
        break;
      case 'fleet':
        // rows of every host: the newest replaces the last
        this.fleet = payload as FleetRow[];
        break;
      default:
        return;
    }
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.flushMs);
  }

  /** Deliver everything queued now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const status = this.status;
    const telemetry = [...this.telemetry.values()];
    const progress = [...this.progress.values()];
    const notices = this.notices;
    const fleet = this.fleet;
    this.fleet = null;
    this.status = null;
    this.telemetry.clear();
    this.progress.clear();
    this.notices = [];
    if (status) this.sink('status', status);
    if (fleet) this.sink('fleet', fleet);
    for (const msg of telemetry) {
      let snaps = msg.batch.snapshots;
      if (snaps.length > MAX_SNAPSHOTS_PER_FLUSH) snaps = snaps.slice(snaps.length - MAX_SNAPSHOTS_PER_FLUSH);
      const thin = thinSnapshots(snaps);
      if (thin.trend) msg.trend = thin.trend;
      msg.batch.snapshots = thin.snapshots;
      this.sink('telemetry', msg);
    }
    for (const p of progress) this.sink('progress', p);
    for (const n of notices) this.sink('notice', n);
  }

  /** Flush what is queued and stop accepting events. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
