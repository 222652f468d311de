/**
 * A remote agent as the services' {@link LiveHost}: `createAgentLiveHost(opts, deps)` connects an
 * {@link AgentHostSource} and then either
 * - runs the IOcm loop here, in the console (a {@link LiveSession} over the source), when the
 *   agent has no loop of its own; or
 * - relays the agent's own loop (`iocm agent --loop`): its status and events, and operator
 *   overrides and policy changes sent to it.
 *
 * Either way it emits TelemetryBatches every `batchMs` like the model's live runner.
 *
 * Time: the console's timeline starts with the first snapshot it receives (seq 0, t = its
 * interval), whatever the agent's own clock says, so a session's wall start plus t is wall time;
 * and it is kept so by the console's clock, whatever the driver: session time may not run ahead of
 * it (such snapshots are left out) nor stay more than 2 s behind it (it moves up), and a stretch
 * after a gap starts at it (ContinuousSource).
 * Disconnects: the session's time is continuous. Snapshots are renumbered onto one console
 * timeline (seq and t keep increasing even when the agent restarted and counts from 0 again), and
 * the time the link was down is kept as a gap: a `disconnect` event when it drops and a `connect`
 * event with `data.gapMs` when it is back. While the host is unreachable no snapshot arrives, so
 * the console's loop takes no decision (it never decides on stale data); commands sent meanwhile
 * are refused in words. The relayed loop's times (events, status) are placed on the same timeline
 * through the snapshots received, never past the last one taken, whatever the agent's clock did
 * (ContinuousSource.mapT; docs/agent.md).
 *
 * When the host's VMs or devices change (the agent's `info`), the console's loop is rebuilt over
 * the new host with the same policy, limits and operator overrides, and a notice says so.
 *
 * Core layer: the clock and the RNG are injected (deps).
 */
import type { ControlAction, ControlResult, HostConfig, HostConnectionState, HostInfo, KnobAction } from '../../shared/control.ts';
import type { ConfigError, HostEvent, LoopStatus, OverrideCommand, OverrideResult, PolicyConfig, TelemetryBatch } from '../../shared/policy.ts';
import type { Scenario } from '../../shared/scenario.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';
import type { Unsubscribe } from '../../shared/api.ts';
import { AgentHostSource, type AgentSourceOptions, type LinkClock } from '../host/agent-source.ts';
import { shapeProblem, snapshotConsistencyProblem, snapshotTimeProblem } from '../../shared/agent-protocol.ts';
import type { HostSource, HostSourceCapabilities } from '../host/source.ts';
import { LiveSession } from '../loop/session.ts';
import type { AgentHostOptions, HostChange, LiveHost } from './live.ts';
import { hostIdentityChange } from '../host/identity.ts';

/** What the shell injects. */
export interface AgentHostDeps {
  /** Wall clock and timers. */
  clock: LinkClock;
  /** Uniform in [0, 1): reconnect jitter. */
  random: () => number;
  /** Batch period, ms (default 100). */
  batchMs?: number;
  /** Client settings passed to the AgentHostSource (backoff, timeouts). */
  link?: Partial<Pick<AgentSourceOptions, 'initialBackoffMs' | 'maxBackoffMs' | 'jitter' | 'ackTimeoutMs' | 'connectTimeoutMs' | 'role' | 'client'>>;
  /**
   * How far session time may run ahead of `clock` before snapshots are left out, ms: default
   * 5000 + 1 % of the time since the first snapshot. (Tests that move an agent's clock by hand,
   * seconds at once, set Infinity.)
   */
  maxAheadMs?: number;
  /**
   * How far session time may fall behind `clock` before it is moved up to it, ms (default 2000): an
   * agent whose clock runs slow, or whose snapshots fall behind their intervals (a loaded model
   * agent), would otherwise have its session's start plus t drift before the wall time. (Tests that
   * move an agent's clock by hand set Infinity: their agent's time is not the console's.)
   */
  maxBehindMs?: number;
}

