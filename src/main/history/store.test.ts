import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryDb } from './store.ts';
import { SyntheticHostGen, syntheticEvent } from './testing.ts';
import type { HostSnapshot } from '../../shared/snapshot.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(db: HistoryDb, n: number, intervalMs = 100): { id: string; snaps: HostSnapshot[] } {
  const gen = new SyntheticHostGen({ cores: 6, vms: 4, intervalMs, phaseMs: 5000 });
  const id = db.beginSession({ host: 'h', source: 'model', startedAt: 1_700_000_000_000, policy: 'iocm', intervalMs });
  const snaps: HostSnapshot[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch: HostSnapshot[] = [];
    for (let j = i; j < Math.min(n, i + 50); j++) batch.push(gen.next());
    snaps.push(...batch);
    db.append(id, batch, [syntheticEvent(batch[0].t, i / 50)]);
  }
  return { id, snaps };
}

/** Reference rollup: avg/min/max/last of the raw series per bucket. */
function reference(snaps: HostSnapshot[], get: (s: HostSnapshot) => number, res: number, b: number): { avg: number; min: number; max: number; last: number } | null {
  const vs = snaps.filter((s) => Math.floor(s.t / res) === b).map(get);
  if (!vs.length) return null;
  return { avg: vs.reduce((a, x) => a + x, 0) / vs.length, min: Math.min(...vs), max: Math.max(...vs), last: vs[vs.length - 1] };
}

