/**
 * The hosts provider: every host the console holds at once (embedded models and remote agents),
 * each with its LiveHost, its link state, its own recorded session, its recent past (for a
 * view's backfill) and its alerts; one of them is selected, and only the selected host's
 * telemetry and status go to the views. A `fleet` event with one row per host goes out about
 * once a second (bounded work: O(hosts × host size) per push, hosts capped at {@link MAX_HOSTS}).
 *
 * Link changes (LiveHost.onConnection, agents) are recorded in the host's session as events:
 * a 'disconnect' event opens a gap, a 'connect' event closes it (data.gap 'start' / 'end').
 */
import type { FleetAlerts, FleetRow, HostKind, Unsubscribe } from '../../shared/api.ts';
import { FLEET_ALERT_WINDOW_MS } from '../../shared/api.ts';
import type { HostConnectionState } from '../../shared/control.ts';
import { observedObjective } from '../../shared/objective.ts';
import { observabilityOf, observe, DEFAULT_PROFILE } from '../../shared/observe.ts';
import type { HostEvent, TelemetryBatch } from '../../shared/policy.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { HistoryClient, Recorder, RecordingErrorCause } from '../history/client.ts';
import { appVersion } from '../history/paths.ts';
import { epochMetrics } from '../policy/helpers.ts';
import type { EventHub } from './events.ts';
import type { HostChange, LiveHost } from './live.ts';

/** Most hosts held at once (memory: each keeps {@link RECENT} snapshots). */
export const MAX_HOSTS = 32;
/** Snapshots each host keeps for a view's backfill (getRecentTelemetry). */
export const RECENT = 600;
/** Default latency ceilings (the iocm policy's defaults) when the host's policy has none. */
const MAX_SIDE_BUSY = 0.85;
const MAX_VCPU_WAIT = 0.5;
/** Alert times kept per kind and host. */
const ALERT_CAP = 200;

/** Timers, injected so tests can drive the fleet push. */
export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** One connected host. */
export interface HostEntry {
  readonly id: string;
  readonly kind: HostKind;
  readonly name: string;
  readonly address: string;
  readonly live: LiveHost;
  /** Model hosts: what they run. */
  readonly model: { scenario: string; seed: number } | null;
  recorder: Recorder | null;
  sessionId: string | null;
  recordingError: string | null;
  recent: HostSnapshot[];
  recentEvents: HostEvent[];
  latest: HostSnapshot | null;
  latestAt: number | null;
  link: HostConnectionState | null;
  /** Open gap: session time and wall clock of its start, and the reconnect attempts that failed so far. */
  gap: { t: number; at: number; failed: number } | null;
  /**
   * A gap's end (the link is back) not recorded yet: it goes to the session of the first snapshot
   * after it — the same session, or the new one when another host took the agent's place.
   */
  gapEnd: HostEvent | null;
  refusals: number[];
  errors: number[];
  lastAlert: string | null;
  statusKey: string;
  unsubs: Unsubscribe[];
  stopped: boolean;
  /** Host changes (LiveHost.onHostChange) whose new host has sent nothing yet, oldest first. */
  hostChanges: HostChange[];
  /** While the session is being rolled over to a new one: the batches to record once it is open. */
  rollQueue: TelemetryBatch[] | null;
  /** When the last notice of a change of the host's VMs or devices was sent (deps.now), or null. */
  changeNoticeAt: number | null;
  /** A change notice held back by the rate limit: the latest one's text and how many were held. */
  heldChange: { text: string; count: number } | null;
}

/** At most one notice of a host's VMs or devices changing per this many ms (a flapping host changes many times a second). */
export const CHANGE_NOTICE_MS = 5000;

/**
 * Why a host's recording stopped, in words: a session another process removed or ended has its own
 * (what it recorded is gone, or kept in that session), any other failure (disk full…) the
 * recorder's message.
 */
export function recordingStopped(sessionId: string, message: string, cause: RecordingErrorCause): string {
  if (cause.code === 'not-found' && cause.removed === true) return `Session ${sessionId} was removed by another process; recording stopped. The live view keeps running.`;
  if (cause.code === 'not-found') return `Session ${sessionId} was ended by another process; recording stopped. What it recorded until then is kept; the live view keeps running.`;
  return `Recording stopped: ${message}. The live view keeps running; what was recorded so far is kept.`;
}

