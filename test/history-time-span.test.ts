/**
 * A session whose snapshot times span a huge range (an agent clock that jumped by 1e9–1e12 ms):
 * series queries cost what the rows present and the points asked for cost, never the time span.
 * Real SQLite files; HistoryDb directly (to count the work) and through the real worker.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryDb } from '../src/main/history/store.ts';
import { HistoryClient } from '../src/main/history/client.ts';
import { SyntheticHostGen } from '../src/main/history/testing.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';

const OVERVIEW = ['totals.score', 'totals.requestsPerSec', 'totals.latencyUs.p99', 'totals.sideCores'];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-span-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Equal to Float32 precision (rollup chunks store Float32). */
const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.abs(b) + 1e-9;

/** 30 snapshots at 100 ms, then 20 more whose clock jumped forward by `jump` ms. */
function jumped(jump: number): HostSnapshot[] {
  const gen = new SyntheticHostGen({ cores: 6, vms: 4, intervalMs: 100 });
  return Array.from({ length: 50 }, (_, i) => {
    const s = gen.next();
    return i >= 30 ? { ...s, t: s.t + jump } : s;
  });
}

describe('series queries over a huge time span', () => {
  it('hold at most 10 buckets per point and read only the rows present (1e9 ms span, mid-recording and after)', () => {
    const db = new HistoryDb(join(dir, 'h.db'));
    const snaps = jumped(1e9);
    const id = db.beginSession({ host: 'h', source: 'agent', startedAt: 1_700_000_000_000, policy: 'iocm', intervalMs: 100 });
    db.append(id, snaps.slice(0, 40), []);
    const check = (): void => {
      for (const [series, points] of [[OVERVIEW, 600], [['totals.score'], 2]] as const) {
        const before = { ...db.queryWork };
        const q = db.querySeries({ sessionId: id, series: [...series], t0: 0, t1: 1e9 + 10_000, points });
        expect(q.t.length).toBeLessThanOrEqual(10 * points + 1);
        expect(db.queryWork.buckets - before.buckets).toBeLessThanOrEqual(series.length * (10 * points + 1));
        // Snapshot rows and rollup chunk rows: a few per series, not one per empty bucket.
        expect(db.queryWork.rows - before.rows).toBeLessThanOrEqual(snaps.length + 3 * 4 * series.length);
        // Same data: the first point holds the 30 early snapshots, the last the late ones.
        const score = q.series[0];
        const early = snaps.slice(0, 30).map((s) => s.totals.score);
        expect(near(score.values[0], early.reduce((a, b) => a + b) / early.length)).toBe(true);
        const lastIdx = score.values.findLastIndex((v) => !Number.isNaN(v));
        expect(lastIdx).toBeGreaterThan(0);
        const stored = db.getSession(id).snapshots;
        expect(near(score.last[lastIdx], snaps[stored - 1].totals.score)).toBe(true);
        expect(q.t[lastIdx]).toBeLessThanOrEqual(snaps[stored - 1].t);
        expect(q.t[lastIdx] + q.resolutionMs).toBeGreaterThan(snaps[stored - 1].t);
      }
    };
    check();
    db.append(id, snaps.slice(40), []);
    db.endSession(id, 1_700_000_100_000);
    check();
    db.close();
  });

  it('answer the Sessions view query on a 1e12 ms session at once, through the worker', async () => {
    const path = join(dir, 'h.db');
    const db = new HistoryDb(path);
    const id = db.beginSession({ host: 'h', source: 'agent', startedAt: 1_700_000_000_000, policy: 'iocm', intervalMs: 100 });
    db.append(id, jumped(1e12), []);
    db.endSession(id, 1_700_000_100_000);
    db.close();
    const client = await HistoryClient.open({ path });
    try {
      const q = await client.querySeries({ sessionId: id, series: OVERVIEW, t0: 0, t1: 1_000_000_100_000, points: 600 });
      expect(q.t.length).toBeLessThanOrEqual(6001);
      expect(q.series[0].values.filter((v) => !Number.isNaN(v)).length).toBe(2);
      const q2 = await client.querySeries({ sessionId: id, series: ['totals.score'], t0: 0, t1: 1_000_000_100_000, points: 2 });
      expect(q2.t.length).toBeLessThanOrEqual(21);
    } finally {
      await client.close();
    }
  }, 20_000);
});