describe('HistoryDb', () => {
  it('stores snapshots exactly and seeks to the snapshot covering t', () => {
    const db = new HistoryDb(join(dir, 'h.db'));
    const { id, snaps } = record(db, 300);
    db.endSession(id, 1_700_000_030_000);
    expect(db.snapshotsBySeq(id, 0, 1000)).toEqual(snaps);
    expect(db.seek(id, 1250)!.seq).toBe(12); // snapshot t=1300 covers (1200, 1300]
    expect(db.seek(id, 1300)!.seq).toBe(12);
    expect(db.seek(id, 0)!.seq).toBe(0);
    expect(db.seek(id, 1e9)!.seq).toBe(299);
    const s = db.getSession(id);
    expect(s.snapshots).toBe(300);
    expect(s.status).toBe('complete');
    expect(s.decisions + s.events).toBeGreaterThan(0);
    db.close();
  });

  it('rollups agree with a reference computed from the raw series, while recording and after', () => {
    const db = new HistoryDb(join(dir, 'h.db'));
    const { id, snaps } = record(db, 1500); // 150 s at 100 ms
    const check = (res: number): void => {
      const q = db.querySeries({ sessionId: id, series: ['totals.score', 'core.5.io', 'vm.web-0.latencyP99'], t0: 0, t1: 150_000, points: Math.floor(150_000 / res) });
      expect(q.resolutionMs).toBe(res);
      const getters = [(s: HostSnapshot) => s.totals.score, (s: HostSnapshot) => s.cores[5].cycles.io, (s: HostSnapshot) => s.vms[0].latencyUs.p99];
      let nonEmpty = 0;
      q.t.forEach((t, i) => {
        getters.forEach((g, k) => {
          const ref = reference(snaps, g, res, t / res);
          const ser = q.series[k];
          if (!ref) {
            expect(ser.values[i]).toBeNaN();
            return;
          }
          nonEmpty++;
          expect(ser.values[i]).toBeCloseTo(ref.avg, -Math.log10(Math.abs(ref.avg) * 1e-6 + 1e-9));
          expect(Math.abs(ser.max[i] - ref.max) / (Math.abs(ref.max) + 1e-9)).toBeLessThan(1e-6);
          expect(Math.abs(ser.last[i] - ref.last) / (Math.abs(ref.last) + 1e-9)).toBeLessThan(1e-6);
        });
      });
      expect(nonEmpty).toBeGreaterThan(0);
    };
    check(1000); // mid-recording: stored chunks + tail from raw
    check(10_000);
    db.endSession(id, 1);
    check(1000);
    check(10_000);
    check(60_000);
    // Short range → raw, exact.
    const raw = db.querySeries({ sessionId: id, series: ['totals.score'], t0: 1000, t1: 2000, points: 5 });
    expect(raw.resolutionMs).toBe(100);
    expect(raw.t).toEqual(snaps.filter((s) => s.t >= 1000 && s.t <= 2000).map((s) => s.t));
    expect(raw.series[0].values).toEqual(snaps.filter((s) => s.t >= 1000 && s.t <= 2000).map((s) => s.totals.score));
    expect(() => db.querySeries({ sessionId: id, series: ['nope.x'], t0: 0, t1: 1, points: 1 })).toThrow(/unknown series 'nope.x'/);
    db.close();
  });

  it('keeps every bucket of a series query inside the range asked for, capped or not, while recording and after', () => {
    // 100 minutes at 2 s (rollups of 10 s and 60 s; one 60 s chunk row of 64 buckets is stored
    // after 64 minutes). Ranges that start and end mid-bucket.
    const db = new HistoryDb(join(dir, 'h.db'));
    const gen = new SyntheticHostGen({ cores: 6, vms: 4, intervalMs: 2000, phaseMs: 60_000 });
    const id = db.beginSession({ host: 'h', source: 'model', startedAt: 1_700_000_000_000, policy: 'iocm', intervalMs: 2000 });
    const snaps: HostSnapshot[] = [];
    const append = (n: number): void => {
      for (let i = 0; i < n; i += 100) {
        const batch = Array.from({ length: Math.min(100, n - i) }, () => gen.next());
        snaps.push(...batch);
        db.append(id, batch, []);
      }
    };
    const check = (t0: number, t1: number, points: number, capped: boolean): void => {
      const q = db.querySeries({ sessionId: id, series: ['totals.score'], t0, t1, points });
      const width = q.resolutionMs;
      expect(width > 60_000).toBe(capped);
      expect(q.t.length).toBeLessThanOrEqual(10 * points);
      expect(q.t[0]).toBe(t0);
      // The buckets tile [t0, t1]: bucket i holds the snapshots with t[i] ≤ t < t[i+1] (the last: ≤ t1).
      q.t.forEach((t, i) => {
        expect(t).toBeGreaterThanOrEqual(t0);
        expect(t).toBeLessThanOrEqual(t1);
        const lastOne = i + 1 === q.t.length;
        // Nothing lies past the last snapshot recorded: the range ends there when t1 is later.
        const end = lastOne ? Math.min(t1, snaps[snaps.length - 1].t) : q.t[i + 1];
        expect(end - t).toBeLessThanOrEqual(width);
        const vs = snaps.filter((s) => s.t >= t && (s.t < end || (lastOne && s.t === end))).map((s) => s.totals.score);
        const ser = q.series[0];
        if (vs.length === 0) {
          expect(ser.values[i]).toBeNaN();
          return;
        }
        const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 * Math.abs(b) + 1e-9);
        close(ser.values[i], vs.reduce((a, x) => a + x, 0) / vs.length);
        close(ser.min[i], Math.min(...vs));
        close(ser.max[i], Math.max(...vs));
        close(ser.last[i], vs[vs.length - 1]);
      });
    };
    const ranges = (): void => {
      check(425_300, 2_950_700, 2, true); // 60 s buckets merged 3 by 3
      check(425_300, 2_950_700, 20, false);
      check(61_000, 5_000_000, 3, true); // past the last snapshot while recording
      check(1_799_000, 3_970_000, 1, true);
    };
    append(2000); // 4000 s: the 60 s chunk not stored yet
    ranges();
    append(1000);
    db.endSession(id, 1_700_000_000_000 + 6_000_000);
    ranges();
    check(3_599_000, 5_970_000, 1, true);
    check(0, 6_000_000, 4, true);
    db.close();
  });

  it('lists sessions newest recording first, a recording started on a running host by when its recorded time begins', () => {
    const db = new HistoryDb(join(dir, 'h.db'));
    // A: t = 0 at 10 000 ms, recorded from its start. B: a host whose t = 0 was at 5 000 ms,
    // recorded from its t = 20 000 ms on (Stop, then Start recording): it began at 25 000 ms.
    const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
    const a = db.beginSession({ id: 'a', host: 'h', source: 'model', startedAt: 10_000, intervalMs: 100 });
    db.append(a, Array.from({ length: 10 }, () => gen.next()), []);
    const late = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
    const all = Array.from({ length: 210 }, () => late.next());
    const b = db.beginSession({ id: 'b', host: 'h', source: 'model', startedAt: 5_000, intervalMs: 100 });
    db.append(b, all.slice(200), []);
    const list = db.listSessions();
    expect(list.map((s) => s.id)).toEqual(['b', 'a']);
    expect(list.map((s) => [s.recordedFrom, s.durationMs])).toEqual([
      [25_000, 1_000],
      [10_000, 1_000],
    ]);
    db.close();
  });

  it('retention removes the oldest sessions first and says which', () => {
    const db = new HistoryDb(join(dir, 'h.db'));
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) {
      const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
      const id = db.beginSession({ host: `h${k}`, source: 'model', startedAt: 1000 * k });
      db.append(id, Array.from({ length: 100 }, () => gen.next()), []);
      db.endSession(id, 1000 * k + 10);
      ids.push(id);
    }
    const one = db.getSession(ids[0]).bytes;
    const removed = db.applyRetention({ maxBytes: one * 1.5 }, 5000);
    expect(removed.map((r) => r.id)).toEqual([ids[0], ids[1]]);
    expect(removed[0].reason).toBe('size');
    expect(db.listSessions().map((s) => s.id)).toEqual([ids[2]]);
    expect(db.applyRetention({ maxAgeMs: 1000 }, 4000).map((r) => [r.id, r.reason])).toEqual([[ids[2], 'age']]);
    db.close();
  });
});