/** The LiveHost of an agent, with its link (for the console's connection display and tests). */
export interface AgentLiveHost extends LiveHost {
  readonly source: AgentHostSource;
  /** True when the loop runs in the agent (--loop) and this host relays it. */
  readonly remoteLoop: boolean;
  connection(): HostConnectionState;
  onConnection(cb: (c: HostConnectionState) => void): Unsubscribe;
}

/** A source that reports and applies through another one. */
abstract class Delegating {
  readonly kind = 'agent' as const;
  constructor(protected readonly inner: HostSource) {}
  info(): HostInfo {
    return this.inner.info();
  }
  capabilities(): HostSourceCapabilities {
    return this.inner.capabilities();
  }
  config(): HostConfig {
    return this.inner.config();
  }
  apply(action: ControlAction | KnobAction): Promise<ControlResult> {
    return this.inner.apply(action);
  }
}

/** Snapshots remembered to place the relayed loop's times (its relay is a few times a second). */
const RELAY_MAP_SIZE = 512;

/**
 * The agent's snapshots on one continuous console timeline (see the file comment): the source
 * the console's loop runs over.
 */
class ContinuousSource extends Delegating implements HostSource {
  private seqOffset = 0;
  private tOffset = 0;
  /** Last snapshot's console seq and t (−1: none yet). */
  lastSeq = -1;
  lastT = 0;
  /** Wall ms the link was down before the next snapshot (0: no gap pending). */
  private pendingGapMs = 0;
  /** The next snapshot starts a stretch (the first one, and the first after a gap): it is renumbered onto the timeline. */
  private rebase = true;
  /** The agent's t of the last snapshot received (taken or refused): steps are measured from it. */
  private prevAgentT: number | null = null;
  /** A snapshot was refused: the next one taken continues one interval after the last taken. */
  private resync = false;
  private readonly subs = new Set<(s: HostSnapshot) => void>();
  /**
   * The snapshots received on this link, taken or refused (a ring, oldest first from `head −
   * count`): the agent's t, the console's t (a refused one: the last taken t then), and whether it
   * was taken. Relayed loop times are placed on the session's timeline through it ({@link mapT}).
   */
  private readonly recvAgentT = new Float64Array(RELAY_MAP_SIZE);
  private readonly recvT = new Float64Array(RELAY_MAP_SIZE);
  private readonly recvTaken = new Uint8Array(RELAY_MAP_SIZE);
  private recvHead = 0;
  private recvCount = 0;

  /**
   * Wall time (the console's clock) of the session's t = 0: the first snapshot taken less its
   * interval. Session time is kept to the wall time since then: not ahead of it (maxAheadMs), not
   * behind it (maxBehindMs), and each stretch after a gap starts at it.
   */
  private wallFirst = 0;
  /** Since when (wall) every snapshot taken came more than maxBehindMs behind the wall time, and the least it was behind; null: the last one did not. */
  private behindSince: number | null = null;
  private behindLeast = 0;
  /** `onRefused`: a snapshot was left out because its time is absurd or it does not fit the host; the words name the field. */
  constructor(
    readonly agent: AgentHostSource,
    private readonly onRefused: (problem: string, s: HostSnapshot, field: 'snapshot.t' | 'snapshot.shape') => void,
    private readonly now: () => number,
    private readonly maxAheadMs: number | null = null,
    private readonly maxBehindMs: number = BEHIND_MS,
  ) {
    super(agent);
    agent.onSnapshot((s) => this.onAgentSnapshot(s));
  }

  /** The next snapshot starts a new stretch after a gap of `gapMs` wall ms. */
  gap(gapMs: number): void {
    this.pendingGapMs = gapMs;
    this.rebase = true;
    // The agent's clock on the new link may start again from 0: the old link's times place nothing.
    this.recvCount = 0;
  }