/** What the provider needs from the services around it. */
export interface HostsDeps {
  hub: EventHub;
  now(): number;
  timers: Timers;
  /** The open history database, or null (recording off). */
  db(): HistoryClient | null;
  /** Why history is off, when it is. */
  historyError(): string | null;
  notice(level: 'info' | 'warning' | 'error', message: string): void;
  /** The selected host's state changed: push `status`. */
  selectedChanged(): void;
  /** Fleet push period, ms (default 1000). */
  fleetMs?: number;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function pctText(x: number): string {
  return `${Math.round(x * 100)} %`;
}

/** The hosts provider (boot/shutdown like the other providers). */
export class HostRegistry {
  private hosts = new Map<string, HostEntry>();
  private selectedId: string | null = null;
  private nextId = 1;
  private timer: unknown = null;

  constructor(private readonly deps: HostsDeps) {}

  /** Start the fleet push. */
  boot(): void {
    if (this.timer === null)
      this.timer = this.deps.timers.setInterval(() => {
        this.flushChangeNotices();
        this.pushFleet();
      }, this.deps.fleetMs ?? 1000);
  }

  /** Stop every host, end their recordings, stop the fleet push. */
  async shutdown(): Promise<void> {
    if (this.timer !== null) this.deps.timers.clearInterval(this.timer);
    this.timer = null;
    for (const id of [...this.hosts.keys()]) await this.remove(id, false);
  }

  /** Hosts in the order they connected. */
  list(): HostEntry[] {
    return [...this.hosts.values()];
  }

  get(id: string): HostEntry | null {
    return this.hosts.get(id) ?? null;
  }

  /** The selected host, or null. */
  selected(): HostEntry | null {
    return this.selectedId ? (this.hosts.get(this.selectedId) ?? null) : null;
  }

  /** Whether another host can be added. */
  full(): boolean {
    return this.hosts.size >= MAX_HOSTS;
  }

  /** Select a host; false when there is no such host. */
  select(id: string): boolean {
    if (!this.hosts.has(id)) return false;
    if (this.selectedId !== id) {
      this.selectedId = id;
      this.deps.selectedChanged();
      this.pushFleet();
    }
    return true;
  }

  /**
   * Hold a started LiveHost: subscribe to its batches and link, start its recording, select it.
   * The caller has checked {@link full}.
   */
  async add(kind: HostKind, live: LiveHost, o: { name: string; address: string; model?: { scenario: string; seed: number } | null }): Promise<HostEntry> {
    const e: HostEntry = {
      id: `h${this.nextId++}`,
      kind,
      name: o.name,
      address: o.address,
      live,
      model: o.model ?? null,
      recorder: null,
      sessionId: null,
      recordingError: null,
      recent: [],
      recentEvents: [],
      latest: null,
      latestAt: null,
      link: live.connection?.() ?? null,
      gap: null,
      gapEnd: null,
      refusals: [],
      errors: [],
      lastAlert: null,
      statusKey: '',
      unsubs: [],
      stopped: false,
      hostChanges: [],
      rollQueue: null,
      changeNoticeAt: null,
      heldChange: null,
    };
    this.hosts.set(e.id, e);
    await this.startRecording(e);
    e.unsubs.push(live.onBatch((b) => this.onBatch(e, b)));
    if (live.onConnection) e.unsubs.push(live.onConnection((c) => this.onLink(e, c)));
    // Kept only while recording (stopRecording clears them), so they cannot pile up.
    if (live.onHostChange) e.unsubs.push(live.onHostChange((c) => (e.recorder || e.rollQueue) && e.hostChanges.length < 64 && e.hostChanges.push(c)));
    const onError = (live as { onError?: (cb: (m: string) => void) => Unsubscribe }).onError;
    if (typeof onError === 'function')
      e.unsubs.push(
        onError.call(live, (m: string) => {
          this.alert(e, 'error', `${e.name} stopped: ${m}`);
          this.deps.notice('error', `The host ${e.name} stopped: ${m}`);
        }),
      );
    this.selectedId = e.id;
    this.deps.selectedChanged();
    this.pushFleet();
    return e;
  }

  /**
   * Stop a host and forget it; its recording ends (what it recorded stays). When it was the
   * selected host, the first remaining host is selected.
   */
  async remove(id: string, announce = true): Promise<boolean> {
    const e = this.hosts.get(id);
    if (!e) return false;
    this.hosts.delete(id);
    e.stopped = true;
    for (const u of e.unsubs) u();
    e.unsubs = [];
    try {
      await e.live.stop();
    } catch (err) {
      this.deps.notice('warning', `Could not stop ${e.name} cleanly: ${message(err)}`);
    }
    await this.stopRecording(e);
    e.recent = [];
    e.recentEvents = [];
    if (this.selectedId === id) {
      this.selectedId = this.hosts.keys().next().value ?? null;
      if (announce) this.deps.selectedChanged();
    }
    if (announce) this.pushFleet();
    return true;
  }

