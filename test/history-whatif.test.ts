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
import { HistoryDb } from '../src/main/history/store.ts';
import { runWhatIfInStore } from '../src/main/history/whatif.ts';
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

  it('ends a slice after 100 ms of wall time too, so a cancel waits about one interval, not 200; the re-run is the same', async () => {
    const store = new HistoryDb(db);
    try {
      const run = async (step: number, abortAfterFirst: boolean): Promise<{ messages: string[]; id: string | null }> => {
        let t = 1_000;
        const messages: string[] = [];
        try {
          const r = await runWhatIfInStore(
            store,
            { sessionId: baseId, policy: 'static:2' },
            (_f, m) => messages.push(m),
            () => abortAfterFirst && messages.length > 0,
            () => {},
            // A clock that advances `step` ms each time it is read (about once per interval).
            () => (t += step),
          );
          return { messages, id: r.sessionId };
        } catch (err) {
          expect(String(err)).toMatch(/what-if cancelled/);
          return { messages, id: null };
        }
      };
      // A fast machine (the clock barely moves): slices of 6 of the 120 intervals, as before.
      const fast = await run(0, false);
      expect(fast.messages.filter((m) => /intervals$/.test(m))[0]).toMatch(/: 6\/120 intervals$/);
      // A slow one (60 ms an interval): a slice ends as its second interval passes 100 ms.
      const slow = await run(60, false);
      const slices = slow.messages.filter((m) => /intervals$/.test(m));
      expect(slices[0]).toMatch(/: 2\/120 intervals$/);
      expect(slices.length).toBeGreaterThanOrEqual(55);
      // Slicing changes when it yields, never what it runs.
      expect(store.snapshotsBySeq(slow.id!, 0, 1e6)).toEqual(store.snapshotsBySeq(fast.id!, 0, 1e6));
      // Cancelled after the first slice: two intervals run, then nothing stays.
      const before = store.listSessions().length;
      const cancelled = await run(60, true);
      expect(cancelled.id).toBeNull();
      expect(cancelled.messages.filter((m) => /intervals$/.test(m))).toEqual([expect.stringMatching(/: 2\/120 intervals$/)]);
      expect(store.listSessions().length).toBe(before);
    } finally {
      store.close();
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
