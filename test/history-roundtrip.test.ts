/**
 * History on real SQLite files through the real worker: record → list →
 * replay equals what was recorded; seek/step/jump land on the right
 * snapshot; export → import round-trips exactly; CSV layouts.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryClient } from '../src/main/history/client.ts';
import { ReplayCursor, type ReplayTimer } from '../src/main/history/replay.ts';
import { SyntheticHostGen, syntheticEvent } from '../src/main/history/testing.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import type { HostEvent, TelemetryBatch } from '../src/shared/policy.ts';

let dir: string;
let client: HistoryClient;
let id: string;
const snaps: HostSnapshot[] = [];
const events: HostEvent[] = [];
const STARTED = Date.UTC(2026, 0, 2, 3, 0, 0);

class FakeTimer implements ReplayTimer {
  t = 0;
  fns = new Map<number, () => void>();
  next = 1;
  now = (): number => this.t;
  setInterval = (fn: () => void): unknown => {
    const h = this.next++;
    this.fns.set(h, fn);
    return h;
  };
  clearInterval = (h: unknown): void => void this.fns.delete(h as number);
  fire(ms: number): void {
    this.t += ms;
    for (const f of [...this.fns.values()]) f();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-hist-'));
  client = await HistoryClient.open({ path: join(dir, 'history.db'), clock: () => STARTED });
  const gen = new SyntheticHostGen({ cores: 8, vms: 6, queuesPerVm: 2, intervalMs: 100, phaseMs: 4000 });
  const rec = await client.startRecording({ host: 'model-host', source: 'model', policy: 'iocm', policyConfig: { epochMs: 500 }, seed: 7, intervalMs: 100 });
  id = rec.sessionId;
  for (let i = 0; i < 600; i++) {
    const s = gen.next();
    snaps.push(s);
    rec.record(s);
    if (i % 7 === 3) {
      const e = syntheticEvent(s.t - 50, i);
      events.push(e);
      rec.recordEvent(e);
    }
  }
  await rec.close();
});

afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('history on a real SQLite file', () => {
  it('lists the recorded session with its metadata', async () => {
    const list = await client.listSessions();
    expect(list.map((s) => s.id)).toEqual([id]);
    const s = list[0];
    expect(s).toMatchObject({ host: 'model-host', source: 'model', policy: 'iocm', snapshots: 600, startedAt: STARTED, status: 'complete', seed: 7, t0: 100, t1: 60_000 });
    expect(s.decisions).toBe(events.filter((e) => e.kind === 'decision').length);
    expect(s.appVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('replay at 64× delivers exactly what was recorded, in live-batch shape', async () => {
    const timer = new FakeTimer();
    const batches: TelemetryBatch[] = [];
    const cur = await ReplayCursor.open(client, id, { timer, onBatch: (b) => batches.push(b) });
    cur.setSpeed(64);
    cur.play();
    for (let i = 0; i < 200 && cur.state().playing; i++) {
      timer.fire(100);
      await cur.idle();
    }
    expect(cur.state().playing).toBe(false);
    expect(cur.state().t).toBe(60_000);
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.flatMap((b) => b.snapshots)).toEqual(snaps);
    expect(batches.flatMap((b) => b.events)).toEqual(events);
    // each tick advanced 100 ms × 64 of session time
    expect(batches[0].snapshots.length).toBe(64);
    expect(() => cur.setSpeed(65)).toThrow(/between 0.25 and 64/);
    expect(() => cur.setSpeed(0.1)).toThrow(RangeError);
  });

  it('seek lands on the snapshot covering t; step and jump move by one snapshot / event', async () => {
    const batches: TelemetryBatch[] = [];
    const cur = await ReplayCursor.open(client, id, { timer: new FakeTimer(), onBatch: (b) => batches.push(b) });
    await cur.seek(12_345);
    expect(batches.at(-1)!.snapshots).toEqual([snaps.find((s) => s.t === 12_400)]);
    expect(batches.at(-1)!.events).toEqual(events.filter((e) => e.t > 12_300 && e.t <= 12_400));
    await cur.seek(12_400);
    expect(batches.at(-1)!.snapshots[0].t).toBe(12_400);
    await cur.step(1);
    expect(batches.at(-1)!.snapshots[0].seq).toBe(124);
    await cur.step(-1);
    await cur.step(-1);
    expect(batches.at(-1)!.snapshots[0].seq).toBe(122);
    const decisionsAfter = events.filter((e) => e.t > 12_300 && (e.kind === 'decision' || e.kind === 'override'));
    await cur.jump('next');
    expect(batches.at(-1)!.events).toContainEqual(decisionsAfter[0]);
    expect(cur.state().t).toBe(Math.ceil(decisionsAfter[0].t / 100) * 100);
    await cur.jump('next');
    expect(batches.at(-1)!.events).toContainEqual(decisionsAfter[1]);
    await cur.jump('prev');
    expect(batches.at(-1)!.events).toContainEqual(decisionsAfter[0]);
    await cur.seek(1e9);
    expect(cur.state().t).toBe(60_000);
  });

  it('series queries pick the rollup resolution by points', async () => {
    const q = await client.querySeries({ sessionId: id, series: ['totals.score', 'core.7.side', 'vm.web-0.latencyP99'], t0: 0, t1: 60_000, points: 50 });
    expect(q.resolutionMs).toBe(1000);
    expect(q.t.length).toBe(61);
    const firstSecond = snaps.filter((s) => s.t < 1000).map((s) => s.totals.score);
    expect(q.series[0].values[0]).toBeCloseTo(firstSecond.reduce((a, b) => a + b) / firstSecond.length, 0);
    const q2 = await client.querySeries({ sessionId: id, series: ['totals.score'], t0: 0, t1: 60_000, points: 5 });
    expect(q2.resolutionMs).toBe(10_000);
    await expect(client.querySeries({ sessionId: id, series: ['bogus'], t0: 0, t1: 1, points: 1 })).rejects.toThrow(/unknown series 'bogus'/);
  });

  it('export → import round-trips exactly (JSON bundle and SQLite file)', async () => {
    const json1 = join(dir, 'a.json');
    await client.exportSession({ sessionId: id, format: 'json', out: json1 });
    const bundleText = readFileSync(json1, 'utf8');
    await expect(client.exportSession({ sessionId: id, format: 'json', out: json1 })).rejects.toThrow(/exists; nothing was overwritten/);
    await expect(client.exportSession({ sessionId: id, format: 'sqlite', out: json1 })).rejects.toThrow(/exists; nothing was overwritten/);
    expect(readFileSync(json1, 'utf8')).toBe(bundleText);
    await expect(client.exportSession({ sessionId: id, format: 'csv', out: join(dir, 'no-such-dir', 'x.csv') })).rejects.toThrow(/cannot create .*x\.csv: ENOENT/);
    const sqlite1 = join(dir, 'a.iocm.db');
    await client.exportSession({ sessionId: id, format: 'sqlite', out: sqlite1 });

    const other = await HistoryClient.open({ path: join(dir, 'other.db') });
    try {
      const r1 = await other.importFile(json1);
      expect(r1.sessions).toEqual([{ id, originalId: id }]);
      const json2 = join(dir, 'b.json');
      await other.exportSession({ sessionId: id, format: 'json', out: json2 });
      expect(readFileSync(json2, 'utf8')).toBe(readFileSync(json1, 'utf8'));
      // The same session again: its id is taken, so it gets a new one; nothing is overwritten.
      const r2 = await other.importFile(sqlite1);
      expect(r2.sessions[0].originalId).toBe(id);
      expect(r2.sessions[0].id).not.toBe(id);
      const copy = r2.sessions[0].id;
      expect(await other.snapshotsBySeq(copy, 0, 1000)).toEqual(snaps);
      expect(await other.eventsBetween(copy, -Infinity, Infinity)).toEqual(events);
      const a = await client.getSession(id);
      const b = await other.getSession(copy);
      expect({ ...b, id: a.id }).toEqual(a);
      expect((await other.listSessions()).length).toBe(2);
      const qa = await client.querySeries({ sessionId: id, series: ['totals.score'], t0: 0, t1: 60_000, points: 50 });
      const qb = await other.querySeries({ sessionId: copy, series: ['totals.score'], t0: 0, t1: 60_000, points: 50 });
      expect(qb).toEqual(qa);
    } finally {
      await other.close();
    }
  });

  it('exports CSV long and wide with ISO-8601 UTC and unix ms, names, units, rounded values and events as rows', async () => {
    const long = join(dir, 'long.csv');
    await client.exportSession({ sessionId: id, format: 'csv', out: long, csvLayout: 'long' });
    const lines = readFileSync(long, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('time,unix_ms,t_ms,row,entity,metric,unit,value,detail');
    const score = lines.find((l) => l.includes(',sample,host,score,'))!.split(',');
    expect(score[0]).toBe(new Date(STARTED + 100).toISOString());
    expect(score[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Number(score[1])).toBe(STARTED + 100);
    expect(score[6]).toBe('score units');
    expect(Number(score[7])).toBe(Number(snaps[0].totals.score.toPrecision(6)));
    // VMs by name (the session has no host description: names from the recorded snapshots), units, integers for cycles.
    const vm0 = snaps[0].vms[0];
    const vmRow = lines.find((l) => l.startsWith(`${score[0]},`) && l.includes(`,sample,${vm0.name},requestsPerSec,`))!.split(',');
    expect(vmRow[6]).toBe('req/s');
    expect(Number(vmRow[7])).toBe(Number(vm0.requestsPerSec.toPrecision(6)));
    const idle = lines.find((l) => l.startsWith(`${score[0]},`) && l.includes(',sample,core 0,idle,'))!.split(',');
    expect(idle[6]).toBe('cycles');
    expect(Number(idle[7])).toBe(Math.round(snaps[0].cores[0].cycles.idle));
    expect(lines.some((l) => l.includes(',queue.0,') || /,vm,|,device,/.test(l))).toBe(false);
    // Events: overrides as rows with their words; decisions to stay left out.
    const overrides = events.filter((e) => e.kind === 'override');
    const eventRows = lines.filter((l) => /^[^,]+,\d+,[\d.]+,(decision|override),/.test(l));
    expect(eventRows.length).toBe(overrides.length);
    expect(eventRows[0]).toContain(`,override,host,operator,,,${overrides[0].message}`);
    expect(Number(eventRows[0].split(',')[2])).toBe(overrides[0].t);

    const wide = join(dir, 'wide.csv');
    await client.exportSession({ sessionId: id, format: 'csv', out: wide, csvLayout: 'wide' });
    const w = readFileSync(wide, 'utf8').trimEnd().split('\n');
    const head = w[0].split(',');
    expect(head.slice(0, 3)).toEqual(['time', 'unix_ms', 't_ms']);
    expect(head[head.length - 1]).toBe('events');
    // One row per snapshot; every column of an entity that exists is filled.
    expect(w.length - 1).toBe(snaps.length);
    const first = w[1].split(',');
    const col = head.indexOf(`${vm0.name} requestsPerSec (req/s)`);
    expect(col).toBeGreaterThan(2);
    expect(Number(first[col])).toBe(Number(vm0.requestsPerSec.toPrecision(6)));
    const hostCols = head.map((h, i) => (h.startsWith('host ') ? i : -1)).filter((i) => i >= 0);
    for (const i of hostCols) expect(first[i], head[i]).not.toBe('');
    const withEvent = w.find((l) => l.endsWith(overrides[0].message))!;
    expect(withEvent).toContain(`override: ${overrides[0].message}`);
  });

  it('rejects bad bundles with errors naming what is wrong', async () => {
    const bad = join(dir, 'bad.json');
    const b = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
    b.snapshots[3].t = 'soon';
    delete b.session.host;
    (await import('node:fs')).writeFileSync(bad, JSON.stringify(b));
    const other = await HistoryClient.open({ path: join(dir, 'third.db') });
    try {
      await expect(other.importFile(bad)).rejects.toThrow(/bundle\.session\.host.*|bundle\.snapshots\[3\]\.t/);
      await expect(other.importFile(bad)).rejects.toThrow(/snapshots\[3\]\.t/);
      (await import('node:fs')).writeFileSync(bad, '{"format": "x"');
      await expect(other.importFile(bad)).rejects.toThrow(/not valid JSON|neither/);
      expect(await other.listSessions()).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
