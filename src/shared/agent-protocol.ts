/**
 * The agent protocol: versioned JSON over one WebSocket between the console's agent client
 * (src/main/host/agent-source.ts) and the remote agent (src/agent). Every message, both ways, is
 * validated with the zod schemas here; a message that fails gets an `error` naming what was wrong
 * (the agent) or becomes an error event (the client) — never a crash. docs/agent.md describes it.
 *
 *   client → agent   hello      { type, protocol: {major, minor}, client, role? }   first message
 *                    control    { type, id, action }        ControlAction | KnobAction (no --loop)
 *                    override   { type, id, cmd }           OverrideCommand (agent with --loop)
 *                    setPolicy  { type, id, name, config }  (agent with --loop)
 *                    heartbeat  { type, seq }
 *   agent → client   hello      { type, protocol, agent, driver, role, heartbeatMs, capabilities, info, config, loop, dryRun }
 *                    snapshot   { type, snapshot, config }  every interval
 *                    info       { type, info, config }      VMs came or went
 *                    ack        { type, id, result }        ControlResult of a control command
 *                    overrideAck{ type, id, result }        OverrideResult
 *                    policyAck  { type, id, errors }        ConfigError[] (empty = accepted)
 *                    loop       { type, status, events }    the agent's own loop (--loop), a few per second
 *                    heartbeat  { type, seq }
 *                    error      { type, code, message, id? }
 *
 * Versioning: `major` changes break compatibility (the agent answers an unknown major with an
 * `error` of code `unsupported-version` and closes); a `minor` only adds message types or
 * optional fields, which older peers ignore (unknown keys of agent → client messages are
 * stripped; an unknown `type` from a newer console gets an `unknown-type` error).
 *
 * Shared layer: zod only.
 */
import { z } from 'zod';
import type { ControlAction, ControlResult, HostConfig, HostInfo, KnobAction } from './control.ts';
import type { HostEvent, LoopStatus, OverrideCommand, OverrideResult, PolicyConfig } from './policy.ts';
import type { HostSnapshot } from './snapshot.ts';

/** The protocol version this build speaks. */
export const AGENT_PROTOCOL = { major: 1, minor: 0 } as const;

/** The WebSocket path of the agent. */
export const AGENT_WS_PATH = '/agent';

/** WebSocket close codes the agent uses (4000–4999 are the application's). */
export const AGENT_CLOSE = {
  /** The client speaks a major version the agent does not. */
  unsupportedVersion: 4000,
  /** Too many messages per second. */
  rateLimited: 4001,
  /** No hello within the allowed time, or heartbeats stopped. */
  timeout: 4002,
  /** The client could not keep up with the snapshot stream. */
  tooSlow: 4003,
  /** The agent is shutting down. */
  shutdown: 1001,
  /** Frame larger than allowed (ws's own code). */
  tooLarge: 1009,
} as const;

// ---- building blocks ----

const num = z.number().finite();
/**
 * The largest counter or rate a snapshot may carry: above anything a host measures in one interval
 * (4096 cores × 10 GHz × the longest interval, 1 h, is 1.5e17 cycles; 100 Tbit/s for an hour is
 * 4.5e16 bytes), and far inside what the history's Float32 rollups hold (3.4e38). A hostile agent's
 * 1e300 made every rollup bucket Infinity, read back as "no data" (review 6).
 */
export const MAX_MEASURE = 1e18;
const nonNeg = z.number().finite().min(0).max(MAX_MEASURE);
const int = z.number().int();
const id = z.number().int().min(0).max(1_000_000);
const coreId = z.number().int().min(0).max(4095);
const name = z.string().max(200);
const MAX_CORES = 4096;
const MAX_QUEUES = 65_536;
const MAX_VMS = 4096;

const observabilitySchema = z.object({
  profile: z.enum(['qemu', 'ovs', 'full']),
  reports: z.object({
    coreGuest: z.boolean(),
    coreSplit: z.boolean(),
    sideWork: z.boolean(),
    // Added after protocol 1.0: an agent that does not send it does not report per-ring empty polls.
    sideEmptyPolls: z.boolean().default(false),
    queueWork: z.boolean(),
    queueThread: z.boolean(),
    queueNotify: z.boolean(),
    queuePolls: z.boolean(),
    queuePending: z.boolean(),
    vmExits: z.boolean(),
  }),
});