  /** Start a new recorded session of a host (no-op when it is already recorded). */
  async startRecording(e: HostEntry): Promise<string | null> {
    if (e.recorder) return null;
    const db = this.deps.db();
    e.recordingError = db ? null : this.deps.historyError();
    if (!db) return e.recordingError ?? 'The history database is not open.';
    const live = e.live;
    try {
      const st = live.status();
      // Session time continues across recordings of one live host: the session's wall start is
      // the wall time of the host's t = 0, so wall = startedAt + t holds in every session. An
      // agent's is taken from its latest snapshot and when that came, not from now: a session that
      // starts when another host took the agent's place starts after the gap, which the old host's
      // last snapshot does not count (review 8: the new session ran ≈8 s ahead of the wall clock).
      const at = e.kind === 'agent' && e.latestAt !== null ? e.latestAt : this.deps.now();
      const startedAt = at - (e.latest ? e.latest.t : 0);
      const rec = await db.startRecording({
        host: e.name,
        source: e.kind,
        ...(e.kind === 'model' ? { scenario: live.scenario, seed: live.seed } : { scenario: null, scenarioName: live.scenario?.name ?? 'agent', seed: null }),
        policy: st.policy,
        policyConfig: st.config,
        info: { ...live.info, name: e.name, source: e.kind },
        intervalMs: live.info.intervalMs,
        startedAt,
        appVersion: appVersion(),
      });
      if (e.stopped) {
        await rec.close().catch(() => undefined);
        return null;
      }
      e.recorder = rec;
      e.sessionId = rec.sessionId;
      rec.onError((msg, cause) => {
        if (e.recorder !== rec) return;
        e.recordingError = recordingStopped(rec.sessionId, msg, cause);
        this.alert(e, 'error', e.recordingError);
        this.deps.notice('error', `${e.name}: ${e.recordingError}`);
        if (this.selectedId === e.id) this.deps.selectedChanged();
      });
      // A recording that starts during a gap says so.
      if (e.gap) rec.recordEvent(this.gapEvent(e, 'start', e.gap.t, e.link));
      return null;
    } catch (err) {
      e.recordingError = `Recording is off: ${message(err)}`;
      this.deps.notice('error', `${e.name}: ${e.recordingError}`);
      return e.recordingError;
    }
  }

  /** End a host's recorded session (the host keeps running); no-op when it is not recorded. */
  async stopRecording(e: HostEntry): Promise<void> {
    const rec = e.recorder;
    e.recorder = null;
    e.sessionId = null;
    e.hostChanges = [];
    const end = e.gapEnd;
    e.gapEnd = null;
    if (!rec) return;
    // The link came back but no snapshot followed before the session ended: the gap's end is its
    // last event, at most one interval after its last snapshot (a session's events lie in its span).
    if (end && !e.recordingError) rec.recordEvent({ ...end, t: Math.min(end.t, e.latest ? e.latest.t + e.live.info.intervalMs : end.t) });
    try {
      await rec.close();
    } catch (err) {
      this.deps.notice('warning', `Could not close the recorded session of ${e.name}: ${message(err)}`);
    }
  }

  /**
   * Record a batch in the host's session. When another host took the host's place
   * ({@link HostEntry.hostChanges}) and this batch carries the new host's first data, what came
   * before the change goes to the session, and the rest to a new session ({@link roll}): one
   * session, one host.
   */
  private record(e: HostEntry, batch: TelemetryBatch): void {
    const rec = e.recorder!;
    const ch = e.hostChanges[0];
    const cut = ch === undefined ? -1 : batch.snapshots.findIndex((s) => s.t > ch.afterT);
    if (cut < 0) {
      // The first snapshot after a gap on the same host: the gap's end goes in with it.
      if (e.gapEnd && ch === undefined && batch.snapshots.length > 0) {
        rec.recordEvent(e.gapEnd);
        e.gapEnd = null;
      }
      for (const s of batch.snapshots) rec.record(s);
      for (const ev of batch.events) rec.recordEvent(ev);
      return;
    }
    const afterT = ch.afterT;
    for (let i = 0; i < cut; i++) rec.record(batch.snapshots[i]);
    for (const ev of batch.events) if (ev.t <= afterT) rec.recordEvent(ev);
    e.hostChanges.shift();
    e.rollQueue = [{ ...batch, snapshots: batch.snapshots.slice(cut), events: batch.events.filter((ev) => ev.t > afterT) }];
    void this.roll(e, ch);
  }

