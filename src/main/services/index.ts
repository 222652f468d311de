/**
 * The services behind IocmApi: one provider per concern, composed here
 * (Zettlr style: each with boot/shutdown):
 * - live: the host model + IOcm loop in a worker thread (LiveRunner, src/main/loop/live.ts),
 *   paced at real time × speed, behind the LiveHost interface (./live.ts);
 * - recording: every live snapshot and event goes to the history Recorder (SQLite in the
 *   history worker, never on this thread);
 * - history: sessions list/details, downsampled series, audit log, export, what-if
 *   (HistoryClient, src/main/history/client.ts);
 * - replay: the history ReplayCursor, producing the live batch shape tagged 'replay';
 * - catalogue: scenarios and policies.
 * Errors are values in words a user understands; nothing here throws across the API.
 */
import type { ObservabilityProfile } from '../../shared/observe.ts';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  err,
  ok,
  type AuditEntry,
  type ConsoleState,
  type IocmApi,
  type IocmHandlers,
  type MethodName,
  type Overrides,
  type Result,
  type SafetyLimits,
  type ScenarioSummary,
  type SessionControl,
  type SessionSummary,
} from '../../shared/api.ts';
import { thinSnapshots } from '../../shared/snapshot.ts';
import { validateArgs } from '../../shared/api-schema.ts';
import type { ConfigError, HostEvent, OverrideCommand, PolicyConfig } from '../../shared/policy.ts';
import { listPolicies, resolvePolicyForHost } from '../policy/registry.ts';
import { listScenarios, loadScenario } from '../scenario/index.ts';
import { HistoryClient, type Recorder } from '../history/client.ts';
import { ReplayCursor } from '../history/replay.ts';
import { HistoryError } from '../history/schema.ts';
import { pathToFileURL } from 'node:url';
import { defaultLimits } from '../loop/loop.ts';
import { EventHub } from './events.ts';
import { ExportFiles, type ExportSource } from './exports.ts';
import type { AgentHostOptions, LiveHost } from './live.ts';
import { HostRegistry, MAX_HOSTS, RECENT, type HostEntry, type Timers } from './hosts.ts';
import { LiveRunner, liveWorkerEntry } from '../loop/live.ts';

/** A wall clock (ms since the epoch). Injected so tests can control it. */
export interface Clock {
  now(): number;
}

/** Options of {@link createServices}. */
export interface ServicesOptions {
  /** History database file (created if missing). */
  dbPath: string;
  /** Scenario (name or path) the embedded model runs at boot; null: start disconnected. */
  scenario: string | null;
  seed: number;
  /** Pacing of the live model (default 1 = real time). */
  speed?: number;
  /** Initial policy (default 'iocm'). */
  policy?: string;
  /** What the loop's policies see of the model host (default 'qemu'; 'full' is the research profile). */
  observe?: ObservabilityProfile;
  clock?: Clock;
  /** Resources directory (scenarios); default: the repository's resources/. */
  resourcesDir?: string;
  /** Built worker entry points by name (Electron build), e.g. { 'history-worker': '/…/out/main/workers/history-worker.js' }. */
  workerPaths?: Record<string, string>;
  /** better-sqlite3 native build for Electron's ABI (desktop app). */
  nativeBinding?: string;
  /** Live batch period in wall ms (default 100: 10 batches/s). */
  tickMs?: number;
  /**
   * Opens a remote agent as a LiveHost (the shells pass src/main/services/agent-host.ts's
   * createAgentLiveHost). Without it connectAgent answers `not-available`.
   */
  openAgent?: (o: AgentHostOptions) => Promise<LiveHost>;
  /** How long connectAgent waits for an agent before answering (default 30 000 ms). */
  agentTimeoutMs?: number;
  /** Timers of the fleet push (default the global ones). */
  timers?: Timers;
  /** Fleet push period, ms (default 1000). */
  fleetMs?: number;
}

/** The composed services. */
export interface Services {
  api: IocmApi;
  /** Open the database and connect the boot scenario. */
  boot(): Promise<void>;
  /** Stop the live host and any replay, end the recording, close the database. */
  shutdown(): Promise<void>;
  /** Exported files waiting for their download or save dialog (exportSession's `exportId`). */
  exports: ExportSource;
}