/** {@link HostInfo}. */
export const hostInfoSchema: z.ZodType<HostInfo> = z.object({
  name,
  source: z.enum(['model', 'agent']),
  cores: z.number().int().min(1).max(MAX_CORES),
  hz: z.number().finite().positive(),
  intervalMs: z.number().finite().positive().max(3_600_000),
  vms: z.array(z.object({ id, name, group: name, vcpus: z.number().int().min(0).max(4096) })).max(MAX_VMS),
  queues: z.array(z.object({ id, vm: id, device: id, kind: z.enum(['net', 'blk']) })).max(MAX_QUEUES),
  groups: z.array(z.object({ name, weight: num, workload: name })).max(MAX_VMS),
  observability: observabilitySchema.optional(),
});

/** {@link HostConfig}. */
export const hostConfigSchema: z.ZodType<HostConfig> = z.object({
  cores: z.number().int().min(1).max(MAX_CORES),
  sideCores: z.array(coreId).max(MAX_CORES),
  queueOwner: z.array(coreId.nullable()).max(MAX_QUEUES),
  queuePolling: z.array(z.boolean()).max(MAX_QUEUES),
  knobs: z
    .object({
      pollMaxNs: nonNeg,
      pollGrow: nonNeg,
      pollShrink: nonNeg,
      vhostPollUs: nonNeg,
      pmdMaxSleepUs: nonNeg,
      manager: z.object({ on: z.boolean(), core: coreId.nullable() }),
    })
    .optional(),
});

const latency = z.object({ p50: nonNeg, p99: nonNeg, p999: nonNeg });
const coreCycles = z.object({ guest: nonNeg, exit: nonNeg, io: nonNeg, emptyPoll: nonNeg, ctxSwitch: nonNeg, idle: nonNeg });

/** {@link HostSnapshot}: the observed fields measured, truth fields neutral on a real host. */
export const hostSnapshotSchema: z.ZodType<HostSnapshot> = z.object({
  seq: z.number().int().min(0),
  t: num,
  intervalMs: z.number().finite().positive().max(3_600_000),
  hz: z.number().finite().positive(),
  phase: z.string().max(200),
  cores: z.array(z.object({ id: coreId, role: z.enum(['vm', 'side']), cycles: coreCycles })).max(MAX_CORES),
  sideCores: z
    .array(z.object({ coreId, loops: nonNeg, workCycles: nonNeg, emptyPolls: nonNeg, emptyPollCycles: nonNeg, queues: z.array(id).max(MAX_QUEUES) }))
    .max(MAX_CORES),
  queues: z
    .array(
      z.object({
        id,
        vm: id,
        device: id,
        kind: z.enum(['net', 'blk']),
        owner: coreId.nullable(),
        polling: z.boolean(),
        kicks: nonNeg,
        polls: nonNeg,
        emptyPolls: nonNeg,
        requests: nonNeg,
        bytes: nonNeg,
        pending: nonNeg,
        waitCycles: nonNeg,
        interrupts: nonNeg,
        workCycles: nonNeg,
      }),
    )
    .max(MAX_QUEUES),
  vms: z
    .array(
      z.object({
        id,
        name,
        group: name,
        requestsPerSec: nonNeg,
        bytesPerSec: nonNeg,
        guestCyclesPerSec: nonNeg,
        latencyUs: latency,
        exitsPerSec: nonNeg,
        interruptsPerSec: nonNeg,
        vcpuRunCycles: nonNeg,
        vcpuWaitCycles: nonNeg,
        load: nonNeg,
      }),
    )
    .max(MAX_VMS),
  groups: z
    .array(z.object({ group: name, requestsPerSec: nonNeg, bytesPerSec: nonNeg, guestCyclesPerSec: nonNeg, latencyUs: latency, workRate: num, score: num }))
    .max(MAX_VMS),
  totals: z.object({
    requestsPerSec: nonNeg,
    bytesPerSec: nonNeg,
    exitsPerSec: nonNeg,
    interruptsPerSec: nonNeg,
    ctxSwitchesPerSec: nonNeg,
    sideCores: z.number().int().min(0).max(MAX_CORES),
    score: num,
    latencyUs: latency,
    cycles: coreCycles,
  }),
});

