/**
 * One policy registry, one path (issue 8, Must 8): `iocm simulate --policy static:2` and the live
 * runner's static:2 give byte-identical snapshots for the same scenario and seed. Compared three
 * ways on the real model: runSimulation (what simulate, sweep and the oracle run), the CLI's
 * --trace (one JSON line per snapshot), and LiveCore — the core of the console's live runner —
 * driven by a fake clock at speed 0 (as fast as possible), a few intervals per tick. The control
 * actions applied (audit events) must match too: both configure static:2 at the epoch at t = 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostEvent } from '../src/shared/policy.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { LiveCore } from '../src/main/loop/live-core.ts';
import { runSimulation } from '../src/main/loop/simulation.ts';
import { loadScenario } from '../src/main/scenario/load.ts';
import { iocm } from './cli-helpers.ts';

const N = 40;
const SEED = 9;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-static-live-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The control actions applied, in order, with their time and source. */
const audits = (events: HostEvent[]): string[] => events.filter((e) => e.kind === 'audit').map((e) => JSON.stringify({ t: e.t, source: e.source, data: e.data }));

function live(scenarioName: string, policy: string): { snapshots: string[]; events: HostEvent[] } {
  const wall = 0;
  const core = new LiveCore({ scenario: loadScenario(scenarioName), seed: SEED, speed: 0, policy, now: () => wall, maxStepsPerTick: 7 });
  const snapshots: string[] = [];
  const events: HostEvent[] = [];
  for (let i = 0; i < 100 && snapshots.length < N; i++) {
    core.tick();
    const b = core.takeBatch();
    if (!b) continue;
    for (const s of b.snapshots) snapshots.push(JSON.stringify(s));
    events.push(...b.events);
  }
  return { snapshots: snapshots.slice(0, N), events };
}

function simulated(scenarioName: string, policy: string): { snapshots: string[]; events: HostEvent[] } {
  const snapshots: string[] = [];
  const events: HostEvent[] = [];
  runSimulation({ scenario: loadScenario(scenarioName), seed: SEED, seconds: N / 10, policy, onSnapshot: (s: HostSnapshot) => snapshots.push(JSON.stringify(s)), onEvent: (e) => events.push(e) });
  return { snapshots, events };
}

describe('static:2: simulate and the live runner give byte-identical snapshots', () => {
  for (const name of ['mixed', 'day']) {
    it(`${name}, seed ${SEED}, first ${N} intervals: runSimulation = LiveCore`, () => {
      const a = simulated(name, 'static:2');
      const b = live(name, 'static:2');
      expect(a.snapshots).toHaveLength(N);
      expect(b.snapshots).toHaveLength(N);
      const first = a.snapshots.findIndex((s, i) => s !== b.snapshots[i]);
      expect(first, `first differing snapshot: ${first}`).toBe(-1);
      // Both configured two side cores before the first interval and never changed them.
      const snaps = a.snapshots.map((s) => JSON.parse(s) as HostSnapshot);
      expect(snaps.every((s) => s.totals.sideCores === 2)).toBe(true);
      expect(audits(b.events)).toEqual(audits(a.events));
      const applied = audits(a.events).map((x) => JSON.parse(x) as { t: number; data: { action: { kind: string; cores?: number[] } } });
      expect(applied.length).toBeGreaterThan(0);
      expect(applied.every((x) => x.t === 0)).toBe(true);
      const cores = loadScenario(name).host.cores;
      expect(applied[0].data.action).toEqual({ kind: 'setSideCores', cores: [cores - 2, cores - 1] });
      // The decisions reported are the same too.
      const decisions = (ev: HostEvent[]) => ev.filter((e) => e.kind === 'decision').map((e) => JSON.stringify(e));
      expect(decisions(b.events)).toEqual(decisions(a.events));
    });
  }

  it('the CLI trace of `iocm simulate --policy static:2` is the live runner\'s snapshots, line for line', async () => {
    const trace = join(dir, 'trace.jsonl');
    const r = await iocm(['simulate', '--scenario', 'mixed', '--policy', 'static:2', '--seed', String(SEED), '--seconds', String(N / 10), '--trace', trace, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(N);
    expect(lines).toEqual(live('mixed', 'static:2').snapshots);
  });

  it('the comparison can fail: another seed or another count gives other snapshots', () => {
    const base = live('mixed', 'static:2').snapshots;
    expect(simulated('mixed', 'static:3').snapshots).not.toEqual(base);
    const snaps: string[] = [];
    const other = runSimulation({ scenario: loadScenario('mixed'), seed: SEED + 1, seconds: N / 10, policy: 'static:2', onSnapshot: (s) => snaps.push(JSON.stringify(s)) });
    expect(other.intervals).toBe(N);
    expect(snaps).not.toEqual(base);
  });
});

describe('static:K means the K highest eligible cores, whatever was in force before', () => {
  /** Run a live core `n` intervals (fake clock, as fast as possible). */
  const advance = (core: LiveCore, n: number): void => {
    for (let i = 0; i < n; i++) {
      core.tick();
      core.takeBatch();
    }
  };
  for (const first of ['static:2', 'iocm']) {
    it(`rr-few under ${first}: release core 5 → clear it → static:2 chooses the cores a fresh static:2 chooses`, () => {
      const fresh = simulated('rr-few', 'static:2');
      const freshCores = (fresh.events.find((e) => e.kind === 'audit')!.data as { action: { cores: number[] } }).action.cores;
      const cores = loadScenario('rr-few').host.cores;
      expect(freshCores).toEqual([cores - 2, cores - 1]);
      const core = new LiveCore({ scenario: loadScenario('rr-few'), seed: SEED, speed: 0, policy: first, now: () => 0, maxStepsPerTick: 10 });
      advance(core, 5);
      if (first === 'iocm') expect(core.setPolicy('static:2', {})).toEqual([]);
      advance(core, 5);
      expect(core.override({ kind: 'release', core: cores - 1 }).ok).toBe(true);
      advance(core, 5);
      // While released, the highest eligible: core 5 is out.
      expect(core.config().sideCores).toEqual([cores - 3, cores - 2]);
      expect(core.override({ kind: 'clear', core: cores - 1 }).ok).toBe(true);
      expect(core.setPolicy('static:2', {})).toEqual([]);
      advance(core, 5);
      expect(core.config().sideCores).toEqual(freshCores);
      expect(core.status().policy).toBe('static:2');
    });
  }
});