  /**
   * End the host's session at a host change and go on recording in a new one (described by the
   * new host's info): each says where the other is. Batches that arrive meanwhile wait in
   * {@link HostEntry.rollQueue} and go to the new session in order.
   */
  private async roll(e: HostEntry, ch: HostChange): Promise<void> {
    const old = e.recorder!;
    const oldId = e.sessionId;
    e.recorder = null;
    e.sessionId = null;
    await this.startRecording(e);
    // (Read through the entry's type again: TypeScript keeps the nulls set before the await.)
    const after = e as HostEntry;
    const next = after.recorder;
    const nextId = after.sessionId;
    try {
      old.recordEvent({
        t: ch.afterT,
        source: 'system',
        kind: 'notice',
        message: `Another host took ${e.name}'s place (${ch.reason}): this session ends here${nextId ? `; the recording goes on in session ${nextId}` : ''}`,
        data: { hostChanged: ch.reason, next: nextId },
      });
      await old.close();
    } catch (err) {
      this.deps.notice('warning', `Could not close the recorded session of ${e.name}: ${message(err)}`);
    }
    const queued = after.rollQueue ?? [];
    after.rollQueue = null;
    // The gap during which the host changed ends with the new host: it belongs to the new session.
    const gapEnd = after.gapEnd;
    after.gapEnd = null;
    if (next && after.recorder === next && !after.recordingError) {
      // The new session's first events (where it came from, the link back) are at its first
      // snapshot: a session's events lie in its span (docs/history.md), and the new host's time
      // starts there — the old host's last snapshot is the old session's.
      const firstT = queued[0]?.snapshots[0]?.t ?? ch.afterT;
      next.recordEvent({
        t: firstT,
        source: 'system',
        kind: 'notice',
        message: `Another host took ${e.name}'s place (${ch.reason}): this session goes on from session ${oldId ?? '?'}, which recorded the host before it`,
        data: { hostChanged: ch.reason, previous: oldId },
      });
      if (gapEnd) next.recordEvent({ ...gapEnd, t: firstT });
      for (const b of queued) {
        // A batch may carry the next host change: the batches after it wait for that roll.
        const waiting = after.rollQueue as TelemetryBatch[] | null; // set again by record() below
        if (waiting) waiting.push(b);
        else if (after.recorder && !after.recordingError) this.record(e, b);
      }
    }
    this.deps.notice('info', `${e.name} is another host now (${ch.reason}): its recording goes on in a new session${nextId ? ` (${nextId})` : ''}.`);
    if (this.selectedId === e.id) this.deps.selectedChanged();
    this.pushFleet();
  }

  /** Record an operator refusal against a host (answers the API gives) — events carry the rest. */
  private alert(e: HostEntry, kind: 'refusal' | 'error', text: string): void {
    const list = kind === 'refusal' ? e.refusals : e.errors;
    list.push(this.deps.now());
    if (list.length > ALERT_CAP) list.splice(0, list.length - ALERT_CAP);
    e.lastAlert = text.slice(0, 300);
  }