const setSideCores = z.strictObject({ kind: z.literal('setSideCores'), cores: z.array(coreId).max(MAX_CORES) });
const assignQueue = z.strictObject({ kind: z.literal('assignQueue'), queue: id, core: coreId });
const setPolling = z.strictObject({ kind: z.literal('setPolling'), queue: id, on: z.boolean() });

/** {@link ControlAction}. */
export const pureControlActionSchema: z.ZodType<ControlAction> = z.discriminatedUnion('kind', [setSideCores, assignQueue, setPolling]);

/** {@link ControlAction} or {@link KnobAction}: what a console may ask the host to do. */
export const controlActionSchema: z.ZodType<ControlAction | KnobAction> = z.discriminatedUnion('kind', [
  setSideCores,
  assignQueue,
  setPolling,
  z.strictObject({
    kind: z.literal('setIoThreadPoll'),
    maxNs: z.number().int().min(0).max(4_000_000_000),
    grow: z.number().int().min(0).max(1_000_000).optional(),
    shrink: z.number().int().min(0).max(1_000_000).optional(),
  }),
  z.strictObject({ kind: z.literal('setVhostPoll'), us: z.number().int().min(0).max(10_000_000) }),
  z.strictObject({ kind: z.literal('setPmdMaxSleep'), us: z.number().int().min(0).max(10_000_000) }),
  z.strictObject({ kind: z.literal('setManager'), on: z.boolean(), core: coreId.nullable().optional() }),
]);

/** {@link OverrideCommand}. */
export const overrideCommandSchema: z.ZodType<OverrideCommand> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('pin'), core: coreId }),
  z.strictObject({ kind: z.literal('release'), core: coreId }),
  z.strictObject({ kind: z.literal('clear'), core: coreId }),
  z.strictObject({ kind: z.literal('lockCount'), min: z.number().int().min(0).max(MAX_CORES), max: z.number().int().min(0).max(MAX_CORES) }),
  z.strictObject({ kind: z.literal('unlockCount') }),
  z.strictObject({ kind: z.literal('pause') }),
  z.strictObject({ kind: z.literal('resume') }),
]);

const policyConfigSchema: z.ZodType<PolicyConfig> = z.record(z.string().max(100), z.union([num, z.boolean(), z.string().max(1000)]));

const controlResultSchema: z.ZodType<ControlResult> = z.union([
  z.object({ ok: z.literal(true), costCycles: nonNeg }),
  z.object({ ok: z.literal(false), error: z.string().max(2000) }),
]);
const overrideResultSchema: z.ZodType<OverrideResult> = z.union([
  z.object({ ok: z.literal(true), message: z.string().max(2000) }),
  z.object({ ok: z.literal(false), error: z.string().max(2000) }),
]);

const decisionSchema = z.object({
  kind: z.enum(['change', 'stay', 'revert', 'blocked', 'paused']),
  actions: z.array(pureControlActionSchema).max(MAX_QUEUES),
  reason: z.string().max(2000),
  metrics: z.record(z.string().max(200), num),
  targetSideCores: z.number().int().min(0).max(MAX_CORES).optional(),
});

/** {@link LoopStatus}. */
export const loopStatusSchema: z.ZodType<LoopStatus> = z.object({
  t: num,
  policy: name,
  config: policyConfigSchema,
  epochMs: nonNeg,
  overrides: z.object({
    pinned: z.array(coreId).max(MAX_CORES),
    released: z.array(coreId).max(MAX_CORES),
    countLock: z.tuple([z.number().int(), z.number().int()]).nullable(),
    paused: z.boolean(),
  }),
  limits: z.object({ minVmCores: nonNeg, maxSideCores: nonNeg, minChangeIntervalMs: nonNeg }),
  sideCores: z.array(coreId).max(MAX_CORES),
  lastDecision: decisionSchema.extend({ t: num }).nullable(),
  lastStay: decisionSchema.extend({ t: num }).nullable().optional(),
  changes: z.number().int().min(0),
  state: z.enum(['running', 'stopped']).optional(),
  speed: nonNeg.optional(),
  scenario: name.optional(),
  seed: int.optional(),
  source: z.object({ kind: z.enum(['model', 'agent', 'qemu', 'ovs']), name }).optional(),
});

