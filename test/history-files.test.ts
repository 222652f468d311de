/**
 * Opening files that are not (current) history databases: foreign SQLite,
 * not SQLite, corrupt, too new → clear error, file untouched; a schema v1
 * file with data is migrated to the current version and its data is usable.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HistoryClient } from '../src/main/history/client.ts';
import { HistoryDb } from '../src/main/history/store.ts';
import { openHistoryDatabase, SCHEMA_VERSION, MIGRATIONS, HistoryError, APP_ID } from '../src/main/history/schema.ts';
import { encodeSnapshot, valuesToBlob } from '../src/main/history/codec.ts';
import { SyntheticHostGen, syntheticEvent } from '../src/main/history/testing.ts';
import { offeredLoads } from '../src/main/history/store.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const digest = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('opening foreign, corrupt and old files', () => {
  it('refuses a foreign SQLite database without changing it', async () => {
    const p = join(dir, 'other.db');
    const o = new Database(p);
    o.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES (\'ann\')');
    o.close();
    const before = digest(p);
    await expect(HistoryClient.open({ path: p })).rejects.toThrow(/other\.db is not an IOcm history database \(application_id 0, tables: customers\); nothing was changed/);
    expect(digest(p)).toBe(before);
    expect(existsSync(p + '-wal')).toBe(false);
  });

  it('refuses a file that is not SQLite, and a corrupt one, without changing them', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello, this is not a database at all; '.repeat(50));
    const before = digest(text);
    const e = await HistoryClient.open({ path: text }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HistoryError);
    expect((e as HistoryError).code).toBe('not-sqlite');
    expect(digest(text)).toBe(before);

    // A real history file whose pages were overwritten with garbage after the header.
    const p = join(dir, 'h.db');
    const db = new HistoryDb(p);
    const gen = new SyntheticHostGen({ cores: 4, vms: 2, intervalMs: 100 });
    const id = db.beginSession({ host: 'h', source: 'model', startedAt: 1 });
    db.append(id, Array.from({ length: 50 }, () => gen.next()), []);
    db.endSession(id, 2);
    db.db.pragma('journal_mode = DELETE');
    db.close();
    const bytes = readFileSync(p);
    for (let i = 100; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    writeFileSync(p, bytes);
    const before2 = digest(p);
    const e2 = await HistoryClient.open({ path: p }).catch((x: unknown) => x);
    expect(e2).toBeInstanceOf(HistoryError);
    expect((e2 as Error).message).toMatch(/h\.db: .*(corrupt|not a database|meta table).*nothing was changed/);
    expect(digest(p)).toBe(before2);
  });

  it('refuses a history file from a newer app', () => {
    const p = join(dir, 'new.db');
    new HistoryDb(p).close();
    const raw = new Database(p);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openHistoryDatabase(p)).toThrow(/schema v3, newer than this app's v2/);
  });

  it('migrates a schema v1 file with data to the current schema', async () => {
    const p = join(dir, 'v1.db');
    const v1 = openHistoryDatabase(p, { targetVersion: 1 });
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    expect(v1.pragma('application_id', { simple: true })).toBe(APP_ID);
    // Write a session the way a v1 app did: no parent_id, no series, no rollups.
    const gen = new SyntheticHostGen({ cores: 4, vms: 3, intervalMs: 100, phaseMs: 3000 });
    const snaps: HostSnapshot[] = Array.from({ length: 250 }, () => gen.next());
    const k = Number(
      v1
        .prepare("INSERT INTO sessions (id, host, source, scenario_name, policy, started_at, ended_at, status, interval_ms, snapshot_count, event_count, decision_count, t_first, t_last) VALUES ('old-1', 'h1', 'model', 'mixed', 'vhost', 1000, 26000, 'complete', 100, ?, 1, 1, ?, ?)")
        .run(snaps.length, snaps[0].t, snaps.at(-1)!.t).lastInsertRowid,
    );
    const shapes = new Map<string, number>();
    let lastLoads = '';
    for (const s of snaps) {
      const e = encodeSnapshot(s);
      if (!shapes.has(e.shape)) {
        shapes.set(e.shape, shapes.size);
        v1.prepare('INSERT INTO layouts (session, id, shape) VALUES (?, ?, ?)').run(k, shapes.get(e.shape)!, e.shape);
      }
      v1.prepare('INSERT INTO snapshots (session, seq, t, layout, data) VALUES (?, ?, ?, ?, ?)').run(k, s.seq, s.t, shapes.get(e.shape)!, valuesToBlob(e.values));
      const l = JSON.stringify(offeredLoads(s));
      if (l + s.phase !== lastLoads) v1.prepare('INSERT INTO loads (session, seq, t, phase, loads) VALUES (?, ?, ?, ?, ?)').run(k, s.seq, s.t, s.phase, l);
      lastLoads = l + s.phase;
    }
    const ev = syntheticEvent(500, 0);
    v1.prepare('INSERT INTO events (session, t, source, kind, message, data) VALUES (?, ?, ?, ?, ?, ?)').run(k, ev.t, ev.source, ev.kind, ev.message, JSON.stringify(ev.data));
    v1.close();

    const client = await HistoryClient.open({ path: p });
    try {
      const [s] = await client.listSessions();
      expect(s).toMatchObject({ id: 'old-1', host: 'h1', parentId: null, snapshots: 250, decisions: 1 });
      expect(await client.snapshotsBySeq('old-1', 0, 1000)).toEqual(snaps);
      expect(await client.eventsBetween('old-1', -Infinity, Infinity)).toEqual([ev]);
      expect((await client.loads('old-1')).length).toBeGreaterThan(1);
      // Rollups were built for the migrated session.
      const q = await client.querySeries({ sessionId: 'old-1', series: ['totals.score'], t0: 0, t1: 25_000, points: 20 });
      expect(q.resolutionMs).toBe(1000);
      const first = snaps.filter((x) => x.t < 1000).map((x) => x.totals.score);
      expect(q.series[0].values[0]).toBeCloseTo(first.reduce((a, b) => a + b) / first.length, 0);
    } finally {
      await client.close();
    }
    const after = new Database(p, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect((after.prepare('SELECT count(*) AS n FROM rollups').get() as { n: number }).n).toBeGreaterThan(0);
    after.close();
    expect(MIGRATIONS[0].version).toBe(1);
  });
});
