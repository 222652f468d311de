/**
 * SQLite session files whose rows were changed by someone else: the importer checks every value
 * it copies and refuses the file naming the table, column, row and problem, with nothing stored;
 * a failed import closes its readers, so the connection goes on. Real SQLite files, the real
 * importer and the real CLI.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HistoryDb } from '../src/main/history/store.ts';
import { HistoryError } from '../src/main/history/schema.ts';
import { importFile } from '../src/main/history/import.ts';
import { exportSession } from '../src/main/history/export.ts';
import { SyntheticHostGen, syntheticEvent } from '../src/main/history/testing.ts';
import { readSmallFile } from '../src/main/util/fs.ts';
import { iocm } from './cli-helpers.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-improws-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A standalone session file (sqlite export) of one finished session with events and rollups. */
function sessionFile(name: string, id = 's1'): string {
  const db = new HistoryDb(join(dir, `${name}-src.db`));
  const gen = new SyntheticHostGen({ cores: 4, vms: 3, intervalMs: 100, seed: 1 });
  db.beginSession({ id, host: 'h', source: 'agent', startedAt: 1_700_000_000_000, intervalMs: 100, policy: 'iocm' });
  const batch = Array.from({ length: 40 }, () => gen.next());
  db.append(id, batch, [syntheticEvent(batch[3].t, 0), syntheticEvent(batch[9].t, 1)]);
  db.endSession(id, 1_700_000_004_000);
  const out = join(dir, `${name}.sqlite`);
  exportSession(db, { sessionId: id, format: 'sqlite', out });
  db.close();
  return out;
}

/** `sessions import` of `file` into a new database: refused in one line matching `message`, exit 2, nothing stored. */
async function importRefused(file: string, message: RegExp): Promise<void> {
  const db = join(dir, 'h.db');
  const r = await iocm(['sessions', 'import', '--db', db, '--in', file]);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/nothing was imported/);
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  const store = new HistoryDb(db);
  try {
    expect(store.listSessions({})).toEqual([]);
  } finally {
    store.close();
  }
}

/** Change a session file with raw SQL. */
function craft(path: string, sql: string): string {
  const db = new Database(path);
  db.exec(sql);
  db.close();
  return path;
}

describe('a failed SQLite import closes its readers', () => {
  it('a row that fails to write part-way: the real error, no private copy left behind, the target goes on', async () => {
    // Duplicate rollup rows (the file lacks the unique index): the copy fails at a later row.
    const bad = craft(sessionFile('dup', 'dup'), 'DROP INDEX rollups_key; INSERT INTO rollups (session, series, res, chunk, data) SELECT session, series, res, chunk, data FROM rollups;');
    const good = sessionFile('good', 'good');
    const db = join(dir, 'h.db');
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const r = await iocm(['sessions', 'import', '--db', db, '--in', bad], { TMPDIR: tmp });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/busy/);
    expect(r.stderr).toMatch(/table 'rollups', row \d+: UNIQUE constraint failed.*duplicate row/);
    expect(readdirSync(tmp).filter((f) => f.startsWith('iocm-import-'))).toEqual([]);
    // In process: the same failure, then the same store imports a good file.
    const store = new HistoryDb(db);
    try {
      expect(() => importFile(store, bad)).toThrow(/UNIQUE|rollups/);
      expect(() => importFile(store, bad)).not.toThrow(/busy/);
      expect(importFile(store, good).sessions.map((s) => s.id)).toEqual(['good']);
      expect(store.listSessions({}).map((s) => s.id)).toEqual(['good']);
    } finally {
      store.close();
    }
  });
});