/** {@link HostEvent}. */
export const hostEventSchema: z.ZodType<HostEvent> = z.object({
  t: num,
  source: z.enum(['policy', 'operator', 'agent', 'system']),
  kind: z.enum(['decision', 'override', 'audit', 'connect', 'disconnect', 'error', 'phase', 'notice']),
  message: z.string().max(4000),
  data: z.record(z.string(), z.unknown()).optional(),
});

const protocolVersion = z.strictObject({ major: z.number().int().min(0).max(1000), minor: z.number().int().min(0).max(1_000_000) });
const requestId = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

// ---- console → agent ----

/** Messages a console sends to an agent (strict: unknown fields are refused, naming them). */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    protocol: protocolVersion,
    /** Who is connecting, for the agent's log (e.g. "iocm-console 0.1.0"). */
    client: z.string().min(1).max(200),
    /** 'control' (default): take control if nobody has it; 'watch': only observe. */
    role: z.enum(['control', 'watch']).optional(),
  }),
  z.strictObject({ type: z.literal('control'), id: requestId, action: controlActionSchema }),
  z.strictObject({ type: z.literal('override'), id: requestId, cmd: overrideCommandSchema }),
  z.strictObject({ type: z.literal('setPolicy'), id: requestId, name: z.string().min(1).max(100), config: policyConfigSchema }),
  z.strictObject({ type: z.literal('heartbeat'), seq: z.number().int().min(0) }),
]);
/** A message from a console. */
export type ClientMessage = z.infer<typeof clientMessageSchema>;

// ---- agent → console ----

/** What an agent can do, as announced in its hello. */
export const agentCapabilitiesSchema = z.object({
  pacing: z.boolean(),
  seed: z.boolean(),
  scenario: z.boolean(),
  whatIf: z.boolean(),
});

/** Error codes of agent `error` messages. */
export const AGENT_ERROR_CODES = [
  'bad-json',
  'bad-message',
  'unknown-type',
  'unsupported-version',
  'hello-first',
  'not-controller',
  'no-loop',
  'loop-owns-host',
  'rate-limited',
  'binary',
  'internal',
] as const;
/** An error code of the agent. */
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

/** The agent's hello: everything a console needs before the first snapshot. */
export const agentHelloSchema = z.object({
  type: z.literal('hello'),
  protocol: protocolVersion,
  /** The agent's software version. */
  agent: z.string().max(200),
  /** The driver behind it: model, qemu or ovs. */
  driver: z.enum(['model', 'qemu', 'ovs']),
  /** The role this client got: 'control' (its commands are applied) or 'watch'. */
  role: z.enum(['control', 'watch']),
  /** Heartbeat period both ways, ms; a peer silent for 3 periods is taken as dead. */
  heartbeatMs: z.number().int().min(100).max(600_000),
  capabilities: agentCapabilitiesSchema,
  info: hostInfoSchema,
  config: hostConfigSchema,
  /** Whether the agent runs its own loop (--loop) and that loop's status. */
  loop: z.object({ running: z.boolean(), status: loopStatusSchema.nullable() }),
  /** --dry-run: the agent reports what it would change and changes nothing. */
  dryRun: z.boolean(),
});

/** Messages an agent sends to a console (unknown fields are stripped: a newer minor may add some). */
export const agentMessageSchema = z.discriminatedUnion('type', [
  agentHelloSchema,
  z.object({ type: z.literal('snapshot'), snapshot: hostSnapshotSchema, config: hostConfigSchema }),
  z.object({ type: z.literal('info'), info: hostInfoSchema, config: hostConfigSchema }),
  z.object({ type: z.literal('ack'), id: requestId, result: controlResultSchema }),
  z.object({ type: z.literal('overrideAck'), id: requestId, result: overrideResultSchema }),
  z.object({ type: z.literal('policyAck'), id: requestId, errors: z.array(z.object({ field: z.string().max(200), message: z.string().max(2000) })).max(100) }),
  z.object({ type: z.literal('loop'), status: loopStatusSchema, events: z.array(hostEventSchema).max(100_000) }),
  z.object({ type: z.literal('heartbeat'), seq: z.number().int().min(0) }),
  z.object({ type: z.literal('error'), code: z.enum(AGENT_ERROR_CODES), message: z.string().max(4000), id: requestId.nullable().optional() }),
]);
/** A message from an agent. */
export type AgentMessage = z.infer<typeof agentMessageSchema>;
/** The agent's hello. */
export type AgentHello = z.infer<typeof agentHelloSchema>;

