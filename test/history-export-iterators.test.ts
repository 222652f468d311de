/**
 * A CSV export that stops part-way (a time no date can show, a cancel) closes its SQLite readers:
 * the history connection stays usable, so live recording and what-ifs go on. Real SQLite files;
 * the worker through HistoryClient, and HistoryDb directly for the cancel path.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryDb } from '../src/main/history/store.ts';
import { HistoryClient } from '../src/main/history/client.ts';
import { exportSession } from '../src/main/history/export.ts';
import { SyntheticHostGen, syntheticEvent } from '../src/main/history/testing.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-expit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A finished session of `n` snapshots with events; snapshot 3 at `badT` when given. */
function session(db: HistoryDb, n: number, badT?: number): string {
  const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
  const id = db.beginSession({ host: 'crafted', source: 'model', startedAt: 1_700_000_000_000, policy: 'iocm', intervalMs: 100 });
  const snaps = Array.from({ length: n }, (_, i) => {
    const s = gen.next();
    return i === 3 && badT !== undefined ? { ...s, t: badT } : s;
  });
  // Overrides (a decision to stay is left out of CSV) through the session and after its end.
  db.append(id, snaps, [9, 19, 29].map((k) => syntheticEvent((k * n * 100) / 20, k)));
  db.endSession(id, 1_700_000_100_000);
  return id;
}

describe('CSV export that stops part-way', () => {
  it('a snapshot at t = -1e16: a clear error, and recording and writes still work on the connection', async () => {
    const path = join(dir, 'h.db');
    const db = new HistoryDb(path);
    const bad = session(db, 20, -1e16);
    const good = session(db, 50);
    db.close();
    const client = await HistoryClient.open({ path });
    try {
      const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
      const rec = await client.startRecording({ host: 'live', source: 'model', policy: 'iocm', intervalMs: 100 });
      for (let i = 0; i < 10; i++) rec.record(gen.next());
      await rec.flush();
      for (const csvLayout of ['long', 'wide'] as const) {
        const out = join(dir, `bad-${csvLayout}.csv`);
        await expect(client.exportSession({ sessionId: bad, format: 'csv', out, csvLayout })).rejects.toThrow(/snapshot at t_ms = -10000000000000000 .*outside the dates/);
        expect(existsSync(out)).toBe(false);
      }
      for (let i = 0; i < 10; i++) rec.record(gen.next());
      await rec.flush();
      expect(rec.error).toBeFalsy();
      const done = await rec.close();
      expect(done.snapshots).toBe(20);
      // Writes on the connection (what-if writes its result session the same way) still work.
      expect((await client.deleteSession(good)).id).toBe(good);
      expect((await client.listSessions()).map((s) => s.id)).not.toContain(good);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('a cancelled export closes both readers: the connection can write at once', () => {
    const db = new HistoryDb(join(dir, 'h.db'));
    const id = session(db, 1200);
    const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
    const live = db.beginSession({ host: 'live', source: 'model', startedAt: 1_700_000_000_000, policy: 'iocm', intervalMs: 100 });
    for (const csvLayout of ['long', 'wide'] as const) {
      expect(() => exportSession(db, { sessionId: id, format: 'csv', out: join(dir, `c-${csvLayout}.csv`), csvLayout }, () => {}, () => true)).toThrow(/export cancelled/);
      db.append(live, [gen.next()], [syntheticEvent(1, 0)]);
    }
    expect(db.getSession(live).snapshots).toBe(2);
    db.close();
  });
});