  private onBatch(e: HostEntry, batchIn: TelemetryBatch): void {
    if (e.stopped) return;
    // A host with a link may report its gaps itself too (the agent host does): the registry's own
    // gap events (data.gap, from onConnection) are the ones kept, so a gap is recorded once.
    let batch = batchIn;
    if (e.live.onConnection && batch.events.some((ev) => (ev.kind === 'disconnect' || ev.kind === 'connect') && !(ev.data && 'gap' in ev.data))) {
      batch = { ...batch, events: batch.events.filter((ev) => !((ev.kind === 'disconnect' || ev.kind === 'connect') && !(ev.data && 'gap' in ev.data))) };
    }
    if (e.rollQueue) e.rollQueue.push(batch);
    else if (e.recorder && !e.recordingError) this.record(e, batch);
    if (batch.snapshots.length) {
      for (const s of batch.snapshots) e.recent.push(s);
      if (e.recent.length > RECENT * 1.5) e.recent = e.recent.slice(-RECENT);
      e.latest = batch.snapshots[batch.snapshots.length - 1];
      e.latestAt = this.deps.now();
    }
    for (const ev of batch.events) {
      if (ev.kind === 'decision' || ev.kind === 'override') e.recentEvents.push(ev);
      const refused = (ev.kind === 'override' && (ev.data as { ok?: boolean } | undefined)?.ok === false) || (ev.kind === 'error' && !!ev.data && 'action' in ev.data);
      if (refused) this.alert(e, 'refusal', ev.message);
      else if (ev.kind === 'error') this.alert(e, 'error', ev.message);
      // The host's VMs or devices changed (a real host's VMs start and stop): the page hears it, not
      // only the recorded events. Another host behind the address is said by roll() already.
      if (ev.kind === 'notice' && e.kind === 'agent' && !(ev.data && 'hostChanged' in ev.data)) this.changeNotice(e, ev.message);
    }
    if (e.recentEvents.length > 750) e.recentEvents = e.recentEvents.slice(-500);
    if (this.selectedId !== e.id) return;
    this.deps.hub.emit('telemetry', { stream: 'live', sessionId: e.sessionId, hostId: e.id, batch });
    const st = batch.status;
    if (st) {
      const key = `${st.policy}|${st.changes}|${st.lastDecision?.t ?? ''}|${st.sideCores.join(',')}|${st.overrides.paused}`;
      if (key !== e.statusKey) {
        e.statusKey = key;
        this.deps.selectedChanged();
      }
    }
  }

  /** A gap's start or end event; an end's `attempts` are the reconnect attempts made, the one that succeeded included. */
  private gapEvent(e: HostEntry, which: 'start' | 'end', t: number, c: HostConnectionState | null, durationMs?: number, attempts?: number): HostEvent {
    const why = c?.error ? `: ${c.error}` : '';
    return which === 'start'
      ? {
          t,
          source: 'system',
          kind: 'disconnect',
          message: `Lost the link to ${e.name}${why}; reconnecting`,
          data: { gap: 'start', at: c?.since ?? this.deps.now(), attempts: c?.attempts ?? 0, state: c?.state ?? 'reconnecting' },
        }
      : {
          t,
          source: 'system',
          kind: 'connect',
          message: `The link to ${e.name} is back after ${((durationMs ?? 0) / 1000).toFixed(1)} s${attempts ? ` (reconnect attempt ${attempts})` : ''}`,
          data: { gap: 'end', at: c?.since ?? this.deps.now(), durationMs: durationMs ?? 0, attempts: attempts ?? c?.attempts ?? 0 },
        };
  }

  /** A link change: open or close a gap (recorded as events), push state. */
  private onLink(e: HostEntry, c: HostConnectionState): void {
    if (e.stopped) return;
    e.link = { state: c.state, since: c.since, attempts: c.attempts, error: c.error };
    let ev: HostEvent | null = null;
    if (c.state !== 'connected' && !e.gap && e.latest) {
      // A link back that dropped again before any snapshot: its end goes where it happened.
      if (e.gapEnd && e.hostChanges.length === 0) {
        if (e.recorder && !e.recordingError) e.recorder.recordEvent(e.gapEnd);
        e.gapEnd = null;
      }
      const t = e.latest.t;
      e.gap = { t, at: c.since, failed: c.attempts };
      ev = this.gapEvent(e, 'start', t, c);
      this.deps.notice('warning', ev.message + '.');
    } else if (c.state !== 'connected' && e.gap) {
      // The state counts the attempts that failed; it says 0 again once the link is back (review 8:
      // the gap's end carried "attempts":0 after the fleet showed 4).
      e.gap.failed = Math.max(e.gap.failed, c.attempts);
    } else if (c.state === 'connected' && e.gap) {
      const durationMs = Math.max(0, c.since - e.gap.at);
      // session time of the end: the gap's start plus the wall time it lasted (agents run at real time)
      ev = this.gapEvent(e, 'end', e.gap.t + durationMs, c, durationMs, Math.max(e.gap.failed + 1, c.attempts));
      e.gap = null;
      this.deps.notice('info', ev.message + '.');
    }
    if (ev) {
      // A gap's end is recorded with the first snapshot after it (record, roll): only then is it
      // known whether the same host came back or another took its place.
      if (ev.kind === 'connect') e.gapEnd = (e.recorder && !e.recordingError) || e.rollQueue ? ev : null;
      else if (e.recorder && !e.recordingError) e.recorder.recordEvent(ev);
      e.recentEvents.push(ev);
      if (this.selectedId === e.id) this.deps.hub.emit('telemetry', { stream: 'live', sessionId: e.sessionId, hostId: e.id, batch: { snapshots: [], events: [ev] } });
    }
    if (this.selectedId === e.id) this.deps.selectedChanged();
    this.pushFleet();
  }

