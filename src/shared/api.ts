/**
 * IocmApi: the one typed contract between the console (renderer) and the
 * host side (services in the Electron main process or the headless server).
 *
 * - Every method takes ONE plain-object argument (or none) and resolves to a
 *   {@link Result}: `{ok:true, value}` or `{ok:false, error:{code, message, field?}}`.
 *   Methods never throw across the boundary; messages are in words a user understands.
 * - Events are pushed on five streams (`telemetry`, `status`, `progress`, `notice`, `fleet`);
 *   every subscription returns an unsubscribe function.
 * - Long operations (export, what-if) take an optional client-chosen `opId`; progress
 *   arrives on the `progress` stream under that id and `cancel({opId})` stops it
 *   (the call then resolves with error code `cancelled`).
 * - Transports (IPC preload, WebSocket client) only need `invoke(method, args)` and
 *   `subscribe(event, cb)`; {@link createApiClient} turns those into an IocmApi.
 *   The method and event whitelists are {@link METHOD_NAMES} and {@link EVENT_NAMES};
 *   argument schemas live in ./api-schema.ts so every transport validates identically.
 *
 * Shared layer: no node, electron or DOM imports.
 */
import type { ControlSource, HostConfig, HostConnectionState, HostInfo } from './control.ts';
import type {
  HostEvent,
  LoopStatus,
  Overrides,
  PolicyConfig,
  PolicyConfigField,
  PolicyDescriptor,
  SafetyLimits,
  TelemetryBatch,
} from './policy.ts';
import type { TrendPoint } from './snapshot.ts';

export type { TrendPoint };
export type { HostEvent, LoopStatus, Overrides, PolicyConfig, PolicyConfigField, PolicyDescriptor, SafetyLimits, TelemetryBatch };

// ---------------------------------------------------------------------------
// Results and errors

/** Machine-readable error category; the message says the rest in plain words. */
export type ApiErrorCode =
  /** An argument is missing or wrong; `field` names it. */
  | 'invalid-argument'
  /** A session, scenario, policy or operation does not exist. */
  | 'not-found'
  /** The request is valid but a safety limit or the current state forbids it. */
  | 'refused'
  /** The feature exists in the contract but not (yet) in this build or host. */
  | 'not-available'
  /** Nothing is connected / no replay is open, etc. */
  | 'not-ready'
  /** The operation was cancelled by the user. */
  | 'cancelled'
  /** The transport refused the caller (bad token, foreign sender). */
  | 'unauthorized'
  /** Something broke; the message says what. */
  | 'internal';

/** An error as a value. */
export interface ApiError {
  code: ApiErrorCode;
  /** What went wrong, for a user. */
  message: string;
  /** The argument or config field at fault (dot path), when there is one. */
  field?: string;
}

/** Outcome of every API method. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Build a success value. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Build an error value. */
export function err<T = never>(code: ApiErrorCode, message: string, field?: string): Result<T> {
  return { ok: false, error: field === undefined ? { code, message } : { code, message, field } };
}

// ---------------------------------------------------------------------------
// Telemetry and events (live and replay use the same shapes)

/** A telemetry message with where it came from. */
export interface TelemetryMessage {
  /** 'live' from the connected host; 'replay' from an open replay cursor. */
  stream: 'live' | 'replay';
  /** Session the data belongs to (the recording session for live; null if not recording). */
  sessionId: string | null;
  /** The host it came from (live only: always the selected host). */
  hostId?: string;
  /**
   * Snapshots older than `batch.snapshots`, in time order, thinned to what the time series read.
   * The transports (IPC, WebSocket) coalesce a few intervals per message and send all but the
   * newest snapshot this way; absent when a message carries one snapshot or none.
   */
  trend?: TrendPoint[];
  batch: TelemetryBatch;
}

// ---------------------------------------------------------------------------
// Fleet: the hosts the console holds at once

/** What a connected host is: the embedded model or a remote agent. */
export type HostKind = 'model' | 'agent';

/** A host's alerts that need no model truth: counted from its events and its observed statistics. */
export interface FleetAlerts {
  /** Operator commands the host refused in the last {@link FLEET_ALERT_WINDOW_MS}. */
  refusals: number;
  /** Errors (host, loop, recording) in the last {@link FLEET_ALERT_WINDOW_MS}. */
  errors: number;
  /**
   * The latency ceiling the newest observed snapshot crosses, in words (the iocm policy's guards:
   * busiest side core's work share, runnable vCPUs' wait per run time), or null.
   */
  latency: string | null;
  /** The newest refusal or error message, or null. */
  last: string | null;
}