describe('files import cannot read', () => {
  it('a JSON file over the bundle limit is refused before it is read, pointing to the SQLite format', async () => {
    // Sparse: 600 MiB that take no disk. Refused by its size, so it is never read.
    const big = join(dir, 'big.json');
    const fd = openSync(big, 'w');
    writeSync(fd, '{"format":"iocm-session-bundle"');
    ftruncateSync(fd, 600 * 2 ** 20);
    closeSync(fd);
    const r = await iocm(['sessions', 'import', '--db', join(dir, 'h.db'), '--in', big]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too large for a JSON bundle \(at most 51\d MiB/);
    expect(r.stderr).toMatch(/--format sqlite/);
    expect(r.stderr).not.toMatch(/neither|Cannot create a string/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a symbolic link loop is reported as one, not as a missing file', async () => {
    const loop = join(dir, 'loop.json');
    symlinkSync(loop, loop);
    const r = await iocm(['sessions', 'import', '--db', join(dir, 'h.db'), '--in', loop]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/symbolic link loop/);
    expect(r.stderr).not.toMatch(/no such file/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // The same words where a small file is read (a --costs file).
    expect(() => readSmallFile(loop, 1024, 'a costs file')).toThrow(/symbolic link loop/);
  });
});

describe('sessions import checks every value it copies', () => {
  const cases: [string, string, RegExp][] = [
    ['t_last far away', 'UPDATE sessions SET t_last = 1e12', /table 'sessions', its row, column 't_last': 1000000000000, but its last snapshot is at \d+/],
    ['status', "UPDATE sessions SET status = 'weird'", /column 'status': "weird" is not one of recording, complete, interrupted, error/],
    ['snapshot_count text', "UPDATE sessions SET snapshot_count = 'x'", /column 'snapshot_count': "x" is not a whole number ≥ 0/],
    ['snapshot_count wrong', 'UPDATE sessions SET snapshot_count = snapshot_count + 1', /column 'snapshot_count': 41, but the file has 40 snapshots/],
    ['interval_ms', 'UPDATE sessions SET interval_ms = -5', /column 'interval_ms': -5 is not a finite number > 0/],
    ['policy_config', "UPDATE sessions SET policy_config = '{oops'", /column 'policy_config': not valid JSON/],
    ['loads JSON', "UPDATE loads SET loads = '{oops'", /table 'loads', row 1, column 'loads': not valid JSON/],
    ['event data JSON', "UPDATE events SET data = '{oops' WHERE rid = (SELECT max(rid) FROM events)", /table 'events', row 2, column 'data': not valid JSON/],
    ['event kind', "UPDATE events SET kind = 'boom'", /table 'events', row 1, column 'kind': "boom" is not one of/],
    ['event t', 'UPDATE events SET t = 9e999', /table 'events', row 1, column 't': Infinity is not a finite number/],
    ['rollup blob', "UPDATE rollups SET data = x'00' WHERE rid = (SELECT min(rid) FROM rollups)", /table 'rollups', row 1, column 'data': a blob of 1 bytes, expected a blob of 1280 bytes/],
    ['snapshot time order', 'UPDATE snapshots SET t = 50 WHERE seq = 5', /table 'snapshots', row 6 \(seq 5\), column 't': 50 is before the previous snapshot's 500/],
    ['snapshot time before the start', 'UPDATE snapshots SET t = t - 2000', /table 'snapshots', row 1, column 't': -1900 is before the session's start \(snapshot times are ms since it, ≥ 0\)/],
    // 1e400 parses as Infinity; stored, it would come back as null.
    ['info_json Infinity', `UPDATE sessions SET info_json = '{"hz":1e400}'`, /column 'info_json': JSON with a number that is not finite at \$\.hz/],
    ['event data Infinity', `UPDATE events SET data = '{"x":[1,-1e400]}' WHERE rid = (SELECT min(rid) FROM events)`, /table 'events', row 1, column 'data': JSON with a number that is not finite at \$\.x\[1\]/],
    ['layout constant Infinity', `UPDATE layouts SET shape = replace(shape, '"intervalMs":{"$k":100}', '"intervalMs":{"$k":1e400}')`, /layout \d+: the constant at \$\.intervalMs is not a finite number/],
  ];
  it.each(cases)('%s: refused naming table, column and row, nothing stored, exit 2', async (name, sql, message) => {
    await importRefused(craft(sessionFile(name.replace(/\W/g, '_')), sql), message);
  });

  it('an untouched file still imports, and show and export work on it', async () => {
    const f = sessionFile('ok', 'ok');
    const db = join(dir, 'h.db');
    expect((await iocm(['sessions', 'import', '--db', db, '--in', f])).code).toBe(0);
    expect((await iocm(['sessions', 'show', '--db', db, '--session', 'ok'])).code).toBe(0);
    expect((await iocm(['sessions', 'export', '--db', db, '--session', 'ok', '--format', 'json', '--out', join(dir, 'ok.json')])).code).toBe(0);
  });
});

describe("a SQLite file whose snapshot data was changed", () => {
  /** Rewrite snapshot `seq`'s values (its blob) with `edit`. */
  function editValues(path: string, seq: number, edit: (v: Float64Array, shape: string) => void): string {
    const db = new Database(path);
    const row = db.prepare('SELECT s.data AS data, l.shape AS shape FROM snapshots s JOIN layouts l ON l.id = s.layout AND l.session = s.session WHERE s.seq = ?').get(seq) as { data: Buffer; shape: string };
    const v = new Float64Array(new Uint8Array(row.data).buffer);
    edit(v, row.shape);
    db.prepare('UPDATE snapshots SET data = ? WHERE seq = ?').run(Buffer.from(v.buffer), seq);
    db.close();
    return path;
  }
  const cases: [string, (v: Float64Array) => void, RegExp][] = [
    ['every value NaN', (v) => v.fill(Number.NaN), /snapshot 5: value 0 of its data is NaN, not a finite number/],
    ['one value Infinity', (v) => (v[v.length - 1] = Number.POSITIVE_INFINITY), /snapshot 5: value \d+ of its data is Infinity, not a finite number/],
    // seq and t are the shape's first two values (a snapshot's first members).
    ['seq that is not its row', (v) => (v[0] = 7), /snapshot 5: its data says seq 7 and t 600, its row seq 5 and t 600/],
    ['t that is not its row', (v) => (v[1] = 123), /snapshot 5: its data says seq 5 and t 123, its row seq 5 and t 600/],
  ];
  it.each(cases)('%s: refused naming the snapshot, nothing stored, exit 2 (its JSON export would not import)', async (name, edit, message) => {
    await importRefused(editValues(sessionFile(name.replace(/\W/g, '_')), 5, edit), message);
  });
});

describe('a JSON bundle whose snapshot times are not ms since the session start, in order', () => {
  /** The JSON export of a real session, its snapshot times then changed by `edit`. */
  async function bundle(name: string, edit: (t: number, i: number) => number): Promise<string> {
    const f = sessionFile(`${name}-src`, name);
    const out = join(dir, `${name}.json`);
    expect((await iocm(['sessions', 'export', '--db', f, '--session', name, '--format', 'json', '--out', out])).code).toBe(0);
    const b = JSON.parse(readFileSync(out, 'utf8')) as { snapshots: { t: number }[] };
    b.snapshots.forEach((s, i) => (s.t = edit(s.t, i)));
    writeFileSync(out, JSON.stringify(b));
    return out;
  }
  const cases: [string, (t: number, i: number) => number, RegExp][] = [
    // Stored, such times break the session's rollups (no bucket before 0), and its SQLite export would not import again.
    ['negative', (t) => t - 2000, /bundle\.snapshots\[0\]\.t: -1900 is before the session's start \(snapshot times are ms since it, ≥ 0\)/],
    ['backwards', (t, i) => (i === 7 ? 50 : t), /bundle\.snapshots\[7\]\.t: 50 is before the previous snapshot's 700/],
  ];
  it('a number that parses as Infinity in the session or an event is refused too (stored, it would come back as null)', async () => {
    for (const [where, edit, message] of [
      ['info', (b: { session: { info: Record<string, unknown> | null } }) => (b.session.info = { hz: 424242 }), /bundle\.session\.info\.hz is not a finite number/],
      ['event', (b: { events: { data?: Record<string, unknown> }[] }) => (b.events[0].data = { x: 424242 }), /bundle\.events\[0\]\.data\.x is not a finite number/],
    ] as const) {
      const f = await bundle(`inf-${where}`, (t) => t);
      const b = JSON.parse(readFileSync(f, 'utf8'));
      (edit as (x: unknown) => void)(b);
      writeFileSync(f, JSON.stringify(b).replace('424242', '1e400'));
      await importRefused(f, message);
    }
  });

  it('a number that parses as Infinity (1e400) in any member is refused naming it', async () => {
    const f = await bundle('inf', (t) => t);
    const b = JSON.parse(readFileSync(f, 'utf8')) as { snapshots: { vms: Record<string, unknown>[] }[] };
    b.snapshots[3].vms[1].extra = 424242;
    writeFileSync(f, JSON.stringify(b).replace('424242', '1e400'));
    await importRefused(f, /bundle\.snapshots\[3\]\.vms\[1\]\.extra is not a finite number/);
  });
  it.each(cases)('%s: refused naming the snapshot and its t, nothing stored, exit 2', async (name, edit, message) => {
    await importRefused(await bundle(name, edit), message);
  });

  it('a bundle with times from 0 on imports, and its SQLite export imports again', async () => {
    const f = await bundle('ok', (t) => t);
    const db = join(dir, 'h.db');
    expect((await iocm(['sessions', 'import', '--db', db, '--in', f])).code).toBe(0);
    const back = join(dir, 'ok-again.sqlite');
    expect((await iocm(['sessions', 'export', '--db', db, '--session', 'ok', '--format', 'sqlite', '--out', back])).code).toBe(0);
    const r = await iocm(['sessions', 'import', '--db', join(dir, 'other.db'), '--in', back]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('a session still recording when exported', () => {
  it('is imported as interrupted, from a bundle and from a SQLite file alike', async () => {
    const f = craft(sessionFile('rec', 'rec'), "UPDATE sessions SET status = 'recording', ended_at = NULL");
    const db = join(dir, 'h.db');
    expect((await iocm(['sessions', 'import', '--db', db, '--in', f])).code).toBe(0);
    const bundle = join(dir, 'rec.json');
    expect((await iocm(['sessions', 'export', '--db', f, '--session', 'rec', '--format', 'json', '--out', bundle])).code).toBe(0);
    expect(JSON.parse(readFileSync(bundle, 'utf8')).session.status).toBe('recording');
    const r = await iocm(['sessions', 'import', '--db', db, '--in', bundle]);
    expect(r.code).toBe(0);
    const store = new HistoryDb(db);
    try {
      expect(store.listSessions({}).map((s) => s.status)).toEqual(['interrupted', 'interrupted']);
    } finally {
      store.close();
    }
  });
});

describe('a corrupt row already in a database', () => {
  it('show and export say which session and column, exit 2 or 1 without a stack trace', async () => {
    const f = sessionFile('c', 'c');
    const db = join(dir, 'h.db');
    expect((await iocm(['sessions', 'import', '--db', db, '--in', f])).code).toBe(0);
    craft(db, "UPDATE loads SET loads = '{oops'; UPDATE events SET data = '{oops'");
    const show = await iocm(['sessions', 'show', '--db', db, '--session', 'c']);
    const exp = await iocm(['sessions', 'export', '--db', db, '--session', 'c', '--format', 'json', '--out', join(dir, 'c.json')]);
    for (const r of [show, exp]) {
      expect(r.stderr).toMatch(/session 'c': its (loads\.loads|events\.data) is not valid JSON/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.code).not.toBe(0);
    }
  });
});

describe('a corrupt rollup already in a database', () => {
  it('a series query says which database, session and series, as a HistoryError corrupt', async () => {
    const f = sessionFile('r', 'r');
    const path = join(dir, 'r.db');
    expect((await iocm(['sessions', 'import', '--db', path, '--in', f])).code).toBe(0);
    const db = new HistoryDb(path);
    try {
      const name = db.seriesNames('r')[0];
      const s = db.getSession('r');
      const q = { sessionId: 'r', series: [name], t0: s.t0, t1: s.t1, points: 2 };
      expect(db.querySeries(q).series[0].values.length).toBeGreaterThan(0);
      craft(path, "UPDATE rollups SET data = x'00'");
      let err: unknown;
      try {
        db.querySeries(q);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HistoryError);
      expect((err as HistoryError).code).toBe('corrupt');
      expect((err as Error).message).toContain(`${path}: session 'r': its rollup of series '${name}'`);
      expect((err as Error).message).toMatch(/rollup chunk of 1 bytes, expected 1280\); the database is damaged$/);
    } finally {
      db.close();
    }
  });
});