/** A name safe inside a file name: letters, digits, `._-` only, no leading dot (ids and names never become paths). */
export function fileNamePart(s: string, fallback: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 80) || fallback;
}

const NO_OVERRIDES: Overrides = { pinned: [], released: [], countLock: null, paused: false };

/** Agent connections that may be under way at once. */
const MAX_PENDING_AGENTS = 4;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A sentence: capital first letter, closing full stop. */
function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');
}

/**
 * A policy setting refused (setPolicy, whatIf), in the same words and on the same field for both:
 * a field of the config sent is named as such (`config.<key>`); one the name implies (the K of
 * static:K), or the name itself, is the name's (`nameField`). A message that names the field by its
 * label stands alone ("Target side-core load must be ≤ 1 (got 5)"); one that does not is prefixed
 * with the field's key, as written ("x: must be …", not "X: …" of a camelCase key).
 */
function policyConfigErr(e: ConfigError, name: string, config: PolicyConfig | undefined, nameField: 'name' | 'policy'): Result<never> {
  const said = /^[A-Z]/.test(e.message);
  if (e.field !== 'policy' && config && Object.hasOwn(config, e.field)) return err('invalid-argument', said ? e.message : `${e.field}: ${e.message}`, `config.${e.field}`);
  if (e.field !== 'policy') return err('invalid-argument', capitalize(`policy ${name}: ${said ? e.message : `${e.field}: ${e.message}`}`), nameField);
  return err('invalid-argument', capitalize(e.message), nameField);
}

/** Why `policy` cannot run on a host of `cores` cores (resolvePolicyForHost's words), or null when it can. */
function policyFitError(policy: string, cores: number): string | null {
  try {
    resolvePolicyForHost(policy, cores);
    return null;
  } catch (e) {
    return message(e);
  }
}