  /**
   * A relayed time of the agent's loop (an event's t, its status t) → the session's time, through
   * the snapshots received on this link (newest first, so a clock that stepped back places a time
   * in its latest stretch):
   * - the t of a snapshot taken → that snapshot's session t; of a snapshot refused → the last t
   *   taken before it (the refused time has no place on the timeline);
   * - between two snapshots received one after the other → carried from the earlier one if taken,
   *   never past the later one; from a refused one → the last t taken;
   * - before every snapshot remembered → carried back from the oldest;
   * - anything else (past the newest snapshot, a clock the console refused, no snapshot yet on a
   *   new link) → the last t taken.
   * So whatever the agent's clock does, a relayed time never lands past the last snapshot taken.
   * Before the first snapshot of the session a relayed time is the session's start (0): the
   * session's time starts with that snapshot's interval.
   */
  mapT(t: number): number {
    const n = this.recvCount;
    if (n === 0) return this.lastSeq < 0 ? 0 : this.lastT;
    for (let k = n - 1; k >= 0; k--) {
      const i = this.recvAt(k);
      if (this.recvAgentT[i] === t) return this.recvT[i];
    }
    for (let k = n - 2; k >= 0; k--) {
      const i = this.recvAt(k);
      const j = this.recvAt(k + 1);
      if (this.recvAgentT[i] < t && t < this.recvAgentT[j]) return this.recvTaken[i] ? Math.min(this.recvT[i] + (t - this.recvAgentT[i]), this.recvT[j]) : this.recvT[i];
    }
    const o = this.recvAt(0);
    if (t < this.recvAgentT[o]) return this.recvTaken[o] ? Math.max(0, this.recvT[o] - (this.recvAgentT[o] - t)) : this.recvT[o];
    return this.lastT;
  }

  /** The ring index of the k-th snapshot remembered, oldest first. */
  private recvAt(k: number): number {
    return (this.recvHead - this.recvCount + k + RELAY_MAP_SIZE) % RELAY_MAP_SIZE;
  }

  private received(agentT: number, t: number, taken: boolean): void {
    const i = this.recvHead;
    this.recvAgentT[i] = agentT;
    this.recvT[i] = t;
    this.recvTaken[i] = taken ? 1 : 0;
    this.recvHead = (i + 1) % RELAY_MAP_SIZE;
    if (this.recvCount < RELAY_MAP_SIZE) this.recvCount++;
  }