/** How far back the fleet's refusal and error counts look, ms (wall clock). */
export const FLEET_ALERT_WINDOW_MS = 5 * 60_000;

/** One host of the fleet: a row of the fleet overview and the host switcher. */
export interface FleetRow {
  /** Stable id while the host is connected ('h1', 'h2', …). */
  hostId: string;
  name: string;
  kind: HostKind;
  /** Where it is: the agent's ws:// or wss:// address (never its token), or 'model: <scenario>'. */
  address: string;
  /** The host all other views show. */
  selected: boolean;
  cores: number;
  /** Side cores of the newest snapshot (the loop's set before the first); while {@link FleetRow.stale}, the last known. */
  sideCores: number;
  /**
   * The observed objective of the newest snapshot (src/shared/objective.ts); null before the first;
   * while {@link FleetRow.stale}, the last known.
   */
  objective: number | null;
  /** Wall clock (unix ms) of the newest snapshot's arrival; null before the first. */
  lastSnapshotAt: number | null;
  /**
   * True while the link to a remote host is down (`link.state` is not 'connected'): `sideCores`,
   * `objective` and `alerts.latency` are then what the host last reported, at `lastSnapshotAt`,
   * not what is in force now, and a view must not show them as current. False for the model.
   */
  stale: boolean;
  policy: string | null;
  /** Loop paused by the operator. */
  paused: boolean;
  alerts: FleetAlerts;
  /** The link to a remote host; null for the embedded model (no link). */
  link: HostConnectionState | null;
  /** The host's recording: its session, or null while it is not recorded; why recording stopped. */
  recording: { sessionId: string | null; error: string | null };
}

// ---------------------------------------------------------------------------
// Queries' values

/** Everything the console needs to draw its frame; pushed on `status` when it changes. */
export interface ConsoleState {
  /** The selected host (all host views and commands act on it); null when none is connected. */
  hostId: string | null;
  connection:
    | { kind: 'none' }
    | { kind: 'model'; scenario: string; seed: number; speed: number }
    | { kind: 'agent'; url: string; name: string };
  /** The selected host's link (agents); null for the model or when none is connected. */
  link: HostConnectionState | null;
  host: HostInfo | null;
  config: HostConfig | null;
  loop: LoopStatus | null;
  overrides: Overrides;
  limits: SafetyLimits;
  recording: { sessionId: string | null; dbPath: string; error: string | null };
  replay: ReplayState | null;
}

/** A scenario the embedded model can run. */
export interface ScenarioSummary {
  name: string;
  description: string;
  cores: number;
  vms: number;
  groups: string[];
  phases: { name: string; seconds: number }[];
}

/** A selectable policy (the loop's registry descriptor: name, description, defaults, fields). */
export type PolicyInfo = PolicyDescriptor;

/** Filter for {@link IocmApi.listSessions}. */
export interface SessionFilter {
  /** Free text matched against host, scenario, policy and id. */
  search?: string;
  limit?: number;
  offset?: number;
}

/** One recorded session in a list. */
export interface SessionSummary {
  id: string;
  host: string;
  source: 'model' | 'agent';
  scenario: string;
  policy: string;
  /** Unix ms (wall clock) of the session's t = 0: wall time = startedAt + t. */
  startedAt: number;
  /**
   * Unix ms when the recorded time begins (the first snapshot's interval start): later than
   * startedAt for a recording started on a host that had been running (the session's time goes
   * on with the host's, so that live and recorded times agree).
   */
  recordedFrom: number;
  endedAt: number | null;
  /** Session time recorded, ms: from recordedFrom to the last snapshot. */
  durationMs: number;
  snapshots: number;
  decisions: number;
  /** The session this one is a what-if re-run of. */
  parentId: string | null;
  /**
   * How control changed during the session: `policy` is only the one it began under. Absent from
   * a server that does not tell.
   */
  control?: SessionControl;
}

/** A session's policy changes and operator overrides ({@link SessionSummary.control}). */
export interface SessionControl {
  /**
   * The policies in force in turn, from the one the session began under (one entry per change to
   * another policy; a long trail keeps its first entries and its last).
   */
  policies: string[];
  /** Changes to another policy in all (policies.length − 1 unless the trail was cut). */
  policyChanges: number;
  /** Operator overrides applied: pins, releases, count locks and pauses (not their undoing). */
  overrides: number;
}

/** A session with its details. */
export interface SessionDetail extends SessionSummary {
  policyConfig: PolicyConfig;
  info: HostInfo | null;
  appVersion: string;
  /** Session-time range of the recorded snapshots. */
  t0: number;
  t1: number;
}