/** Build the services. Nothing runs until {@link Services.boot}. */
export function createServices(opts: ServicesOptions): Services {
  const clock = opts.clock ?? { now: () => Date.now() };
  if (opts.resourcesDir) process.env.IOCM_RESOURCES = opts.resourcesDir;
  const hub = new EventHub();
  let db: HistoryClient | null = null;
  /** Why the history database is not open (set by boot), shown as recording.error while it lasts. */
  let historyError: string | null = null;
  const exportFiles = new ExportFiles(() => clock.now());
  /** Connections and disconnections run one at a time (an old host is stopped before the next starts). */
  let connectQueue: Promise<unknown> = Promise.resolve();
  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = connectQueue.then(fn, fn);
    connectQueue = run.catch(() => {});
    return run;
  }
  let replay: ReplayCursor | null = null;
  const ops = new Map<string, AbortController>();
  const hosts = new HostRegistry({
    hub,
    now: () => clock.now(),
    timers: opts.timers ?? { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
    db: () => db,
    historyError: () => historyError,
    notice,
    selectedChanged: () => pushStatus(),
    fleetMs: opts.fleetMs,
  });

  // -------------------------------------------------------------------------
  // state

  function state(): ConsoleState {
    const h = hosts.selected();
    const live = h?.live ?? null;
    const loop = live?.status() ?? null;
    const limits: SafetyLimits = loop?.limits ?? defaultLimits(live?.info.cores ?? 2);
    return {
      hostId: h?.id ?? null,
      connection: !h
        ? { kind: 'none' }
        : h.kind === 'model'
          ? { kind: 'model', scenario: h.model?.scenario ?? h.live.scenario.name, seed: h.live.seed, speed: h.live.speed }
          : { kind: 'agent', url: h.address, name: h.name },
      link: h?.link ? { ...h.link } : null,
      host: live ? { ...live.info, name: h!.name } : null,
      config: live?.config() ?? null,
      loop,
      overrides: loop?.overrides ?? NO_OVERRIDES,
      limits,
      recording: { sessionId: h?.sessionId ?? null, dbPath: opts.dbPath, error: h ? h.recordingError : db ? null : historyError },
      replay: replay?.state() ?? null,
    };
  }

  function pushStatus(): void {
    hub.emit('status', state());
  }

  function notice(level: 'info' | 'warning' | 'error', text: string): void {
    hub.emit('notice', { level, message: text, at: clock.now() });
  }

  /** The recorder of the session `id` when a connected host is recording it now (flush before reading it). */
  function liveRecorder(id: string): Recorder | null {
    for (const h of hosts.list()) if (h.sessionId === id && h.recorder && !h.recordingError) return h.recorder;
    return null;
  }

  // -------------------------------------------------------------------------
  // live hosts

  /**
   * Start the model on a scenario: replacing the selected model host (or the first), or beside the
   * others when `add`. `policy` null: the one carried over from the selected model host (else the
   * console's default), or the default when the carried one cannot run on this scenario.
   */
  async function connect(scenarioName: string, seed: number, speed: number, policy: string | null, add: boolean, name?: string): Promise<Result<ConsoleState>> {
    let scenario;
    try {
      scenario = loadScenario(scenarioName);
    } catch (e) {
      return err('not-found', `Cannot load scenario '${scenarioName}': ${message(e)}`, 'scenario');
    }
    const sel = hosts.selected();
    const cores = scenario.host.cores;
    // The policy must fit this host as `iocm simulate` would have it (static:K leaves a VM core).
    // A carried one that does not (static:7 moving to a 6-core scenario) gives way to the default
    // rather than refusing a request that named no policy; one the caller chose is refused before
    // the host in place is replaced.
    const fallback = opts.policy ?? 'iocm';
    if (policy === null) {
      const carried = (sel?.kind === 'model' ? sel.live.status().policy : null) ?? fallback;
      policy = policyFitError(carried, cores) === null ? carried : policyFitError(fallback, cores) === null ? fallback : 'iocm';
    }
    const misfit = policyFitError(policy, cores);
    if (misfit !== null) return err('invalid-argument', capitalize(`policy ${policy} does not fit scenario '${scenario.name}': ${misfit}`), 'policy');
    const replaced = add ? null : sel?.kind === 'model' ? sel : (hosts.list().find((h) => h.kind === 'model') ?? null);
    if (!replaced && hosts.full()) return err('refused', `The console holds ${MAX_HOSTS} hosts already: disconnect one first.`);
    if (replaced) await hosts.remove(replaced.id, false);
    let runner: LiveRunner;
    try {
      const entry = opts.workerPaths?.['live-worker'];
      runner = await LiveRunner.start({ scenario, seed, speed, policy, observe: opts.observe, batchMs: opts.tickMs ?? 100 }, entry ? pathToFileURL(entry) : liveWorkerEntry());
    } catch (e) {
      hosts.pushFleet();
      pushStatus();
      if (e instanceof RangeError) return err('invalid-argument', capitalize(e.message), 'speed');
      return err('internal', `Could not start the host model: ${message(e)}`);
    }
    const others = new Set(hosts.list().map((h) => h.name));
    let display = name ?? runner.info.name;
    for (let i = 2; !name && others.has(display); i++) display = `${runner.info.name} (${i})`;
    await hosts.add('model', runner, { name: display, address: `model: ${scenario.name}`, model: { scenario: scenarioName, seed } });
    return ok(state());
  }

  /** The token must never reach a message: replace it wherever an error repeats it. */
  function scrub(text: string, token: string): string {
    return token.length >= 4 ? text.split(token).join('***') : text;
  }

  /** Agent connections under way (each may wait for a slow network): at most {@link MAX_PENDING_AGENTS}. */
  let pendingAgents = 0;

  /**
   * Open an agent and hold it. Not serialized with the other connections (a slow or silent
   * address must not hold up the model or other agents): at most MAX_PENDING_AGENTS at once, each
   * answered within `agentTimeoutMs`; a host that opens after its answer timed out is stopped.
   */
  /** Agent addresses being connected (see connectAgentHost). */
  const pendingKeys = new Set<string>();
  /** An agent's identity: scheme, host and port (defaults filled in by URL), and its path (/agent when none). */
  function agentKey(u: URL): string {
    const path = u.pathname === '/' || u.pathname === '' ? '/agent' : u.pathname;
    return `${u.protocol}//${u.host.toLowerCase()}${path}`;
  }

  async function connectAgentHost(o: AgentHostOptions): Promise<Result<ConsoleState>> {
    const openAgent = opts.openAgent;
    if (!openAgent) {
      return err('not-available', 'Connecting to a remote agent is not available in this build: its agent client is not included. Use the embedded model.');
    }
    const url = new URL(o.url);
    // what the console shows of the address: no query string (it may carry secrets), never the token
    const address = `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    if (hosts.full()) return err('refused', `The console holds ${MAX_HOSTS} hosts already: disconnect one first.`);
    // One connection per agent: a second would take control from the first (the agent gives it to
    // the latest console), and the two loops would fight over one host.
    const key = agentKey(url);
    const same = hosts.list().find((h) => h.kind === 'agent' && agentKey(new URL(h.address)) === key);
    if (same) return err('refused', `The agent at ${address} is connected already, as '${same.name}': select it, or disconnect it first.`, 'url');
    if (pendingKeys.has(key)) return err('refused', `A connection to the agent at ${address} is under way already.`, 'url');
    if (pendingAgents >= MAX_PENDING_AGENTS) return err('refused', `${MAX_PENDING_AGENTS} agent connections are under way already: wait for them to finish.`);
    pendingAgents++;
    pendingKeys.add(key);
    let live: LiveHost;
    try {
      const opening = openAgent({ ...o, policy: o.policy ?? opts.policy ?? 'iocm' });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), opts.agentTimeoutMs ?? 30_000)));
      const first = await Promise.race([opening, timeout]).finally(() => clearTimeout(timer));
      if (first === 'timeout') {
        opening.then((h) => h.stop()).catch(() => undefined);
        return err('not-ready', `Could not connect to the agent at ${address}: no answer within ${((opts.agentTimeoutMs ?? 30_000) / 1000).toFixed((opts.agentTimeoutMs ?? 30_000) % 1000 ? 1 : 0)} s.`, 'url');
      }
      live = first;
    } catch (e) {
      return err('not-ready', scrub(`Could not connect to the agent at ${address}: ${message(e)}`, o.token), 'url');
    } finally {
      pendingAgents--;
      pendingKeys.delete(key);
    }
    if (hosts.full()) {
      await live.stop().catch(() => undefined);
      return err('refused', `The console holds ${MAX_HOSTS} hosts already: disconnect one first.`);
    }
    await hosts.add('agent', live, { name: o.name ?? live.info.name, address });
    return ok(state());
  }

  async function overrideCmd(cmd: OverrideCommand): Promise<Result<Overrides>> {
    const h = hosts.selected();
    if (!h) return err('not-ready', 'No host is connected: connect to the model first.');
    const r = await h.live.override(cmd);
    const s = state();
    hub.emit('status', s);
    return r.ok ? ok(s.overrides) : err('refused', capitalize(r.error));
  }

  function hostOrSelected(id: string | undefined): Result<HostEntry> {
    const h = id === undefined ? hosts.selected() : hosts.get(id);
    if (h) return ok(h);
    return id === undefined ? err('not-ready', 'No host is connected: connect to the model first.') : err('not-found', `There is no connected host '${id}'.`, 'hostId');
  }

  // -------------------------------------------------------------------------
  // history

  function needDb(): HistoryClient | null {
    return db;
  }
  function historyErr<T>(e: unknown): Result<T> {
    const code = (e as { code?: string }).code;
    return err(code === 'not-found' ? 'not-found' : 'internal', capitalize(message(e)));
  }
  function summary(s: SessionSummary): SessionSummary {
    return {
      id: s.id,
      host: s.host,
      source: s.source,
      scenario: s.scenario,
      policy: s.policy,
      startedAt: s.startedAt,
      recordedFrom: s.recordedFrom,
      endedAt: s.endedAt,
      durationMs: s.durationMs,
      snapshots: s.snapshots,
      decisions: s.decisions,
      parentId: s.parentId,
    };
  }
  function withControl(s: SessionSummary, control: Record<string, SessionControl>): SessionSummary {
    const c = control[s.id];
    return c ? { ...s, control: c } : s;
  }
  function auditOf(e: HostEvent, startedAt: number): AuditEntry | null {
    if (e.kind !== 'override' && e.kind !== 'audit' && !(e.kind === 'error' && e.data && 'action' in e.data)) return null;
    const okFlag = (e.data as { ok?: boolean } | undefined)?.ok;
    const refused = okFlag === false || e.kind === 'error';
    const error = (e.data as { error?: unknown } | undefined)?.error;
    let action = e.message.replace(/^refused: /, '');
    // The reason once: apart as the detail, not also at the end of the action's words.
    let detail = refused && typeof error === 'string' ? error : '';
    if (detail && action.endsWith(detail)) {
      const head = action.slice(0, -detail.length).replace(/[\s:;,—-]+$/, '');
      if (head) action = head;
      else detail = '';
    }
    return {
      t: e.t,
      at: startedAt + e.t,
      source: e.source,
      action,
      ok: !refused,
      // The refusal's reason when the event carries one apart; else the action's words already say it.
      detail,
    };
  }

  // -------------------------------------------------------------------------
  // handlers

  const handlers: IocmHandlers = {
    async getState() {
      return ok(state());
    },
    async listScenarios() {
      const out: ScenarioSummary[] = [];
      for (const l of listScenarios()) {
        if (l.error) continue;
        try {
          const s = loadScenario(l.file);
          out.push({
            name: l.name,
            description: s.description ?? l.description ?? '',
            cores: s.host.cores,
            vms: s.vms.reduce((a, g) => a + g.count, 0),
            groups: s.vms.map((g) => g.name),
            phases: s.phases.map((p) => ({ name: p.name, seconds: p.seconds })),
          });
        } catch {
          // listed with an error already; skip
        }
      }
      return ok(out);
    },
    async listPolicies() {
      return ok(listPolicies());
    },
    async listSessions(filter) {
      const d = needDb();
      if (!d) return err('not-ready', 'The history database is not open.');
      try {
        const list = await d.listSessions(filter);
        // each session's policy changes and operator overrides (one indexed query per session, in the worker)
        const control = await d.controlTrails(list.map((s) => s.id));
        return ok(list.map((s) => withControl(summary(s), control)));
      } catch (e) {
        return historyErr(e);
      }
    },
    async getSession({ sessionId: id }) {
      const d = needDb();
      if (!d) return err('not-ready', 'The history database is not open.');
      try {
        const s = await d.getSession(id);
        const control = await d.controlTrails([id]);
        return ok({ ...withControl(summary(s), control), policyConfig: s.policyConfig, info: s.info, appVersion: s.appVersion, t0: s.t0, t1: s.t1 });
      } catch (e) {
        return historyErr(e);
      }
    },
    async querySeries(q) {
      const d = needDb();
      if (!d) return err('not-ready', 'The history database is not open.');
      try {
        const r = await d.querySeries(q);
        return ok({ t: r.t, resolutionMs: r.resolutionMs, series: r.series.map((s) => ({ key: s.key, values: s.values })) });
      } catch (e) {
        return historyErr(e);
      }
    },
    async getSessionEvents({ sessionId: id, limit, all }) {
      const d = needDb();
      if (!d) return err('not-ready', 'The history database is not open.');
      try {
        await liveRecorder(id)?.flush();
        const events = (await d.eventsBetween(id, -Infinity, Infinity)).filter(
          (e) => e.kind === 'override' || e.kind === 'disconnect' || e.kind === 'connect' || (e.kind === 'decision' && (all || !['stay', 'paused'].includes((e.data as { decision?: { kind?: string } } | undefined)?.decision?.kind ?? ''))),
        );
        return ok(events.slice(-(limit ?? 5000)));
      } catch (e) {
        return historyErr(e);
      }
    },
    async getAuditLog({ sessionId: id, limit }) {
      const d = needDb();
      const sid = id ?? hosts.selected()?.sessionId ?? null;
      if (!d || !sid) return ok([]);
      try {
        await liveRecorder(sid)?.flush();
        const s = await d.getSession(sid);
        const entries = (await d.eventsBetween(sid, -Infinity, Infinity))
          .map((e) => auditOf(e, s.startedAt))
          .filter((x): x is AuditEntry => x !== null);
        return ok(limit ? entries.slice(-limit) : entries);
      } catch (e) {
        return historyErr(e);
      }
    },
    async getRecentTelemetry({ snapshots, windowMs, detail }) {
      const h = hosts.selected();
      const recent = h?.recent ?? [];
      const n = Math.min(snapshots ?? 100, RECENT);
      let snaps = n > 0 ? recent.slice(-n) : [];
      let events = (h?.recentEvents ?? []).slice(-500);
      if (windowMs !== undefined && recent.length) {
        const from = recent[recent.length - 1].t - windowMs;
        snaps = snaps.filter((s) => s.t > from);
        events = events.filter((e) => e.t > from);
      }
      // Thinned as the live stream sends it, unless asked for in full.
      const thin = detail === 'full' ? { snapshots: snaps } : thinSnapshots(snaps);
      return ok({ stream: 'live', sessionId: h?.sessionId ?? null, ...(h ? { hostId: h.id } : {}), ...(thin.trend ? { trend: thin.trend } : {}), batch: { snapshots: thin.snapshots, events } });
    },
    async connectModel({ scenario, seed, speed, add, name }) {
      // Only the catalogue's scenarios: a name from a client never becomes a path, and the
      // answer says nothing about files on this machine.
      const names = listScenarios()
        .filter((l) => !l.error)
        .map((l) => l.name);
      if (!names.includes(scenario)) {
        return err('not-found', `There is no scenario named '${scenario.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)}' in the catalogue. Choose one of: ${names.join(', ')}.`, 'scenario');
      }
      // The policy is not the request's: connect() carries it over from the model host in place.
      return serialized(() => connect(scenario, seed, speed, null, !!add, name));
    },
    async connectAgent({ url, token, ca, name }) {
      return connectAgentHost({ url, token, ...(ca !== undefined ? { ca } : {}), ...(name !== undefined ? { name } : {}) });
    },
    async listHosts() {
      return ok(hosts.rows());
    },
    async selectHost({ hostId }) {
      if (!hosts.select(hostId)) return err('not-found', `There is no connected host '${hostId}'.`, 'hostId');
      return ok(state());
    },
    async disconnectHost({ hostId }) {
      return serialized(async () => {
        if (!(await hosts.remove(hostId))) return err('not-found', `There is no connected host '${hostId}'.`, 'hostId');
        const s = state();
        hub.emit('status', s);
        return ok(s);
      });
    },
    async recordStart({ hostId }) {
      const h = hostOrSelected(hostId);
      if (!h.ok) return h;
      if (h.value.recorder) return err('refused', `${h.value.name} is being recorded already (session ${h.value.sessionId}).`);
      const problem = await hosts.startRecording(h.value);
      if (problem) return err('not-available', capitalize(problem));
      const s = state();
      hub.emit('status', s);
      hosts.pushFleet();
      return ok(s);
    },
    async recordStop({ hostId }) {
      const h = hostOrSelected(hostId);
      if (!h.ok) return h;
      if (!h.value.recorder) return err('refused', `${h.value.name} is not being recorded.`);
      await hosts.stopRecording(h.value);
      const s = state();
      hub.emit('status', s);
      hosts.pushFleet();
      return ok(s);
    },
    async setLiveSpeed({ speed }) {
      const sel = hosts.selected();
      const live = sel?.live;
      if (!sel || !live) return err('not-ready', 'No host is connected: connect to the model first.');
      // A real host runs in real time: pacing is the model's alone (refused, never a silent no-op).
      if (sel.kind !== 'model') return err('refused', `${sel.name} is a real host and runs in real time; speed applies to the host model only.`, 'speed');
      try {
        live.setSpeed(speed);
      } catch (e) {
        return err('invalid-argument', capitalize(message(e)), 'speed');
      }
      const s = state();
      hub.emit('status', s);
      return ok(s);
    },
    pinCore: ({ core }) => overrideCmd({ kind: 'pin', core }),
    releaseCore: ({ core }) => overrideCmd({ kind: 'release', core }),
    clearCoreOverride: ({ core }) => overrideCmd({ kind: 'clear', core }),
    lockSideCoreCount: ({ min, max }) => overrideCmd({ kind: 'lockCount', min, max }),
    unlockSideCoreCount: () => overrideCmd({ kind: 'unlockCount' }),
    pauseLoop: () => overrideCmd({ kind: 'pause' }),
    resumeLoop: () => overrideCmd({ kind: 'resume' }),
    async setPolicy({ name, config }) {
      const live = hosts.selected()?.live;
      if (!live) return err('not-ready', 'No host is connected: connect to the model first.');
      const errors = await live.setPolicy(name, config);
      if (errors.length) return policyConfigErr(errors[0], name, config, 'name');
      const s = state();
      hub.emit('status', s);
      return ok(s.loop!);
    },
    async openReplay({ sessionId: id }) {
      const d = needDb();
      if (!d) return err('not-ready', 'The history database is not open.');
      replay?.close();
      replay = null;
      try {
        await liveRecorder(id)?.flush();
        const cursor = await ReplayCursor.open(d, id, {
          onBatch: (batch) => hub.emit('telemetry', { stream: 'replay', sessionId: id, batch }),
          onState: () => pushStatus(),
        });
        replay = cursor;
        const st = await cursor.seek(cursor.session.t0);
        pushStatus();
        return ok(st);
      } catch (e) {
        return historyErr(e);
      }
    },
    async replayPlay() {
      if (!replay) return noReplay();
      replay.play();
      return ok(replay.state());
    },
    async replayPause() {
      if (!replay) return noReplay();
      replay.pause();
      return ok(replay.state());
    },
    async replaySetSpeed({ speed }) {
      if (!replay) return noReplay();
      replay.setSpeed(speed);
      return ok(replay.state());
    },
    async replaySeek({ t }) {
      return replay ? ok(await replay.seek(t)) : noReplay();
    },
    async replayStep({ direction }) {
      return replay ? ok(await replay.step(direction)) : noReplay();
    },
    async replayJumpToDecision({ direction }) {
      if (!replay) return noReplay();
      const before = replay.state().t;
      const st = await replay.jump(direction);
      if (st.t === before) {
        return err('not-found', direction === 'next' ? 'There is no later decision or override in this session.' : 'There is no earlier decision or override in this session.');
      }
      return ok(st);
    },
    async closeReplay() {
      replay?.close();
      replay = null;
      pushStatus();
      return ok(null);
    },
    async exportSession({ sessionId: id, format, layout, opId }) {
      const d = needDb();
      if (!d) return err('not-ready', 'The history database is not open.');
      const ac = new AbortController();
      if (opId) ops.set(opId, ac);
      const dir = mkdtempSync(join(tmpdir(), 'iocm-export-'));
      let kept = false;
      try {
        await liveRecorder(id)?.flush();
        const s = await d.getSession(id);
        const base = `${fileNamePart(s.scenario, 'session')}-${fileNamePart(id, 'session')}${format === 'csv' ? `-${layout ?? 'long'}` : ''}.${format}`;
        const out = join(dir, base);
        await d.exportSession(
          { sessionId: id, format, out, csvLayout: layout ?? 'long' },
          { signal: ac.signal, onProgress: (fraction, msg) => opId && hub.emit('progress', { opId, kind: 'export', fraction, message: msg }) },
        );
        if (opId) hub.emit('progress', { opId, kind: 'export', fraction: 1, message: 'Export done', done: true });
        const mimeType = format === 'csv' ? 'text/csv' : format === 'json' ? 'application/json' : 'application/vnd.sqlite3';
        const size = statSync(out).size;
        // The file stays on disk until its transport takes it (download or save dialog).
        const exportId = exportFiles.add(dir, out, base, mimeType);
        kept = true;
        return ok({ fileName: base, mimeType, size, exportId });
      } catch (e) {
        if (ac.signal.aborted) return err('cancelled', 'The export was cancelled.');
        return historyErr(e);
      } finally {
        if (opId) ops.delete(opId);
        if (!kept) rmSync(dir, { recursive: true, force: true });
      }
    },
    async whatIf({ sessionId: id, policy, config, opId }) {
      const d = needDb();
      if (!d) return err('not-ready', 'The history database is not open.');
      const ac = new AbortController();
      if (opId) ops.set(opId, ac);
      try {
        await liveRecorder(id)?.flush();
        const r = await d.whatIf(
          { sessionId: id, policy, ...(config ? { config } : {}) },
          { signal: ac.signal, onProgress: (fraction, msg) => opId && hub.emit('progress', { opId, kind: 'whatif', fraction, message: msg }) },
        );
        if (opId) hub.emit('progress', { opId, kind: 'whatif', fraction: 1, message: 'What-if done', done: true });
        return ok(r.comparison);
      } catch (e) {
        if (ac.signal.aborted) return err('cancelled', 'The what-if run was cancelled.');
        // A policy the re-run cannot take (unknown name, a setting out of range, static without its
        // count, a count the session's host cannot hold) is the request's fault, named by field as
        // setPolicy names it: a setting sent in config is 'config.<key>', anything else the policy's.
        const field = e instanceof HistoryError ? e.field : undefined;
        if (field !== undefined && e instanceof HistoryError && e.fieldMessage !== undefined) return policyConfigErr({ field, message: e.fieldMessage }, policy, config, 'policy');
        if (field !== undefined) return err('invalid-argument', capitalize(message(e)), config && Object.hasOwn(config, field) ? `config.${field}` : 'policy');
        return historyErr(e);
      } finally {
        if (opId) ops.delete(opId);
      }
    },
    async cancel({ opId }) {
      const ac = ops.get(opId);
      if (!ac) return err('not-found', 'That operation has already finished.');
      ac.abort();
      return ok(null);
    },
    async saveFile() {
      return err('not-available', 'This host has no save dialog; the browser downloads the file instead.');
    },
  };

  function noReplay<T>(): Result<T> {
    return err('not-ready', 'No replay is open: open a session and choose Open replay.');
  }

  // -------------------------------------------------------------------------
  // the API object (validates like a transport, so in-process callers get the same errors)

  const api = {} as Record<string, unknown>;
  for (const name of Object.keys(handlers) as MethodName[]) {
    api[name] = async (args?: unknown): Promise<Result<unknown>> => {
      const v = validateArgs(name, args);
      if (!v.ok) return v;
      try {
        return await (handlers[name] as (a: unknown) => Promise<Result<unknown>>)(v.value);
      } catch (e) {
        return err('internal', `${name} failed: ${message(e)}`);
      }
    };
  }
  api.on = hub.on.bind(hub);
  api.onTelemetry = (cb: never) => hub.on('telemetry', cb);
  api.onStatus = (cb: never) => hub.on('status', cb);
  api.onProgress = (cb: never) => hub.on('progress', cb);
  api.onNotice = (cb: never) => hub.on('notice', cb);
  api.onFleet = (cb: never) => hub.on('fleet', cb);

  return {
    api: api as unknown as IocmApi,
    exports: exportFiles,
    async boot() {
      try {
        const entry = opts.workerPaths?.['history-worker'];
        db = await HistoryClient.open({
          path: opts.dbPath,
          repair: true,
          clock: () => clock.now(),
          ...(entry ? { workerUrl: pathToFileURL(entry) } : {}),
          ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
        });
        db.onNotice((msg) => notice('warning', msg));
      } catch (e) {
        db = null;
        historyError = `History is off: ${message(e)}`;
        notice('error', historyError);
      }
      hosts.boot();
      if (opts.scenario) {
        const scenario = opts.scenario;
        const r = await serialized(() => connect(scenario, opts.seed, opts.speed ?? 1, opts.policy ?? 'iocm', false));
        if (!r.ok) throw new Error(r.error.message);
      }
    },
    async shutdown() {
      replay?.close();
      replay = null;
      for (const ac of ops.values()) ac.abort();
      await serialized(() => hosts.shutdown());
      await db?.close();
      db = null;
      exportFiles.clear();
      hub.clear();
    },
  };
}
