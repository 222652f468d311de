/**
 * What-if on the real host model: re-running a recorded simulation under the
 * same policy reproduces it exactly (same scenario, seed and recorded loads);
 * under another policy it is stored as a child session with a comparison;
 * progress is reported and cancellation leaves nothing behind. Also the CLI.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { HistoryClient } from '../src/main/history/client.ts';
import { startSimRecording } from '../src/main/history/sim-record.ts';
import { loadScenario } from '../src/main/scenario/load.ts';
import { runSimulation } from '../src/main/loop/simulation.ts';
import { main } from '../src/main/cli/iocm.ts';
import type { CostOverrides } from '../src/shared/scenario.ts';

let dir: string;
let db: string;
let baseId: string;

function sink(): { stream: Writable; text: () => string } {
  let s = '';
  return { stream: new Writable({ write: (c, _e, cb) => ((s += c.toString()), cb()) }), text: () => s };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-whatif-'));
  db = join(dir, 'h.db');
  const scenario = loadScenario('mixed');
  const rec = await startSimRecording(db, { scenario, seed: 5, policy: 'static:1', intervalMs: 100 });
  runSimulation({ scenario, seed: 5, seconds: 12, intervalMs: 100, policy: 'static:1', onSnapshot: rec.onSnapshot, onEvent: rec.onEvent });
  baseId = (await rec.close()).id;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('what-if', () => {
  it('same policy reproduces the recorded session exactly; another policy is compared per phase', async () => {
    const client = await HistoryClient.open({ path: db, clock: () => 42 });
    try {
      const base = await client.getSession(baseId);
      expect(base.snapshots).toBe(120);
      const same = await client.whatIf({ sessionId: baseId, policy: 'static:1' });
      expect(await client.snapshotsBySeq(same.sessionId, 0, 1e6)).toEqual(await client.snapshotsBySeq(baseId, 0, 1e6));
      const fractions: number[] = [];
      const other = await client.whatIf({ sessionId: baseId, policy: 'static:3' }, { onProgress: (f) => fractions.push(f) });
      expect(fractions.at(-1)).toBe(1);
      const s = await client.getSession(other.sessionId);
      expect(s).toMatchObject({ parentId: baseId, policy: 'static:3', snapshots: 120, startedAt: 42 });
      // Ended when the re-run finished on the client's clock (42 + the seconds it took), not at
      // 42 + the 12 simulated seconds.
      expect(s.endedAt).toBeGreaterThanOrEqual(42);
      expect(s.endedAt).toBeLessThan(42 + 12_000);
      const c = other.comparison;
      expect(c.base).toEqual({ sessionId: baseId, policy: 'static:1' });
      const side = c.rows.find((r) => r.metric === 'side-core-seconds' && r.phase === 'total')!;
      expect(side.base).toBeCloseTo(1 * 12, 6);
      expect(side.other).toBeCloseTo(3 * 12, 6);
      expect(new Set(c.rows.map((r) => r.metric))).toEqual(new Set(['score', 'latency p50', 'latency p99', 'side-core-seconds']));
      const snapsOther = await client.snapshotsBySeq(other.sessionId, 0, 1e6);
      expect(snapsOther.every((x) => x.totals.sideCores === 3)).toBe(true);
      // The recorded offered loads were replayed.
      expect(snapsOther.map((x) => x.vms.map((v) => v.load))).toEqual((await client.snapshotsBySeq(baseId, 0, 1e6)).map((x) => x.vms.map((v) => v.load)));
    } finally {
      await client.close();
    }
  });

  it('can be cancelled; nothing half-done stays', async () => {
    const client = await HistoryClient.open({ path: db });
    try {
      const before = (await client.listSessions()).length;
      const ac = new AbortController();
      const p = client.whatIf({ sessionId: baseId, policy: 'vhost' }, { signal: ac.signal, onProgress: () => ac.abort() });
      await expect(p).rejects.toThrow(/cancelled/);
      expect((await client.listSessions()).length).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('cost overrides that the model cannot take are refused by name before anything is stored', async () => {
    const client = await HistoryClient.open({ path: db });
    try {
      const before = (await client.listSessions()).length;
      await expect(client.whatIf({ sessionId: baseId, policy: 'vhost', costs: JSON.parse('{"netRequestCyclez":5}') as CostOverrides })).rejects.toThrow(/cost overrides: host\.costs\.netRequestCyclez: unknown cost parameter/);
      await expect(client.whatIf({ sessionId: baseId, policy: 'vhost', costs: { emptyPollCycles: 0 } })).rejects.toThrow(/cost overrides: host\.costs\.emptyPollCycles: must be > 0/);
      expect((await client.listSessions()).length).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('iocm whatif prints a side-by-side comparison; bad input exits 2', async () => {
    const out = sink();
    const err = sink();
    // While it runs, SIGINT and SIGTERM cancel it (test/cli-whatif-signal.test.ts); once done, its listeners are gone.
    const listeners = (): number[] => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = listeners();
    const code = await main(['whatif', '--db', db, '--session', baseId, '--policy', 'vhost'], { stdout: out.stream, stderr: err.stream });
    expect(listeners()).toEqual(before);
    expect(err.text()).toBe('');
    expect(code).toBe(0);
    expect(out.text()).toMatch(/stored as session \S+/);
    expect(out.text()).toMatch(/total\s+side-core-seconds \(s\)\s+12\s+0/);
    const bad = sink();
    expect(await main(['whatif', '--db', db, '--session', 'nope', '--policy', 'vhost'], { stdout: out.stream, stderr: bad.stream })).toBe(2);
    expect(bad.text()).toMatch(/no session 'nope'/);
    expect(await main(['whatif', '--db', db, '--session', baseId, '--policy', 'warp'], { stdout: out.stream, stderr: bad.stream })).toBe(2);
    expect(bad.text()).toMatch(/unknown policy 'warp'/);
    expect(listeners()).toEqual(before);
  });
});