// ---- parsing with errors in words ----

/** The result of parsing a message: the value, or what was wrong in one line. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; code: AgentErrorCode; error: string; id: number | null };

function describe(e: z.ZodError): string {
  const issue = e.issues[0];
  const path = issue.code === 'unrecognized_keys' && issue.keys.length ? [...issue.path, issue.keys[0]] : issue.path;
  const where = path.length ? `'${path.map((p) => String(p).slice(0, 60)).join('.')}'` : 'the message';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where} is not a known field`;
    case 'invalid_type':
      return `${where} must be ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}`;
    case 'too_small':
      return `${where} must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `${where} must be at most ${String(issue.maximum)}`;
    default:
      return `${where}: ${issue.message.slice(0, 200)}`;
  }
}

function decode(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `not valid JSON (${(e as Error).message.slice(0, 120)})` };
  }
}

/** The request id of a message that otherwise failed validation, so the error can name it. */
function salvageId(v: unknown): number | null {
  if (typeof v !== 'object' || v === null) return null;
  const i = (v as { id?: unknown }).id;
  return typeof i === 'number' && Number.isSafeInteger(i) && i >= 0 ? i : null;
}

const CLIENT_TYPES = new Set(['hello', 'control', 'override', 'setPolicy', 'heartbeat']);
const AGENT_TYPES = new Set(['hello', 'snapshot', 'info', 'ack', 'overrideAck', 'policyAck', 'loop', 'heartbeat', 'error']);

function parseWith<T>(text: string, schema: z.ZodType<T>, types: Set<string>, who: string): Parsed<T> {
  const d = decode(text);
  if (!d.ok) return { ok: false, code: 'bad-json', error: `The message is ${d.error}.`, id: null };
  const v = d.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, code: 'bad-message', error: `A ${who} message must be a JSON object with a 'type'.`, id: null };
  const type = (v as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, code: 'bad-message', error: `A ${who} message needs a 'type' (one of ${[...types].join(', ')}).`, id: salvageId(v) };
  if (!types.has(type)) return { ok: false, code: 'unknown-type', error: `Unknown message type '${type.slice(0, 60)}'; expected one of ${[...types].join(', ')}.`, id: salvageId(v) };
  const r = schema.safeParse(v);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, code: 'bad-message', error: `Invalid ${type} message: ${describe(r.error)}.`, id: salvageId(v) };
}

/** Parse and validate a message from a console. Never throws. */
export function parseClientMessage(text: string): Parsed<ClientMessage> {
  return parseWith(text, clientMessageSchema, CLIENT_TYPES, 'console');
}

/** Parse and validate a message from an agent. Never throws. */
export function parseAgentMessage(text: string): Parsed<AgentMessage> {
  return parseWith(text, agentMessageSchema, AGENT_TYPES, 'agent');
}

/** Whether an agent speaking `ours` accepts a client speaking `theirs`: same major version. */
export function versionError(theirs: { major: number; minor: number }, ours: { major: number; minor: number } = AGENT_PROTOCOL): string | null {
  if (theirs.major === ours.major) return null;
  return `This agent speaks protocol ${ours.major}.${ours.minor}; the console speaks ${theirs.major}.${theirs.minor}. Use a console and an agent of the same major version.`;
}

/**
 * The most a live snapshot's `t` may advance over the snapshot before it: this many of its
 * intervals, and never less than {@link MIN_SNAPSHOT_STEP_MS} (100 ms interval → 60 s). A host
 * that stalls longer while connected loses the one late snapshot; the stream resumes one interval
 * later. Longer outages are link gaps, measured by the console's own clock, not by `t`.
 */
export const MAX_SNAPSHOT_STEP_INTERVALS = 600;
/** The floor of the step bound, ms. */
export const MIN_SNAPSHOT_STEP_MS = 60_000;