  private onAgentSnapshot(s: HostSnapshot): void {
    // A snapshot bigger than the host the agent describes (it sends a VM's description before its
    // first snapshot, and 'info' before the snapshots after a change) is refused: it would hold the
    // console's memory to what the snapshot claims, not what the host has (review 6: a 2-core host
    // sending 4096 cores drove the console to 2.6 GB).
    const shape = shapeProblem(s, this.info()) ?? snapshotConsistencyProblem(s);
    if (shape) return this.onRefused(shape, s, 'snapshot.shape');
    // An absurd t (not finite, backwards, a jump of 1e12 ms) is refused before it reaches the loop
    // and the recording: one such t would make the session span any time at all.
    const problem = snapshotTimeProblem(this.rebase ? null : this.prevAgentT, s.t, s.intervalMs);
    if (problem) {
      if (Number.isFinite(s.t)) {
        this.prevAgentT = s.t;
        if (this.lastSeq >= 0) this.received(s.t, this.lastT, false);
      }
      this.resync = this.lastSeq >= 0;
      this.onRefused(problem, s, 'snapshot.t');
      return;
    }
    this.prevAgentT = s.t;
    const wall = this.now();
    /** The session's time now by the console's clock (once it started): what its t should be. */
    const wallT = wall - this.wallFirst;
    const tied = Number.isFinite(this.maxBehindMs);
    if (this.rebase || (this.lastSeq >= 0 && s.seq + this.seqOffset <= this.lastSeq)) {
      this.rebase = false;
      this.resync = false;
      this.recvCount = 0;
      this.seqOffset = this.lastSeq + 1 - s.seq;
      // The session's time starts with its first snapshot, whose interval is [0, intervalMs]: the
      // agent's own t counts from the agent's start (it may have been up for hours), and the
      // session's wall start is when the console began recording it (wall = startedAt + t).
      // A later stretch (after a gap, or an agent that restarted) starts at the wall time: the gap
      // counts in session time as it lasted (at least one interval, at least the gap measured), so
      // charts show it as such, and a session that had fallen behind is back on the wall clock
      // (review 8: an agent restarted on another host went on 8 s off).
      this.tOffset = this.lastSeq < 0 ? s.intervalMs - s.t : Math.max(this.lastT + Math.max(s.intervalMs, this.pendingGapMs), tied ? wallT : -Infinity) - s.t;
      this.pendingGapMs = 0;
      this.behindSince = null;
    } else if (this.resync) {
      // The agent's clock moved (the refused snapshot): carry on one interval after the last taken.
      this.resync = false;
      this.tOffset = this.lastT + s.intervalMs - s.t;
    }
    if (this.lastSeq < 0) this.wallFirst = wall - s.intervalMs;
    else {
      // Session time may not fall behind the console's clock: an agent whose clock runs slow, or a
      // model agent that could not keep up, would make the session's start plus t drift before the
      // wall time (review 8: 140.6 s of wall time recorded as 132.2 s). When every snapshot for
      // BEHIND_HOLD_MS has come more than maxBehindMs behind it, the session moves up by the least
      // of those: a step forward in t. Snapshots that only came late (a burst after a network
      // stall: the newest of them is not behind) move nothing, so the session does not end ahead.
      const behind = wallT - (s.t + this.tOffset);
      if (behind <= this.maxBehindMs) this.behindSince = null;
      else if (this.behindSince === null) {
        this.behindSince = wall;
        this.behindLeast = behind;
      } else {
        this.behindLeast = Math.min(this.behindLeast, behind);
        if (wall - this.behindSince >= BEHIND_HOLD_MS) {
          this.tOffset += this.behindLeast;
          this.behindSince = null;
        }
      }
      // Session time may not run ahead of the console's clock (wall = startedAt + t): an agent whose
      // clock runs fast, or that sends snapshots faster than its interval, has the excess left out
      // (review 6: 20 s of wall time recorded as a 17-minute session).
      const ahead = s.t + this.tOffset - wallT;
      const allowed = this.maxAheadMs ?? AHEAD_MS + AHEAD_SHARE * wallT;
      if (ahead > allowed) {
        this.resync = true;
        this.onRefused(`snapshot.t would put the session ${Math.round(ahead)} ms ahead of the console's clock (at most ${Math.round(allowed)} ms: the agent's clock runs fast or it sends snapshots faster than its interval)`, s, 'snapshot.t');
        return;
      }
    }
    const out = this.seqOffset === 0 && this.tOffset === 0 ? s : { ...s, seq: s.seq + this.seqOffset, t: s.t + this.tOffset };
    this.lastSeq = out.seq;
    this.lastT = out.t;
    this.received(s.t, out.t, true);
    for (const cb of [...this.subs]) cb(out);
  }

  onSnapshot(cb: (s: HostSnapshot) => void): () => void {
    this.subs.add(cb);
    return () => this.subs.delete(cb);
  }
  onInfo(cb: (info: HostInfo) => void): () => void {
    return this.agent.onInfo(cb);
  }
  connection(): HostConnectionState {
    return this.agent.connection();
  }
  onConnection(cb: (c: HostConnectionState) => void): () => void {
    return this.agent.onConnection(cb);
  }
  close(): Promise<void> {
    this.subs.clear();
    return this.agent.close();
  }
}

/**
 * One loop's view of the continuous source: closing it only unsubscribes that loop, so the loop
 * can be rebuilt when the host's VMs change while the link stays open.
 */
class SessionView extends Delegating implements HostSource {
  private readonly unsubs: (() => void)[] = [];
  onSnapshot(cb: (s: HostSnapshot) => void): () => void {
    const u = this.inner.onSnapshot(cb);
    this.unsubs.push(u);
    return u;
  }
  async close(): Promise<void> {
    for (const u of this.unsubs.splice(0)) u();
  }
}

/** How far session time may run ahead of the console's clock: a fixed slack (a loaded agent's bursts) plus a share of the elapsed time (clock drift). */
const AHEAD_MS = 5000;
const AHEAD_SHARE = 0.01;
/** How far session time may fall behind the console's clock (network delay, a loaded agent's late snapshots)… */
const BEHIND_MS = 2000;
/** …for how long (wall ms) before it is moved up to it. */
const BEHIND_HOLD_MS = 1000;