/**
 * A series name: 'totals.score', 'totals.requestsPerSec', 'totals.bytesPerSec',
 * 'totals.latencyUs.p99', 'totals.exitsPerSec', 'totals.sideCores',
 * 'core.<id>.<cycle category>', 'side.<core>.workCycles', 'side.<core>.emptyPollCycles',
 * 'vm.<id>.<VmStats numeric field>', 'vm.<id>.latencyUs.p99', 'queue.<id>.<field>'.
 */
export type SeriesKey = string;

/** Arguments of {@link IocmApi.querySeries}. */
export interface SeriesQuery {
  sessionId: string;
  series: SeriesKey[];
  /** Session-time range in ms. */
  t0: number;
  t1: number;
  /** About how many points to return (one per pixel). */
  points: number;
}

/** Downsampled series over a range (all share the time axis). */
export interface SeriesResult {
  /** Bucket starts (raw: snapshot times), ms, all within [t0, t1]: the first bucket starts at t0. */
  t: number[];
  series: { key: SeriesKey; values: number[] }[];
  /** Resolution used, ms per point (e.g. raw interval, 1000, 10000, 60000). */
  resolutionMs: number;
}

/** One line of the audit log. */
export interface AuditEntry {
  /** Session time, ms. */
  t: number;
  /** Unix ms (wall clock). */
  at: number;
  source: ControlSource;
  /** Short verb: 'pin core 3', 'set policy iocm', ... */
  action: string;
  ok: boolean;
  /** Why it was refused or what it changed. */
  detail: string;
}

/** An open replay cursor. */
export interface ReplayState {
  sessionId: string;
  t0: number;
  t1: number;
  /** Cursor position, session ms. */
  t: number;
  playing: boolean;
  /** 0.25 … 64. */
  speed: number;
}

/** Export formats. */
export type ExportFormat = 'csv' | 'json' | 'sqlite';

/**
 * A file produced by an export. The bytes stay on the host's disk (bounded memory, any
 * size): the desktop app saves it with `saveFile({ exportId })` (native dialog); in a
 * browser it is downloaded natively from `GET /download/<exportId>` (headless server).
 * An export id is single-use and expires after {@link EXPORT_TTL_MS}.
 */
export interface ExportFile {
  fileName: string;
  mimeType: string;
  /** Size in bytes. */
  size: number;
  /** Unguessable single-use id of the file on the host. */
  exportId: string;
}

/** How long an exported file waits for its download or save, ms. */
export const EXPORT_TTL_MS = 10 * 60_000;

/** Side-by-side comparison of a session and its what-if re-run. */
export interface Comparison {
  base: { sessionId: string; policy: string };
  other: { sessionId: string; policy: string };
  rows: { metric: string; phase: string; base: number; other: number; unit: string }[];
  /**
   * What-if of a recording without a scenario (a remote agent's host): `base` is then a replica, the
   * model on a scenario inferred from the recording under the recorded side cores; how close it came
   * to what the host recorded, per group, and every assumption of the inference in words.
   */
  replica?: { sessionId: string; recordedSessionId: string; fidelity: Fidelity[]; notes: string[] };
}

/** One measure of a replica against the recording it replays (per VM group, means over the session). */
export interface Fidelity {
  group: string;
  metric: string;
  recorded: number;
  model: number;
  unit: string;
}

/** Progress of a long operation, on the `progress` stream. */
export interface ProgressEvent {
  opId: string;
  kind: 'export' | 'whatif' | 'import';
  /** 0..1. */
  fraction: number;
  message: string;
  /** Set on the last event of the operation. */
  done?: boolean;
}

/** A message for the user that is not an answer to a request. */
export interface Notice {
  level: 'info' | 'warning' | 'error';
  message: string;
  /** Unix ms. */
  at: number;
}

// ---------------------------------------------------------------------------
// Methods

