/**
 * Zod schemas for the arguments of every IocmApi method, so the Electron IPC adapter,
 * the WebSocket server and the services validate identically. {@link validateArgs}
 * turns a bad payload into an `invalid-argument` error naming the field.
 *
 * Shared layer: zod only (pure JS); no node, electron or DOM imports.
 */
import { z } from 'zod';
import { EVENT_NAMES, METHOD_NAMES, err, ok, type EventName, type MethodArgs, type MethodName, type Result } from './api.ts';

const none = z.strictObject({});
const coreId = z.number().int().min(0).max(4095);
const sessionId = z.string().min(1).max(200);
const opId = z.string().min(1).max(100);
const policyConfig = z.record(z.string().max(100), z.union([z.number(), z.boolean(), z.string().max(1000)]));
const speed = z.number().min(0.25).max(64);
/** Live pacing: 0 (as fast as possible) or 0.25 … 64 × real time. */
const liveSpeed = z
  .number()
  .min(0)
  .max(64)
  .refine((v) => v === 0 || v >= 0.25, { message: 'must be 0 (as fast as possible) or between 0.25 and 64' });

/** A connected host's id ('h1', 'h2', …). */
const hostId = z.string().regex(/^h[0-9]{1,9}$/, "must be a host id such as 'h1'");
/** A display name: printable text, no control characters. */
const displayName = z
  .string()
  .min(1)
  .max(100)
  .refine((v) => ![...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f), { message: 'must be printable text without control characters' });

/** Longest agent address, characters. */
export const AGENT_URL_MAX = 2048;
/** Longest bearer token, characters. */
export const AGENT_TOKEN_MAX = 4096;
/** Largest PEM certificate text (a chain of a few certificates), characters. */
export const AGENT_CA_MAX = 64 * 1024;

/**
 * Why an agent address is unusable, or null when it is fine: ws:// or wss:// only, a host name,
 * no user name or password in it (the token has its own field), no fragment.
 */
export function agentUrlProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'must be an address such as ws://host:7878 or wss://host:7878';
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') return `must start with ws:// or wss:// (not ${u.protocol.slice(0, 20)}//)`;
  if (!u.hostname) return 'must name a host, such as ws://host:7878';
  if (u.username || u.password) return 'must not contain a user name or password: put the token in the token field';
  if (u.hash) return 'must not contain a # fragment';
  return null;
}