/** Most relayed loop events kept per batch (an honest loop takes a few decisions per epoch). */
export const RELAY_EVENTS_MAX = 500;

/** The stand-in scenario of a real host (no phases, no workload: the host's own VMs run). */
function agentScenario(info: HostInfo): Scenario {
  return { name: `agent:${info.name}`, description: `remote host '${info.name}' through its agent`, host: { cores: info.cores, ghz: info.hz / 1e9 }, vms: [], phases: [] };
}

/** Connect to an agent and hold it as a LiveHost; see the file comment. Rejects with a clear error when the first connection fails. */
export async function createAgentLiveHost(opts: AgentHostOptions, deps: AgentHostDeps): Promise<AgentLiveHost> {
  const source = await AgentHostSource.connect({ url: opts.url, token: opts.token, ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.name ? { name: opts.name } : {}), clock: deps.clock, random: deps.random, ...deps.link });
  // Snapshots refused for their time or shape: said in the session's events (so recorded and shown), the
  // first few each and then one in 100 with the count, so a broken clock cannot flood the log.
  let refused = 0;
  const cont = new ContinuousSource(
    source,
    (problem, s, field) => {
      refused++;
      if (refused > 5 && refused % 100 !== 0) return;
      linkEvents.push({
        t: cont.lastT,
        source: 'agent',
        kind: 'error',
        message: `left out snapshot seq ${s.seq} from '${name()}': ${problem}${refused > 1 ? ` (${refused} left out so far)` : ''}; the session goes on`,
        data: { field, t: Number.isFinite(s.t) ? s.t : String(s.t), seq: s.seq, refused },
      });
    },
    () => deps.clock.now(),
    deps.maxAheadMs ?? null,
    deps.maxBehindMs ?? BEHIND_MS,
  );
  const remoteLoop = source.remoteLoop();
  let session: LiveSession | null = null;
  if (!remoteLoop) {
    try {
      session = new LiveSession(new SessionView(cont), { policy: opts.policy ?? 'iocm' });
    } catch (err) {
      // A policy this host cannot run (static:K with no VM core left): refused, and the link with it.
      await source.close();
      throw err;
    }
  }
  /** Events of a rebuilt loop are not dated before the rebuild. */
  let minEventT = 0;
  /** What a replaced loop still had to hand over. */
  let carried: TelemetryBatch | null = null;
  const batchMs = deps.batchMs ?? 100;
  const clock = deps.clock;
  const name = (): string => source.info().name;

  // Events of the link (gaps) and, with a remote loop, the relayed loop's events and snapshots.
  let linkEvents: HostEvent[] = [];
  let relaySnaps: HostSnapshot[] = [];
  let relayEvents: HostEvent[] = [];
  let relayStatus: LoopStatus | null = null;
  let relayDropped = 0;
  const mapStatus = (s: LoopStatus): LoopStatus => ({
    ...s,
    t: cont.mapT(s.t),
    ...(s.lastDecision ? { lastDecision: { ...s.lastDecision, t: cont.mapT(s.lastDecision.t) } } : {}),
    ...(s.lastStay ? { lastStay: { ...s.lastStay, t: cont.mapT(s.lastStay.t) } } : {}),
  });
  if (remoteLoop) {
    const st = source.loopStatus();
    relayStatus = st ? mapStatus(st) : null;
    cont.onSnapshot((s) => relaySnaps.push(s));
    source.onLoop((b) => {
      relayStatus = mapStatus(b.status);
      // A loop takes a few decisions per epoch: more than RELAY_EVENTS_MAX per batch is a
      // flooding agent, whose events would fill the history's disk (review 6: 3.3 GB in 60 s).
      const keep = Math.min(b.events.length, Math.max(0, RELAY_EVENTS_MAX - relayEvents.length));
      for (let i = 0; i < keep; i++) relayEvents.push({ ...b.events[i], t: cont.mapT(b.events[i].t) });
      relayDropped += b.events.length - keep;
    });
  }
  let downSince: number | null = null;
  source.onConnection((c) => {
    if (c.state === 'reconnecting' && downSince === null) {
      downSince = c.since;
      linkEvents.push({ t: cont.lastT, source: 'system', kind: 'disconnect', message: `lost the link to '${name()}' (${c.error ?? 'unknown reason'}); no data and no decisions until it is back`, data: { error: c.error } });
    } else if (c.state === 'connected' && downSince !== null) {
      const gapMs = Math.max(0, c.since - downSince);
      downSince = null;
      cont.gap(gapMs);
      linkEvents.push({ t: cont.lastT, source: 'system', kind: 'connect', message: `link to '${name()}' back after ${(gapMs / 1000).toFixed(1)} s (a gap in the data)`, data: { gapMs, from: cont.lastT } });
    }
  });
  source.onError((message) => linkEvents.push({ t: cont.lastT, source: 'agent', kind: 'error', message }));
  // The host's VMs or devices changed: the loop keyed its groups and window on the old ones, so it
  // is rebuilt with the same policy, limits and operator overrides.
  // Another host behind the same agent address (not VMs coming and going): said in the events and
  // to the services, which end the recorded session at the old host's last snapshot.
  let lastInfo = source.info();
  const hostChangeSubs = new Set<(c: HostChange) => void>();
  // What is said of another host (the loop restarted on it…) is dated at its first snapshot: it
  // belongs to the session that records that host, not to the old host's last moment.
  let atNextSnapshot: HostEvent[] = [];
  cont.onSnapshot((s) => {
    if (atNextSnapshot.length === 0) return;
    for (const ev of atNextSnapshot) linkEvents.push({ ...ev, t: Math.max(ev.t, s.t) });
    atNextSnapshot = [];
  });
  cont.onInfo((info) => {
    const other = hostIdentityChange(lastInfo, info);
    lastInfo = info;
    if (other !== null) {
      linkEvents.push({ t: cont.lastT, source: 'system', kind: 'notice', message: `'${info.name}' is another host now: ${other}`, data: { hostChanged: other } });
      for (const cb of [...hostChangeSubs]) cb({ afterT: cont.lastT, reason: other });
    }
    const about = (ev: HostEvent): void => {
      if (other === null) linkEvents.push(ev);
      else if (atNextSnapshot.length < 16) atNextSnapshot.push(ev);
    };
    if (!session) {
      about({ t: cont.lastT, source: 'agent', kind: 'notice', message: `host '${info.name}' changed: ${info.vms.length} VMs, ${info.queues.length} queues` });
      return;
    }
    const old = session;
    const st = old.status();
    const rest = old.takeBatch();
    if (rest) carried = carried ? { snapshots: [...carried.snapshots, ...rest.snapshots], events: [...carried.events, ...rest.events] } : rest;
    void old.close();
    minEventT = cont.lastT;
    let next: LiveSession;
    let policyNote = `policy ${st.policy}`;
    try {
      next = new LiveSession(new SessionView(cont), { policy: st.policy, policyConfig: st.config, limits: st.limits });
    } catch (err) {
      // The host changed under a policy it can no longer run (static:K on fewer cores): the loop
      // goes on under iocm rather than the callback throwing, and the event says why.
      next = new LiveSession(new SessionView(cont), { policy: 'iocm', limits: st.limits });
      policyNote = `policy iocm (${st.policy} does not fit the changed host: ${(err as Error).message})`;
    }
    const ov = st.overrides;
    for (const core of ov.pinned) next.override({ kind: 'pin', core });
    for (const core of ov.released) next.override({ kind: 'release', core });
    if (ov.countLock) next.override({ kind: 'lockCount', min: ov.countLock[0], max: ov.countLock[1] });
    if (ov.paused) next.override({ kind: 'pause' });
    session = next;
    about({ t: cont.lastT, source: 'system', kind: 'notice', message: `host '${info.name}' changed (${info.vms.length} VMs, ${info.queues.length} queues): the loop restarted with ${policyNote} and the same overrides`, data: { vms: info.vms.length, queues: info.queues.length } });
  });

  const status = (): LoopStatus => {
    if (session) return { ...session.status(), state: 'running' };
    return relayStatus ?? emptyStatus(source.config().sideCores, name());
  };

  const batchSubs = new Set<(b: TelemetryBatch) => void>();
  const takeBatch = (): TelemetryBatch | null => {
    let b: TelemetryBatch | null;
    if (session) {
      b = session.takeBatch();
      if (b) for (const e of b.events) if (e.t < minEventT) e.t = minEventT;
      if (carried) {
        b = b ? { snapshots: [...carried.snapshots, ...b.snapshots], events: [...carried.events, ...b.events] } : carried;
        carried = null;
      }
      if (linkEvents.length) {
        b ??= { snapshots: [], events: [], status: status() };
        b.events.push(...linkEvents);
      }
      if (b) b.status = status();
    } else {
      if (relayDropped > 0) {
        linkEvents.push({ t: cont.lastT, source: 'agent', kind: 'error', message: `the agent's loop sent more than ${RELAY_EVENTS_MAX} events in one batch (${batchMs} ms): ${relayDropped} left out`, data: { field: 'loop.events', dropped: relayDropped } });
        relayDropped = 0;
      }
      if (relaySnaps.length === 0 && relayEvents.length === 0 && linkEvents.length === 0) return null;
      b = { snapshots: relaySnaps, events: [...relayEvents, ...linkEvents], status: status() };
      relaySnaps = [];
      relayEvents = [];
    }
    linkEvents = [];
    if (b) b.events.sort((x, y) => x.t - y.t);
    return b;
  };
  let timer: unknown = null;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    const b = takeBatch();
    if (b) for (const cb of [...batchSubs]) cb(b);
    timer = clock.setTimeout(tick, batchMs);
  };
  timer = clock.setTimeout(tick, batchMs);

  const notConnected = (): string | null => (source.connection().state === 'connected' ? null : `the agent '${name()}' is not connected (${source.connection().error ?? source.connection().state}); try again when the link is back`);

  return {
    source,
    remoteLoop,
    get info() {
      return source.info();
    },
    get scenario() {
      return agentScenario(source.info());
    },
    seed: 0,
    speed: 1,
    config: () => source.config(),
    status,
    override: async (cmd: OverrideCommand): Promise<OverrideResult> => {
      const down = notConnected();
      if (down) return { ok: false, error: down };
      if (session) return session.override(cmd);
      return source.override(cmd);
    },
    setPolicy: async (policy: string, config: PolicyConfig): Promise<ConfigError[]> => {
      if (session) return session.setPolicy(policy, config);
      const down = notConnected();
      if (down) return [{ field: 'name', message: down }];
      return source.setPolicy(policy, config);
    },
    // A real host runs at real time: pacing is not the console's to change.
    // A real host runs in real time (the services refuse speed changes for agent hosts first).
    setSpeed: () => {
      throw new Error('a real host runs in real time; speed applies to the host model only');
    },
    onBatch: (cb) => {
      batchSubs.add(cb);
      return () => void batchSubs.delete(cb);
    },
    connection: () => source.connection(),
    onConnection: (cb) => source.onConnection(cb),
    onHostChange: (cb) => {
      hostChangeSubs.add(cb);
      return () => void hostChangeSubs.delete(cb);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clock.clearTimeout(timer);
      batchSubs.clear();
      if (session) await session.close();
      await cont.close();
    },
  };
}

/** A loop status for a relayed agent loop before its first relay message. */
function emptyStatus(sideCores: number[], name: string): LoopStatus {
  return {
    t: 0,
    policy: 'unknown',
    config: {},
    epochMs: 0,
    overrides: { pinned: [], released: [], countLock: null, paused: false },
    limits: { minVmCores: 1, maxSideCores: 0, minChangeIntervalMs: 0 },
    sideCores,
    lastDecision: null,
    changes: 0,
    source: { kind: 'agent', name },
  };
}
