/**
 * The services under hostile or racing calls (issue 10, items 3, 4 and 6), on the real model
 * and real SQLite files:
 * - connectModel opens only the catalogue's scenarios: paths, FIFOs and devices are refused at
 *   once with the same words whether the file exists or not;
 * - concurrent connectModel calls run one at a time: every call is answered, the old model is
 *   stopped, live telemetry comes from one model and recording keeps working;
 * - a history database that cannot be opened is reported in recording.error, not silently off.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/main/services/index.ts';
import type { Result, TelemetryMessage } from '../src/shared/api.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-svc-robust-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('connectModel opens only catalogue scenarios', () => {
  let services: Services;
  beforeAll(async () => {
    services = createServices({ dbPath: join(dir, 'a.db'), scenario: 'rr-few', seed: 1, speed: 4 });
    await services.boot();
  });
  afterAll(async () => {
    await services?.shutdown();
  });

  it('refuses paths, FIFOs and devices at once, without saying whether a file exists', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const real = join(dir, 'real.json');
    writeFileSync(real, '{"name":"x"}');
    const names = [fifo, '/dev/zero', '/dev/stdin', real, join(dir, 'missing.json'), '/etc/passwd', '../resources/scenarios/default.json', 'default.json'];
    const messages: string[] = [];
    const before = value(await services.api.getState());
    for (const scenario of names) {
      const t0 = Date.now();
      const r = await services.api.connectModel({ scenario, seed: 2, speed: 1 });
      expect(Date.now() - t0, scenario).toBeLessThan(2000);
      expect(r.ok, scenario).toBe(false);
      if (r.ok) continue;
      expect(r.error.code).toBe('not-found');
      expect(r.error.field).toBe('scenario');
      messages.push(r.error.message.replace(scenario, 'NAME'));
    }
    // Same words for an existing file, a missing one, a FIFO and a device.
    expect(new Set(messages).size).toBe(1);
    expect(messages[0]).toMatch(/Choose one of: .*rr-few/);
    // The running model was not touched.
    const after = value(await services.api.getState());
    expect(after.connection).toEqual(before.connection);
    expect(after.recording.sessionId).toBe(before.recording.sessionId);
  });

  it('answers every one of concurrent connects, stops the old models, and keeps one live stream that records', async () => {
    const seeds = [11, 12, 13, 14];
    const results = await Promise.all(seeds.map((seed) => services.api.connectModel({ scenario: 'rr-few', seed, speed: 8 })));
    for (const r of results) expect(r.ok).toBe(true);
    const st = value(await services.api.getState());
    expect(st.connection).toMatchObject({ kind: 'model', seed: 14 });
    const msgs: TelemetryMessage[] = [];
    const off = services.api.onTelemetry((m) => msgs.push(m));
    const liveSeqs = (): number[] => msgs.filter((m) => m.stream === 'live').flatMap((m) => m.batch.snapshots.map((s) => s.seq));
    // Two seconds at least; longer on a loaded machine, until a few batches arrived.
    const t0 = Date.now();
    while (Date.now() - t0 < 2000 || (liveSeqs().length < 10 && Date.now() - t0 < 30_000)) await new Promise((r) => setTimeout(r, 100));
    off();
    const seqs = liveSeqs();
    expect(seqs.length).toBeGreaterThan(5);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i], `seq ${i}`).toBe(seqs[i - 1] + 1);
    const later = value(await services.api.getState());
    expect(later.recording.error).toBeNull();
    expect(later.recording.sessionId).toBe(st.recording.sessionId);
    // Every connect made its own session; all but the last were ended.
    const sessions = value(await services.api.listSessions({}));
    const open = sessions.filter((s) => s.endedAt === null);
    expect(open.map((s) => s.id)).toEqual([st.recording.sessionId]);
  });
});

describe('connectModel and the policy it carries over', () => {
  it('starts under the default policy when the carried one cannot run on the new scenario, instead of refusing a field the request does not have', async () => {
    const services = createServices({ dbPath: join(dir, 'p.db'), scenario: 'apache', seed: 1, speed: 4 });
    try {
      await services.boot();
      value(await services.api.setPolicy({ name: 'static:7', config: {} }));
      // rr-few has 6 cores: static:7 leaves no VM core there.
      value(await services.api.connectModel({ scenario: 'rr-few', seed: 1, speed: 4 }));
      const rows = value(await services.api.listHosts());
      expect(rows.find((h) => h.selected)).toMatchObject({ cores: 6, policy: 'iocm' });
      // A carried policy that fits is kept.
      value(await services.api.setPolicy({ name: 'static:2', config: {} }));
      value(await services.api.connectModel({ scenario: 'apache', seed: 1, speed: 4 }));
      expect(value(await services.api.listHosts()).find((h) => h.selected)).toMatchObject({ cores: 8, policy: 'static:2' });
    } finally {
      await services.shutdown();
    }
  });
});

describe('series queries with hostile ranges', () => {
  it('a huge range answers with the recorded data instead of an internal error; an unknown key names its field', async () => {
    const services = createServices({ dbPath: join(dir, 'q.db'), scenario: 'rr-few', seed: 1, speed: 16 });
    try {
      await services.boot();
      await new Promise((r) => setTimeout(r, 1500));
      const sid = value(await services.api.getState()).recording.sessionId!;
      await services.api.getAuditLog({ sessionId: sid }); // flushes the recorder
      for (const [t0, t1] of [
        [-1e300, 1e300],
        [-Number.MAX_VALUE, Number.MAX_VALUE],
        [0, 1e15],
        [-1e15, -1e14],
      ]) {
        const r = await services.api.querySeries({ sessionId: sid, series: ['totals.score'], t0, t1, points: 500 });
        expect(r.ok, `${t0}..${t1}: ${JSON.stringify(r)}`).toBe(true);
        if (r.ok) expect(r.value.t.length).toBeLessThanOrEqual(1000);
      }
      const bad = await services.api.querySeries({ sessionId: sid, series: ['totals.score'], t0: 0, t1: 1, points: 10, extra: 1 } as never);
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-argument', field: 'extra' } });
      const badCfg = await services.api.setPolicy({ name: 'iocm', config: { nope: 1 } });
      expect(badCfg.ok).toBe(false);
      if (!badCfg.ok) expect(badCfg.error.field).toBeTruthy();
    } finally {
      await services.shutdown();
    }
  });
});

describe('history that cannot be opened', () => {
  it('is reported in recording.error at boot and after a reconnect, while the live view runs', async () => {
    const bad = join(dir, 'not-a-db.db');
    writeFileSync(bad, 'this is not an SQLite file, and it must not be overwritten\n');
    const services = createServices({ dbPath: bad, scenario: 'rr-few', seed: 1, speed: 4 });
    try {
      await services.boot();
      const st = value(await services.api.getState());
      expect(st.connection.kind).toBe('model');
      expect(st.recording.error).toMatch(/History is off: .*not an IOcm history database/);
      value(await services.api.connectModel({ scenario: 'rr-few', seed: 3, speed: 4 }));
      expect(value(await services.api.getState()).recording.error).toMatch(/History is off/);
    } finally {
      await services.shutdown();
    }
  });
});