const agentUrl = z
  .string()
  .min(1)
  .max(AGENT_URL_MAX)
  .superRefine((v, ctx) => {
    const p = agentUrlProblem(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });
/** Bearer token: visible ASCII (RFC 6750 token68 and friends); its value never appears in an error. */
const agentToken = z
  .string()
  .min(1)
  .max(AGENT_TOKEN_MAX)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (the token the agent was started with)');
/** PEM certificate text: one or more BEGIN/END CERTIFICATE blocks. */
const agentCa = z
  .string()
  .min(1)
  .max(AGENT_CA_MAX)
  .regex(
    /^\s*(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/,
    'must be PEM certificate text (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)',
  );

/** One schema per method (the argument object; `{}` for methods without arguments). */
export const METHOD_SCHEMAS = {
  getState: none,
  listScenarios: none,
  listPolicies: none,
  listSessions: z.strictObject({
    search: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
    offset: z.number().int().min(0).optional(),
  }),
  getSession: z.strictObject({ sessionId }),
  querySeries: z
    .strictObject({
      sessionId,
      series: z.array(z.string().min(1).max(200)).min(1).max(512),
      t0: z.number().finite(),
      t1: z.number().finite(),
      points: z.number().int().min(2).max(20_000),
    })
    .refine((q) => q.t1 >= q.t0, { message: 'the end of the range must not be before its start', path: ['t1'] }),
  getAuditLog: z.strictObject({ sessionId: sessionId.optional(), limit: z.number().int().min(1).max(100_000).optional() }),
  getSessionEvents: z.strictObject({ sessionId, limit: z.number().int().min(1).max(100_000).optional(), all: z.boolean().optional() }),
  getRecentTelemetry: z.strictObject({
    snapshots: z.number().int().min(0).max(2000).optional(),
    windowMs: z.number().int().min(0).max(3_600_000).optional(),
    detail: z.enum(['trend', 'full']).optional(),
  }),
  connectModel: z.strictObject({
    scenario: z.string().min(1).max(500),
    seed: z.number().int().min(0).max(2 ** 32 - 1),
    speed: liveSpeed,
    add: z.boolean().optional(),
    name: displayName.optional(),
  }),
  connectAgent: z.strictObject({ url: agentUrl, token: agentToken, ca: agentCa.optional(), name: displayName.optional() }),
  listHosts: none,
  selectHost: z.strictObject({ hostId }),
  disconnectHost: z.strictObject({ hostId }),
  recordStart: z.strictObject({ hostId: hostId.optional() }),
  recordStop: z.strictObject({ hostId: hostId.optional() }),
  setLiveSpeed: z.strictObject({ speed: liveSpeed }),
  pinCore: z.strictObject({ core: coreId }),
  releaseCore: z.strictObject({ core: coreId }),
  clearCoreOverride: z.strictObject({ core: coreId }),
  lockSideCoreCount: z
    .strictObject({ min: z.number().int().min(0).max(4096), max: z.number().int().min(0).max(4096) })
    .refine((a) => a.max >= a.min, { message: 'the maximum must be at least the minimum', path: ['max'] }),
  unlockSideCoreCount: none,
  pauseLoop: none,
  resumeLoop: none,
  setPolicy: z.strictObject({ name: z.string().min(1).max(100), config: policyConfig }),
  openReplay: z.strictObject({ sessionId }),
  replayPlay: none,
  replayPause: none,
  replaySetSpeed: z.strictObject({ speed }),
  replaySeek: z.strictObject({ t: z.number().finite() }),
  replayStep: z.strictObject({ direction: z.union([z.literal(1), z.literal(-1)]) }),
  replayJumpToDecision: z.strictObject({ direction: z.enum(['next', 'prev']) }),
  closeReplay: none,
  exportSession: z.strictObject({
    sessionId,
    format: z.enum(['csv', 'json', 'sqlite']),
    layout: z.enum(['long', 'wide']).optional(),
    opId: opId.optional(),
  }),
  whatIf: z.strictObject({ sessionId, policy: z.string().min(1).max(100), config: policyConfig.optional(), opId: opId.optional() }),
  cancel: z.strictObject({ opId }),
  saveFile: z
    .strictObject({
      fileName: z.string().min(1).max(255).optional(),
      bytes: z.instanceof(Uint8Array).optional(),
      exportId: z.string().regex(/^[0-9a-f]{32}$/, 'must be an export id (32 hex digits)').optional(),
    })
    .superRefine((a, ctx) => {
      if ((a.bytes === undefined) === (a.exportId === undefined))
        ctx.addIssue({ code: 'custom', message: 'give either bytes or an exportId', path: [a.bytes === undefined ? 'exportId' : 'bytes'] });
      else if (a.bytes !== undefined && a.fileName === undefined) ctx.addIssue({ code: 'custom', message: 'a file name is needed with bytes', path: ['fileName'] });
    }),
} satisfies Record<MethodName, z.ZodType>;

/** True when `name` is a whitelisted method. */
export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && (METHOD_NAMES as readonly string[]).includes(name);
}

/** True when `name` is a whitelisted event stream. */
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? `'${issue.path.join('.')}'` : 'the request';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where} has unknown field(s): ${issue.keys.slice(0, 5).map((k) => k.slice(0, 40)).join(', ')}`;
    case 'invalid_type':
      return `${where} must be ${issue.expected === 'int' ? 'a whole number' : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`}`;
    case 'too_small':
      return `${where} must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' items' : ''}`;
    case 'too_big':
      return `${where} must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' items' : ''}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/** Most keys one object of a request's arguments may have (setPolicy's config has a few dozen at most). */
export const ARGS_MAX_KEYS = 1000;
/** Most values (objects, arrays and their members, counted once each) a request's arguments may hold. */
export const ARGS_MAX_NODES = 10_000;
/**
 * Keys refused wherever they stand, in every method: an object's own `__proto__` (JSON.parse makes
 * one) would be dropped or change the prototype of what a schema builds, `constructor`/`prototype`
 * shadow what code reads from objects. No field of the API is named so.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The first reason `raw` is too large or carries a reserved key, as [field, message], or null. A
 * walk with early exits, before zod: a setPolicy with 80,000 config keys blocked the event loop
 * for seconds in validation.
 */
function argsShapeProblem(raw: unknown): [string, string] | null {
  const tooMany: [string, string] = ['args', `the request holds more than ${ARGS_MAX_NODES} values (the limit per request)`];
  let nodes = 0;
  const stack: [unknown, string][] = [[raw, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (++nodes > ARGS_MAX_NODES) return tooMany;
    if (typeof v !== 'object' || v === null || v instanceof Uint8Array) continue;
    const keys = Array.isArray(v) ? null : Object.keys(v);
    if (keys && keys.length > ARGS_MAX_KEYS) return [path || 'args', `${path ? `'${path}'` : 'the request'} has ${keys.length} fields, more than the ${ARGS_MAX_KEYS} an object may have`];
    if (keys) {
      for (const k of keys) {
        const at = path ? `${path}.${k}` : k;
        if (RESERVED_KEYS.has(k)) return [at, `${path ? `'${path}'` : 'the request'} has unknown field(s): ${k}`];
        stack.push([(v as Record<string, unknown>)[k], at]);
      }
    } else {
      // An array's members count before they are queued: a long array is refused without a walk.
      const a = v as unknown[];
      if (nodes + a.length > ARGS_MAX_NODES) return tooMany;
      for (let i = 0; i < a.length; i++) stack.push([a[i], path ? `${path}.${i}` : String(i)]);
    }
  }
  return null;
}

/**
 * Validate a method name and its argument. `undefined`/`null` count as `{}`. Arguments beyond
 * {@link ARGS_MAX_KEYS} keys in an object or {@link ARGS_MAX_NODES} values in all, and a
 * `__proto__`/`constructor`/`prototype` key anywhere, are refused before the schema runs.
 * Returns the parsed argument or an `invalid-argument` / `not-found` error in words a user understands.
 */
export function validateArgs<K extends MethodName>(method: K, raw: unknown): Result<MethodArgs<K> extends void ? Record<string, never> : MethodArgs<K>>;
export function validateArgs(method: string, raw: unknown): Result<unknown>;
export function validateArgs(method: string, raw: unknown): Result<unknown> {
  if (!isMethodName(method)) return err('not-found', `Unknown request '${String(method).slice(0, 100)}'.`, 'method');
  const shape = argsShapeProblem(raw);
  if (shape) return err('invalid-argument', `Invalid ${method} request: ${shape[1]}.`, shape[0].slice(0, 200));
  const schema = METHOD_SCHEMAS[method] as z.ZodType;
  const parsed = schema.safeParse(raw === undefined || raw === null ? {} : raw);
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0];
  // An unknown key is named as the field at fault ('config.x' rather than 'config').
  const path = issue.code === 'unrecognized_keys' && issue.keys.length ? [...issue.path, issue.keys[0]] : issue.path;
  // A wrong argument as a whole (not an object) is named 'args'.
  const field = path.length ? path.map((k) => String(k) || '""').join('.').slice(0, 200) : 'args';
  return err('invalid-argument', `Invalid ${method} request: ${describeIssue(issue)}.`, field);
}