/**
 * Why a live snapshot's time `t` cannot follow the previous snapshot's `prevT` (null: none yet),
 * in words naming the field; null when it can. Rejects a `t` that is not finite, is before the
 * session's start (t < 0: times are ms since it), goes backwards (or repeats), or jumps forward by
 * more than the bound above.
 */
export function snapshotTimeProblem(prevT: number | null, t: number, intervalMs: number): string | null {
  if (typeof t !== 'number' || !Number.isFinite(t)) return `snapshot.t = ${String(t)} is not a finite number of ms`;
  if (t < 0) return `snapshot.t = ${t} ms is before the session's start (snapshot times are ms since it, ≥ 0)`;
  if (prevT === null) return null;
  if (t <= prevT) return `snapshot.t = ${t} ms does not come after the previous snapshot's t = ${prevT} ms (time went backwards or stood still)`;
  const bound = Math.max(MAX_SNAPSHOT_STEP_INTERVALS * (Number.isFinite(intervalMs) && intervalMs > 0 ? intervalMs : 0), MIN_SNAPSHOT_STEP_MS);
  if (t - prevT > bound)
    return `snapshot.t = ${t} ms jumps ${t - prevT} ms past the previous snapshot's t = ${prevT} ms (at most ${bound} ms: ${MAX_SNAPSHOT_STEP_INTERVALS} intervals of ${intervalMs} ms)`;
  return null;
}

/** Why snapshot `s` does not fit the host `info` describes (null when it fits). */
export function shapeProblem(s: HostSnapshot, info: HostInfo): string | null {
  if (s.cores.length !== info.cores) return `it has ${s.cores.length} cores, the host's description ${info.cores}`;
  if (s.sideCores.length > info.cores) return `it has ${s.sideCores.length} side cores on a ${info.cores}-core host`;
  if (s.vms.length > info.vms.length) return `it has ${s.vms.length} VMs, the host's description ${info.vms.length}`;
  if (s.queues.length > info.queues.length) return `it has ${s.queues.length} queues, the host's description ${info.queues.length}`;
  return null;
}

/**
 * Why snapshot `s` contradicts itself (null when it does not), in words naming the field: a core id
 * is listed once; a side core is a listed core of role 'side', listed once; a queue id is listed
 * once and its owner is null or a side core; a side core serves only queues the snapshot lists.
 * (Core ids are not required to be 0..n-1: /proc/stat leaves out offline CPUs.)
 * Each host source builds its snapshots so (assembleSnapshot only copies and sums: the model, the
 * QEMU and the OVS sources each keep roles, side cores and owners from one configuration); the live
 * agent link and import both refuse one that does not (review 6: a 2-core host's snapshot naming
 * core 4095 and queue owner 4000 was recorded, and imported).
 */
export function snapshotConsistencyProblem(s: HostSnapshot): string | null {
  const role = new Map<number, string>();
  for (let i = 0; i < s.cores.length; i++) {
    const id = s.cores[i].id;
    if (role.has(id)) return `cores[${i}].id = ${id} is listed twice`;
    role.set(id, s.cores[i].role);
  }
  const side = new Set<number>();
  for (let i = 0; i < s.sideCores.length; i++) {
    const c = s.sideCores[i].coreId;
    if (role.get(c) !== 'side') return `sideCores[${i}].coreId = ${c} is not a core of role 'side' in this snapshot`;
    if (side.has(c)) return `sideCores[${i}].coreId = ${c} is listed twice`;
    side.add(c);
  }
  const queues = new Set<number>();
  for (let i = 0; i < s.queues.length; i++) {
    const q = s.queues[i];
    if (queues.has(q.id)) return `queues[${i}].id = ${q.id} is listed twice`;
    queues.add(q.id);
    if (q.owner !== null && !side.has(q.owner)) return `queues[${i}].owner = ${q.owner} is not one of the snapshot's side cores`;
  }
  for (let i = 0; i < s.sideCores.length; i++) {
    const qs = s.sideCores[i].queues;
    for (let j = 0; j < qs.length; j++) if (!queues.has(qs[j])) return `sideCores[${i}].queues[${j}] = ${qs[j]} is not one of the snapshot's queues`;
  }
  return null;
}