/** Every method: its argument (void = none) and its success value. */
export interface IocmMethods {
  // queries
  getState: { args: void; value: ConsoleState };
  listScenarios: { args: void; value: ScenarioSummary[] };
  listPolicies: { args: void; value: PolicyInfo[] };
  listSessions: { args: SessionFilter; value: SessionSummary[] };
  getSession: { args: { sessionId: string }; value: SessionDetail };
  querySeries: { args: SeriesQuery; value: SeriesResult };
  getAuditLog: { args: { sessionId?: string; limit?: number }; value: AuditEntry[] };
  /**
   * A recorded session's decisions, overrides and link gaps ('disconnect'/'connect' events) in time
   * order ('stay' decisions left out unless `all`), the newest `limit` of them: what a replay marks
   * on its charts and lists.
   */
  getSessionEvents: { args: { sessionId: string; limit?: number; all?: boolean }; value: HostEvent[] };
  /**
   * The live stream's recent past, so charts are not empty when a page opens: up to
   * `snapshots` most recent snapshots (default 100), only those within `windowMs` of the newest
   * when given (the chart's window), and the session's recent decisions and overrides in that
   * window, as one live TelemetryMessage. Like the live stream's messages, all but the newest
   * snapshot come as trend points (`trend`) unless `detail` is 'full' (a big host's minute of full
   * snapshots is tens of MB; the charts need only the trend).
   */
  getRecentTelemetry: { args: { snapshots?: number; windowMs?: number; detail?: 'trend' | 'full' }; value: TelemetryMessage };
  // connection
  /**
   * Start the embedded model on a scenario and select it. It replaces the selected host when that
   * is a model (else the first model host), unless `add`: then it runs beside the others.
   */
  connectModel: { args: { scenario: string; seed: number; speed: number; add?: boolean; name?: string }; value: ConsoleState };
  /**
   * Connect a remote agent (ws:// or wss://, bearer `token`, `ca`: PEM certificate to verify a
   * wss:// agent against) beside the other hosts, and select it. The token is never echoed back.
   */
  connectAgent: { args: { url: string; token: string; ca?: string; name?: string }; value: ConsoleState };
  /** The connected hosts, one fleet row each (also pushed on `fleet` about once a second). */
  listHosts: { args: void; value: FleetRow[] };
  /** Make `hostId` the host every view and command acts on. */
  selectHost: { args: { hostId: string }; value: ConsoleState };
  /** Stop and forget a host; its recording ends (what it recorded stays in history). */
  disconnectHost: { args: { hostId: string }; value: ConsoleState };
  /** Start a new recorded session of a host (default: the selected one). */
  recordStart: { args: { hostId?: string }; value: ConsoleState };
  /** End a host's recorded session (default: the selected one); the host keeps running unrecorded. */
  recordStop: { args: { hostId?: string }; value: ConsoleState };
  setLiveSpeed: { args: { speed: number }; value: ConsoleState };
  // overrides and loop
  pinCore: { args: { core: number }; value: Overrides };
  releaseCore: { args: { core: number }; value: Overrides };
  /** Undo a pin or release of this core (back to the policy's choice). */
  clearCoreOverride: { args: { core: number }; value: Overrides };
  lockSideCoreCount: { args: { min: number; max: number }; value: Overrides };
  unlockSideCoreCount: { args: void; value: Overrides };
  pauseLoop: { args: void; value: Overrides };
  resumeLoop: { args: void; value: Overrides };
  setPolicy: { args: { name: string; config: PolicyConfig }; value: LoopStatus };
  // replay
  openReplay: { args: { sessionId: string }; value: ReplayState };
  replayPlay: { args: void; value: ReplayState };
  replayPause: { args: void; value: ReplayState };
  replaySetSpeed: { args: { speed: number }; value: ReplayState };
  replaySeek: { args: { t: number }; value: ReplayState };
  replayStep: { args: { direction: 1 | -1 }; value: ReplayState };
  replayJumpToDecision: { args: { direction: 'next' | 'prev' }; value: ReplayState };
  closeReplay: { args: void; value: null };
  // export, what-if, long operations
  exportSession: {
    args: { sessionId: string; format: ExportFormat; layout?: 'long' | 'wide'; opId?: string };
    value: ExportFile;
  };
  whatIf: { args: { sessionId: string; policy: string; config?: PolicyConfig; opId?: string }; value: Comparison };
  cancel: { args: { opId: string }; value: null };
  /**
   * Save bytes, or an exported file (`exportId` from exportSession), to a file the user picks
   * (Electron: native save dialog). Headless services answer `not-available`; the browser
   * then downloads instead.
   */
  saveFile: { args: { fileName: string; bytes: Uint8Array } | { fileName?: string; exportId: string }; value: { path: string } | null };
}

/** A method name. */
export type MethodName = keyof IocmMethods;
/** A method's argument type. */
export type MethodArgs<K extends MethodName> = IocmMethods[K]['args'];
/** A method's success value type. */
export type MethodValue<K extends MethodName> = IocmMethods[K]['value'];

