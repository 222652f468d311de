/**
 * fast-check arbitraries for IocmApi requests: every method, with arguments that are valid,
 * nearly valid (one field replaced by anything, an unknown field added, a field removed) or
 * anything at all; plus unknown method names. And the checks every answer must pass.
 */
import fc from 'fast-check';
import { METHOD_NAMES, type ConsoleState, type Result } from '../../src/shared/api.ts';

/** Plausible arguments per method (the fuzzer mutates them). */
const TEMPLATES: Record<string, Record<string, unknown>> = {
  getState: {},
  listScenarios: {},
  listPolicies: {},
  listSessions: { search: 'x', limit: 5, offset: 0 },
  getSession: { sessionId: 'nope' },
  querySeries: { sessionId: 'nope', series: ['totals.score'], t0: 0, t1: 1000, points: 10 },
  getAuditLog: { limit: 5 },
  getRecentTelemetry: { snapshots: 3 },
  connectModel: { scenario: 'no-such-scenario', seed: 1, speed: 1 },
  connectAgent: { url: 'http://127.0.0.1:1', token: 'x' },
  setLiveSpeed: { speed: 1 },
  pinCore: { core: 9999 },
  releaseCore: { core: 9999 },
  clearCoreOverride: { core: 9999 },
  lockSideCoreCount: { min: 9000, max: 9001 },
  unlockSideCoreCount: {},
  pauseLoop: {},
  resumeLoop: {},
  setPolicy: { name: 'iocm', config: { nope: 1 } },
  openReplay: { sessionId: 'nope' },
  replayPlay: {},
  replayPause: {},
  replaySetSpeed: { speed: 1 },
  replaySeek: { t: 0 },
  replayStep: { direction: 1 },
  replayJumpToDecision: { direction: 'next' },
  closeReplay: {},
  exportSession: { sessionId: 'nope', format: 'csv' },
  whatIf: { sessionId: 'nope', policy: 'vhost' },
  cancel: { opId: 'nope' },
  saveFile: { exportId: '0'.repeat(32) },
};

/** A value of any JSON-ish kind (small). */
const anyValue = fc.oneof(
  fc.anything({ maxDepth: 2, maxKeys: 4 }),
  fc.constantFrom(-1, 0, 1e308, -1e308, Number.NaN, 2 ** 53, '', '../../etc/passwd', '/dev/zero', '%', '\u0000', '\u001b[2J', 'x'.repeat(5000), null, [], {}),
);

/** One request: method (maybe unknown) and args. */
export const apiCase: fc.Arbitrary<{ method: string; args: unknown }> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...METHOD_NAMES).chain((method) => mutated(method)) },
  { weight: 1, arbitrary: fc.record({ method: fc.constantFrom(...METHOD_NAMES), args: anyValue }) },
  { weight: 1, arbitrary: fc.record({ method: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'on')), args: anyValue }) },
);

function mutated(method: string): fc.Arbitrary<{ method: string; args: unknown }> {
  const base = TEMPLATES[method] ?? {};
  const keys = Object.keys(base);
  const ops: fc.Arbitrary<Record<string, unknown>>[] = [fc.constant({ ...base }), fc.record({ k: fc.string({ maxLength: 12 }), v: anyValue }).map(({ k, v }) => ({ ...base, [k]: v }))];
  if (keys.length) {
    ops.push(fc.record({ k: fc.constantFrom(...keys), v: anyValue }).map(({ k, v }) => ({ ...base, [k]: v })));
    ops.push(fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(base).filter(([x]) => x !== k))));
  }
  return fc.oneof(...ops).map((args) => ({ method, args }));
}

/** The parts of the console state a rejected command must leave unchanged. */
export function stableState(s: ConsoleState): unknown {
  return {
    connection: s.connection,
    overrides: s.overrides,
    recording: s.recording.sessionId,
    replay: s.replay && { sessionId: s.replay.sessionId, playing: s.replay.playing, speed: s.replay.speed },
    policy: s.loop?.policy,
    config: s.loop?.config,
  };
}

/** Problems with one answer (empty = fine). */
export function answerProblems(r: unknown): string[] {
  if (!r || typeof r !== 'object' || typeof (r as { ok?: unknown }).ok !== 'boolean') return [`not a Result: ${JSON.stringify(r)?.slice(0, 200)}`];
  const res = r as Result<unknown>;
  if (res.ok) return [];
  const p: string[] = [];
  if (typeof res.error.message !== 'string' || res.error.message.length < 5) p.push('no message');
  if (res.error.code === 'internal') p.push(`internal error: ${res.error.message}`);
  if (res.error.code === 'invalid-argument' && !res.error.field) p.push(`invalid-argument without a field: ${res.error.message}`);
  return p;
}

/** Counters for the summary. */
export class Tally {
  calls = 0;
  accepted = 0;
  rejected = 0;
  byCode = new Map<string, number>();
  problems: string[] = [];
  add(r: Result<unknown>, problems: string[]): void {
    this.calls++;
    if (r.ok) this.accepted++;
    else {
      this.rejected++;
      this.byCode.set(r.error.code, (this.byCode.get(r.error.code) ?? 0) + 1);
    }
    for (const x of problems) if (this.problems.length < 20) this.problems.push(x);
  }
  figures(): Record<string, number> {
    return { cases: this.calls, accepted: this.accepted, rejected: this.rejected, ...Object.fromEntries([...this.byCode].map(([k, v]) => [`code:${k}`, v])) };
  }
}