  /** The latency ceiling the newest snapshot crosses, in words, or null (observed fields only). */
  private latencyAlert(e: HostEntry): string | null {
    const s = e.latest;
    if (!s) return null;
    const info = e.live.info;
    const m = epochMetrics(observe(s, info.observability ?? observabilityOf(DEFAULT_PROFILE)), info.groups);
    const cfg = e.live.status().config;
    const maxSide = typeof cfg.maxSideBusy === 'number' ? cfg.maxSideBusy : MAX_SIDE_BUSY;
    const maxWait = typeof cfg.maxVcpuWait === 'number' ? cfg.maxVcpuWait : MAX_VCPU_WAIT;
    const wait = m.vcpuRun > 0 ? m.vcpuWait / m.vcpuRun : 0;
    if (m.workSplit && m.workers > 0 && m.maxSideBusy > maxSide) return `busiest side core ${pctText(m.maxSideBusy)} busy with I/O work (ceiling ${pctText(maxSide)})`;
    if (wait > maxWait) return `runnable vCPUs wait ${pctText(wait)} of their run time for a core (ceiling ${pctText(maxWait)})`;
    return null;
  }

  private alerts(e: HostEntry): FleetAlerts {
    const from = this.deps.now() - FLEET_ALERT_WINDOW_MS;
    const count = (xs: number[]): number => {
      let i = 0;
      while (i < xs.length && xs[i] < from) i++;
      if (i) xs.splice(0, i);
      return xs.length;
    };
    return { refusals: count(e.refusals), errors: count(e.errors), latency: this.latencyAlert(e), last: e.lastAlert };
  }

  /** One fleet row per host. */
  rows(): FleetRow[] {
    return this.list().map((e) => {
      const st = e.live.status();
      const s = e.latest;
      const info = e.live.info;
      // While the link is down the newest snapshot is the last one the host sent, not the host now.
      const stale = e.link !== null && e.link.state !== 'connected';
      return {
        hostId: e.id,
        name: e.name,
        kind: e.kind,
        address: e.address,
        selected: e.id === this.selectedId,
        cores: info.cores,
        sideCores: s ? s.totals.sideCores : st.sideCores.length,
        objective: s ? observedObjective(observe(s, info.observability ?? observabilityOf(DEFAULT_PROFILE)), info.groups) : null,
        lastSnapshotAt: e.latestAt,
        stale,
        policy: st.policy ?? null,
        paused: st.overrides.paused,
        alerts: this.alerts(e),
        link: e.link ? { ...e.link } : null,
        recording: { sessionId: e.sessionId, error: e.recordingError },
      };
    });
  }

  /** Push the fleet rows now. */
  /** Send a change notice for host e, at most one per CHANGE_NOTICE_MS; a held one goes out later (flushChangeNotices) with how many it stands for. */
  private changeNotice(e: HostEntry, text: string): void {
    const now = this.deps.now();
    if (e.changeNoticeAt !== null && now - e.changeNoticeAt < CHANGE_NOTICE_MS) {
      e.heldChange = { text, count: (e.heldChange?.count ?? 0) + 1 };
      return;
    }
    // Changes held since the last notice are counted in this one (the fleet timer had not sent them yet).
    const count = (e.heldChange?.count ?? 0) + 1;
    e.changeNoticeAt = now;
    e.heldChange = null;
    this.deps.notice('info', `${e.name}: ${text}${count > 1 ? ` (the latest of ${count} changes since the last notice)` : ''}.`);
  }

  /** Send the held change notices whose wait is over (the fleet timer calls this). */
  flushChangeNotices(): void {
    const now = this.deps.now();
    for (const e of this.hosts.values()) {
      const held = e.heldChange;
      if (!held || e.stopped || (e.changeNoticeAt !== null && now - e.changeNoticeAt < CHANGE_NOTICE_MS)) continue;
      e.changeNoticeAt = now;
      e.heldChange = null;
      this.deps.notice('info', `${e.name}: ${held.text}${held.count > 1 ? ` (the latest of ${held.count} changes since the last notice)` : ''}.`);
    }
  }

  pushFleet(): void {
    if (this.deps.hub.count('fleet') === 0) return;
    this.deps.hub.emit('fleet', this.rows());
  }
}