/** The method whitelist (IPC channels and WS methods accept only these). */
export const METHOD_NAMES = [
  'getState',
  'listScenarios',
  'listPolicies',
  'listSessions',
  'getSession',
  'querySeries',
  'getAuditLog',
  'getSessionEvents',
  'getRecentTelemetry',
  'connectModel',
  'connectAgent',
  'listHosts',
  'selectHost',
  'disconnectHost',
  'recordStart',
  'recordStop',
  'setLiveSpeed',
  'pinCore',
  'releaseCore',
  'clearCoreOverride',
  'lockSideCoreCount',
  'unlockSideCoreCount',
  'pauseLoop',
  'resumeLoop',
  'setPolicy',
  'openReplay',
  'replayPlay',
  'replayPause',
  'replaySetSpeed',
  'replaySeek',
  'replayStep',
  'replayJumpToDecision',
  'closeReplay',
  'exportSession',
  'whatIf',
  'cancel',
  'saveFile',
] as const satisfies readonly MethodName[];

// Compile-time check that the whitelist names every method.
type _MissingMethods = Exclude<MethodName, (typeof METHOD_NAMES)[number]>;
const _allMethodsListed: _MissingMethods extends never ? true : never = true;
void _allMethodsListed;

// ---------------------------------------------------------------------------
// Events

/** Event streams and their payloads. */
export interface IocmEvents {
  telemetry: TelemetryMessage;
  status: ConsoleState;
  progress: ProgressEvent;
  notice: Notice;
  /** One row per connected host, about once a second (and at once when a host comes or goes). */
  fleet: FleetRow[];
}

/** An event stream name. */
export type EventName = keyof IocmEvents;

/** The event whitelist. */
export const EVENT_NAMES = ['telemetry', 'status', 'progress', 'notice', 'fleet'] as const satisfies readonly EventName[];

/** Stops a subscription. */
export type Unsubscribe = () => void;

/** A method as seen by callers. */
export type ApiMethod<K extends MethodName> = [MethodArgs<K>] extends [void]
  ? () => Promise<Result<MethodValue<K>>>
  : (args: MethodArgs<K>) => Promise<Result<MethodValue<K>>>;

/** The API the renderer uses (window.iocm or the WebSocket client). */
export type IocmApi = { [K in MethodName]: ApiMethod<K> } & {
  /** Subscribe to one event stream. */
  on<E extends EventName>(event: E, cb: (payload: IocmEvents[E]) => void): Unsubscribe;
  onTelemetry(cb: (msg: TelemetryMessage) => void): Unsubscribe;
  onStatus(cb: (state: ConsoleState) => void): Unsubscribe;
  onProgress(cb: (p: ProgressEvent) => void): Unsubscribe;
  onNotice(cb: (n: Notice) => void): Unsubscribe;
  onFleet(cb: (rows: FleetRow[]) => void): Unsubscribe;
};

/** Generic call: what a transport carries. */
export type Invoke = (method: MethodName, args: unknown) => Promise<Result<unknown>>;
/** Generic subscription: what a transport carries. */
export type Subscribe = (event: EventName, cb: (payload: unknown) => void) => Unsubscribe;

/**
 * Build an IocmApi from a transport's `invoke` and `subscribe`. Used by the preload
 * (over ipcRenderer), the WebSocket client and in-process tests. A rejected invoke is
 * turned into an `internal` error value, so callers only ever see Results.
 */
export function createApiClient(invoke: Invoke, subscribe: Subscribe): IocmApi {
  const api: Record<string, unknown> = {};
  for (const name of METHOD_NAMES) {
    api[name] = async (args?: unknown) => {
      try {
        return await invoke(name, args === undefined ? {} : args);
      } catch (e) {
        return err('internal', `The console lost contact with the host: ${(e as Error)?.message ?? String(e)}`);
      }
    };
  }
  const on = (event: EventName, cb: (payload: unknown) => void): Unsubscribe => subscribe(event, cb);
  api.on = on;
  api.onTelemetry = (cb: (p: unknown) => void) => on('telemetry', cb);
  api.onStatus = (cb: (p: unknown) => void) => on('status', cb);
  api.onProgress = (cb: (p: unknown) => void) => on('progress', cb);
  api.onNotice = (cb: (p: unknown) => void) => on('notice', cb);
  api.onFleet = (cb: (p: unknown) => void) => on('fleet', cb);
  return api as unknown as IocmApi;
}

/** Server side: one handler per method (arguments already validated). */
export type IocmHandlers = {
  [K in MethodName]: (args: MethodArgs<K> extends void ? Record<string, never> : MethodArgs<K>) => Promise<Result<MethodValue<K>>>;
};

/** Server side: emit an event to every subscriber. */
export type Emit = <E extends EventName>(event: E, payload: IocmEvents[E]) => void;
