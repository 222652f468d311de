/**
 * History files made by someone else (issue 10, items 7, 8, 9, 11, 12): real SQLite files,
 * the real importer/exporter and the real CLI.
 * - an imported file's schema text never becomes SQL (a crafted `sessions` view or column);
 * - nothing is committed before the whole file is validated;
 * - the source file is never changed (WAL checkpoint), a -wal beside it is read, views are
 *   never run (a recursive view cannot hang the import);
 * - imported ids that are not safe names are replaced, so they never become paths or reach
 *   a terminal raw;
 * - CSV cells that a spreadsheet would run as formulas are neutralized and quoted;
 * - wrong-schema or deeply nested files exit 2 with a message, no stack trace.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HistoryDb } from '../src/main/history/store.ts';
import { importFile } from '../src/main/history/import.ts';
import { csvText, exportSession } from '../src/main/history/export.ts';
import { openHistoryDatabase } from '../src/main/history/schema.ts';
import { SyntheticHostGen, syntheticEvent } from '../src/main/history/testing.ts';
import { fileNamePart } from '../src/main/services/index.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { iocm } from './cli-helpers.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-hostile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** A history file with `n` sessions of `snaps` snapshots each (real store, real file). */
function makeHistory(path: string, n: number, snaps = 40, groups?: string[]): string[] {
  const db = new HistoryDb(path);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const gen = new SyntheticHostGen({ cores: 4, vms: 3, intervalMs: 100, seed: i + 1, ...(groups ? { groups } : {}) });
    const id = db.beginSession({ host: `h${i}`, source: 'model', startedAt: 1_000_000 + i, intervalMs: 100, policy: 'iocm' });
    const batch = Array.from({ length: snaps }, () => gen.next());
    db.append(id, batch, [syntheticEvent(batch[3].t, 0)]);
    db.endSession(id, 2_000_000 + i);
    ids.push(id);
  }
  db.close();
  return ids;
}

/** Import each file into `target`, expecting its refusal to match; returns each file's message. */
function refusals(target: string, files: [string, RegExp][]): [string, string][] {
  const out: [string, string][] = [];
  const store = new HistoryDb(target);
  try {
    for (const [f, re] of files) {
      let message = '';
      try {
        importFile(store, f);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, f).toMatch(re);
      out.push([f, message]);
    }
  } finally {
    store.close();
  }
  return out;
}

/** Every session row of a file, for before/after comparisons. */
function sessionRows(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT * FROM sessions ORDER BY key').all();
  } finally {
    db.close();
  }
}

describe('import never runs the imported file’s schema text', () => {
  it('a crafted sessions view (SQL in its column names) is refused and the target is unchanged', () => {
    const target = join(dir, 'target.db');
    makeHistory(target, 2);
    const before = sessionRows(target);
    const evil = join(dir, 'evil.db');
    makeHistory(evil, 1);
    const e = new Database(evil);
    e.exec('ALTER TABLE sessions RENAME TO real_sessions');
    const cols = (e.prepare('PRAGMA table_info(real_sessions)').all() as { name: string }[]).map((c) => c.name).filter((c) => c !== 'host');
    // The old importer built "INSERT … (id, <file's column names>) SELECT …" from these names.
    e.exec(`CREATE VIEW sessions AS SELECT ${cols.join(', ')}, host AS "host) SELECT 'x', 'pwned' ON CONFLICT(id) DO UPDATE SET host = 'pwned' --" FROM real_sessions`);
    e.close();
    const store = new HistoryDb(target);
    try {
      expect(() => importFile(store, evil)).toThrow(/'sessions' is a view, not a table/);
    } finally {
      store.close();
    }
    expect(sessionRows(target)).toEqual(before);
  });

  it('an extra column with SQL in its name is ignored: only the fixed columns are copied, existing sessions untouched', () => {
    const target = join(dir, 'target.db');
    makeHistory(target, 2);
    const before = sessionRows(target);
    const evil = join(dir, 'evil.db');
    const [srcId] = makeHistory(evil, 1);
    const e = new Database(evil);
    e.exec(`ALTER TABLE sessions ADD COLUMN "host) SELECT ?, 'pwned' ON CONFLICT(id) DO UPDATE SET host = 'pwned' --" TEXT`);
    e.exec(`CREATE TRIGGER t_evil AFTER UPDATE ON sessions BEGIN UPDATE sessions SET host = 'pwned'; END`);
    e.close();
    const store = new HistoryDb(target);
    try {
      const r = importFile(store, evil);
      expect(r.sessions).toHaveLength(1);
      expect(r.sessions[0].originalId).toBe(srcId);
    } finally {
      store.close();
    }
    const after = sessionRows(target) as { host: string }[];
    expect(after.slice(0, 2)).toEqual(before);
    expect(after.map((r) => r.host)).not.toContain('pwned');
  });

  it('commits nothing when a later session of the file is invalid', () => {
    const target = join(dir, 'target.db');
    makeHistory(target, 1);
    const before = sessionRows(target);
    const bad = join(dir, 'bad.db');
    makeHistory(bad, 3);
    const b = new Database(bad);
    b.prepare('UPDATE snapshots SET data = ? WHERE rid = (SELECT max(rid) FROM snapshots)').run(Buffer.alloc(3));
    b.close();
    const store = new HistoryDb(target);
    try {
      expect(() => importFile(store, bad)).toThrow(/snapshot \d+ has 3 bytes/);
    } finally {
      store.close();
    }
    expect(sessionRows(target)).toEqual(before);
  });
});

describe('import leaves the source file alone', () => {
  it('a WAL-mode file with its -wal: nothing checkpointed or deleted, and the -wal’s data is imported', () => {
    const live = join(dir, 'live.db');
    const w = openHistoryDatabase(live);
    w.pragma('wal_autocheckpoint = 0');
    w.close();
    // Record a session while holding the file open, then copy the pair as it is on disk.
    const db = new HistoryDb(live);
    db.db.pragma('wal_autocheckpoint = 0');
    const gen = new SyntheticHostGen({ cores: 4, vms: 3, intervalMs: 100 });
    const id = db.beginSession({ host: 'walhost', source: 'model', startedAt: 5, intervalMs: 100 });
    db.append(id, Array.from({ length: 120 }, () => gen.next()), []);
    db.endSession(id, 99);
    const src = join(dir, 'copy.db');
    copyFileSync(live, src);
    copyFileSync(`${live}-wal`, `${src}-wal`);
    db.close();
    const hashes = [sha(src), sha(`${src}-wal`)];

    const target = join(dir, 'target.db');
    const store = new HistoryDb(target);
    try {
      const r = importFile(store, src);
      expect(r.sessions).toHaveLength(1);
      // Not stale: the rows that lived only in the -wal came along.
      expect(store.getSession(r.sessions[0].id)).toMatchObject({ host: 'walhost', snapshots: 120 });
    } finally {
      store.close();
    }
    expect(existsSync(`${src}-wal`)).toBe(true);
    expect([sha(src), sha(`${src}-wal`)]).toEqual(hashes);
    expect(readdirSync(dir).filter((f) => f.startsWith('copy.db')).sort()).toEqual(['copy.db', 'copy.db-wal']);
  });

  it('a v1 file with a -wal beside it is migrated on a private copy, with the -wal’s rows', () => {
    const v1 = join(dir, 'v1.db');
    const db = openHistoryDatabase(v1, { targetVersion: 1 });
    db.pragma('wal_autocheckpoint = 0');
    db.exec("INSERT INTO sessions (id, host, source, started_at, status) VALUES ('old-1', 'h', 'model', 1, 'complete')");
    const src = join(dir, 'v1copy.db');
    copyFileSync(v1, src);
    copyFileSync(`${v1}-wal`, `${src}-wal`);
    db.close();
    const hashes = [sha(src), sha(`${src}-wal`)];
    const store = new HistoryDb(join(dir, 'target.db'));
    try {
      const r = importFile(store, src);
      expect(r.sessions.map((s) => s.originalId)).toEqual(['old-1']);
    } finally {
      store.close();
    }
    expect([sha(src), sha(`${src}-wal`)]).toEqual(hashes);
  });

  it('a recursive view in the file is never run: the import finishes', () => {
    const src = join(dir, 'rec.db');
    makeHistory(src, 1);
    const e = new Database(src);
    e.exec('CREATE VIEW forever AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c');
    e.close();
    const hash = sha(src);
    const store = new HistoryDb(join(dir, 'target.db'));
    const t0 = Date.now();
    try {
      expect(importFile(store, src).sessions).toHaveLength(1);
    } finally {
      store.close();
    }
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(sha(src)).toBe(hash);
  });

  it('a recursive view in place of a table is refused at once', () => {
    const src = join(dir, 'rec2.db');
    makeHistory(src, 1);
    const e = new Database(src);
    e.exec('DROP TABLE loads');
    e.exec('CREATE VIEW loads AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT 1 AS session, x AS seq, 0 AS t, 0 AS phase, 0 AS loads FROM c');
    e.close();
    const store = new HistoryDb(join(dir, 'target.db'));
    try {
      expect(() => importFile(store, src)).toThrow(/'loads' is a view, not a table/);
    } finally {
      store.close();
    }
  });
});

describe('ids never become paths, names never become formulas', () => {
  it('an imported id like ../../../../outside/x is replaced by a safe one; the export name stays in its folder', () => {
    const src = join(dir, 'b.json');
    const made = join(dir, 'made.db');
    const [id] = makeHistory(made, 1);
    const m = new HistoryDb(made);
    exportSession(m, { sessionId: id, format: 'json', out: src });
    m.close();
    const bundle = JSON.parse(readFileSync(src, 'utf8')) as { session: { id: string; scenarioName: string } };
    bundle.session.id = '../../../../outside/x';
    bundle.session.scenarioName = '../../etc/cron.d/evil';
    writeFileSync(src, JSON.stringify(bundle));
    const store = new HistoryDb(join(dir, 'target.db'));
    try {
      const [r] = importFile(store, src).sessions;
      expect(r.originalId).toBe('../../../../outside/x');
      expect(r.id).toMatch(/^imported-[0-9a-f]{8}$/);
      const s = store.getSession(r.id);
      const name = `${fileNamePart(s.scenario, 'session')}-${fileNamePart(s.id, 'session')}.csv`;
      expect(name).not.toContain('/');
      expect(join(dir, 'exports', name).startsWith(join(dir, 'exports') + '/')).toBe(true);
    } finally {
      store.close();
    }
  });

  it('CSV cells that would run as formulas are neutralized, and cells with commas or quotes are quoted', () => {
    expect(csvText('=1+2')).toBe("'=1+2");
    expect(csvText('+x')).toBe("'+x");
    expect(csvText('-x')).toBe("'-x");
    expect(csvText('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvText('\tx')).toBe("'\tx");
    expect(csvText('a,b')).toBe('"a,b"');
    expect(csvText('say "hi"')).toBe('"say ""hi"""');
    expect(csvText('vm.3.latencyUs.p99')).toBe('vm.3.latencyUs.p99');

    const path = join(dir, 'f.db');
    const groups = ['web', 'x,=HYPERLINK("http://evil")', '@SUM(1)'];
    const [id] = makeHistory(path, 1, 20, groups);
    const store = new HistoryDb(path);
    try {
      for (const layout of ['long', 'wide'] as const) {
        const out = join(dir, `${layout}.csv`);
        exportSession(store, { sessionId: id, format: 'csv', out, csvLayout: layout });
        const rows = parseCsv(readFileSync(out, 'utf8'));
        const width = rows[0].length;
        for (const r of rows) {
          expect(r.length, r.join('|')).toBe(width);
          for (const cell of r) if (/^[=+@\t\r]/.test(cell) || (/^-/.test(cell) && !Number.isFinite(Number(cell)))) throw new Error(`formula-like cell ${cell}`);
        }
        expect(rows.some((r) => r.some((c) => c.includes('HYPERLINK')))).toBe(true);
      }
    } finally {
      store.close();
    }
  });
});

/** A small RFC 4180 parser (quoted cells, doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  return rows;
}

describe('every import refusal says nothing was imported', () => {
  it('a wrong blob length, an empty file, a folder, a file with no sessions, bad JSON, unordered seq: each ends so, and the target is unchanged', async () => {
    const target = join(dir, 'target.db');
    makeHistory(target, 1);
    const before = sessionRows(target);
    const files: [string, RegExp][] = [];
    // A snapshot blob cut to 2 bytes (the refusal the review found without the ending).
    const blob = join(dir, 'blob.db');
    makeHistory(blob, 1);
    const b = new Database(blob);
    b.prepare('UPDATE snapshots SET data = ? WHERE seq = 5').run(Buffer.alloc(2));
    b.close();
    files.push([blob, /snapshot 5 has 2 bytes, its layout needs \d+; nothing was imported$/]);
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '');
    files.push([empty, /empty\.json is empty; nothing was imported$/]);
    files.push([join(dir, 'sub'), /sub is not a regular file; nothing was imported$/]);
    mkdirSync(join(dir, 'sub'));
    const none = join(dir, 'none.db');
    openHistoryDatabase(none).close();
    files.push([none, /none\.db holds no sessions; nothing was imported$/]);
    const notJson = join(dir, 'x.json');
    writeFileSync(notJson, '{oops');
    files.push([notJson, /is neither an IOcm history\/session file nor valid JSON \(.*\); nothing was imported$/]);
    const made = join(dir, 'made.db');
    const [id] = makeHistory(made, 1);
    const m = new HistoryDb(made);
    const order = join(dir, 'order.json');
    exportSession(m, { sessionId: id, format: 'json', out: order });
    m.close();
    const bundle = JSON.parse(readFileSync(order, 'utf8')) as { snapshots: { seq: number }[] };
    bundle.snapshots[2].seq = 0;
    writeFileSync(order, JSON.stringify(bundle));
    files.push([order, /bundle\.snapshots\[2\]\.seq 0 is not after the previous one; nothing was imported$/]);
    for (const [f, message] of refusals(target, files)) expect(message.match(/nothing was imported/gi), f).toHaveLength(1);
    expect(sessionRows(target)).toEqual(before);
    // Through the CLI: the one line, exit 2.
    const r = await iocm(['sessions', 'import', '--db', target, '--in', blob]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^iocm sessions: .*snapshot 5 has 2 bytes, its layout needs \d+; nothing was imported\n$/);
  });
});

describe('CLI import of bad files: exit 2, a message, no stack trace, nothing raw on the terminal', () => {
  it('wrong schema, deep nesting and escape sequences in ids', async () => {
    const db = join(dir, 'h.db');
    makeHistory(db, 1);
    // Our application id, but a table lacking the columns the importer copies.
    const wrong = join(dir, 'wrong.db');
    makeHistory(wrong, 1);
    const w = new Database(wrong);
    w.exec('DROP TABLE events; CREATE TABLE events (rid INTEGER PRIMARY KEY, session INTEGER)');
    w.close();
    const a = await iocm(['sessions', 'import', '--db', db, '--in', wrong]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/table 'events' lacks column\(s\) t, source, kind, message, data/);
    expect(a.stderr).not.toMatch(/\n\s+at /);

    const deep = join(dir, 'deep.json');
    writeFileSync(deep, '{"format":"iocm-session-bundle","version":1,"session":{"id":"d","host":"h","source":"model","startedAt":1,"scenario":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '},"events":[],"snapshots":[]}');
    const b = await iocm(['sessions', 'import', '--db', db, '--in', deep]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/nested more than 64 levels/);
    expect(b.stderr).not.toMatch(/\n\s+at /);

    // An id (and a host) with terminal escape sequences.
    const made = join(dir, 'made.db');
    const [id] = makeHistory(made, 1);
    const m = new HistoryDb(made);
    const bundlePath = join(dir, 'esc.json');
    exportSession(m, { sessionId: id, format: 'json', out: bundlePath });
    m.close();
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as { session: { id: string; host: string } };
    bundle.session.id = 'x\u001b[2J\u001b]0;owned\u0007';
    bundle.session.host = 'h\u001b[31mred\u009b1m';
    writeFileSync(bundlePath, JSON.stringify(bundle));
    const c = await iocm(['sessions', 'import', '--db', db, '--in', bundlePath]);
    expect(c.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(c.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(c.stdout).toContain('\\u001b[2J');
    const list = await iocm(['sessions', 'list', '--db', db]);
    expect(list.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(list.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(list.stdout).toContain('h\\u001b[31mred\\u009b1m');
  }, 60_000);
});

describe('a directory given as the history database', () => {
  it('is refused by every command that opens one: exit 2, one line naming it, no stack trace', async () => {
    for (const args of [
      ['sessions', 'list', '--db', dir],
      ['calibrate', '--db', dir, '--session', 'x'],
      ['whatif', '--db', dir, '--session', 'x', '--policy', 'vhost'],
      ['simulate', '--scenario', 'rr-few', '--seconds', '0.1', '--record', dir],
    ]) {
      const r = await iocm(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(`${dir} is a directory, not an IOcm history database`);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(() => openHistoryDatabase(dir)).toThrow(/is a directory/);
  }, 60_000);
});

describe('imported sessions keep to what a clock can show and what a list can carry (review 6)', () => {
  it('refuses times past the Date range, an end before the start, and names or texts too long, from JSON and SQLite alike', () => {
    const target = join(dir, 'target.db');
    makeHistory(target, 1);
    const before = sessionRows(target);
    const made = join(dir, 'made.db');
    const [id] = makeHistory(made, 1);
    const m = new HistoryDb(made);
    const json = join(dir, 'b.json');
    exportSession(m, { sessionId: id, format: 'json', out: json });
    m.close();
    const files: [string, RegExp][] = [];
    const bundleWith = (nameOf: string, edit: (b: { session: Record<string, unknown>; events: { message: string }[] }) => void, re: RegExp): void => {
      const b = JSON.parse(readFileSync(json, 'utf8')) as { session: Record<string, unknown>; events: { message: string }[] };
      edit(b);
      const f = join(dir, nameOf);
      writeFileSync(f, JSON.stringify(b));
      files.push([f, re]);
    };
    bundleWith('late.json', (b) => (b.session.startedAt = 8.64e15 + 1), /bundle\.session\.startedAt: .*8640000000000000.*nothing was imported$/);
    bundleWith('ends.json', (b) => (b.session.endedAt = 5), /bundle\.session\.endedAt: endedAt is before startedAt; nothing was imported$/);
    bundleWith('host.json', (b) => (b.session.host = 'A'.repeat(201)), /bundle\.session\.host: .*200.*nothing was imported$/);
    bundleWith('evneg.json', (b) => ((b.events[0] as unknown as { t: number }).t = -100), /bundle\.events\[0\]\.t: .*0.*nothing was imported$/);
    bundleWith('msg.json', (b) => (b.events[0].message = 'x'.repeat(65_537)), /bundle\.events\[0\]\.message: .*65536.*nothing was imported$/);
    const sqliteWith = (nameOf: string, sql: string, re: RegExp): void => {
      const f = join(dir, nameOf);
      copyFileSync(made, f);
      const d = new Database(f);
      d.exec(sql);
      d.close();
      files.push([f, re]);
    };
    sqliteWith('late.db', 'UPDATE sessions SET started_at = 8640000000000001', /column 'started_at': 8640000000000001 is past the end of the dates a clock can show .*; nothing was imported$/);
    sqliteWith('ends.db', 'UPDATE sessions SET ended_at = 5', /column 'ended_at': 5 is before its started_at 1000000; nothing was imported$/);
    sqliteWith('evneg.db', 'UPDATE events SET t = -100', /table 'events', .*column 't': -100 is before the session's start .*; nothing was imported$/);
    sqliteWith('host.db', "UPDATE sessions SET host = printf('%.*c', 300, 'A')", /column 'host': text of 300 characters, more than the 200 it may have; nothing was imported$/);
    refusals(target, files);
    expect(sessionRows(target)).toEqual(before);
  });

  it('refuses snapshots the live agent link refuses, and a host description it would refuse, from JSON and SQLite alike', () => {
    const target = join(dir, 'target.db');
    makeHistory(target, 1);
    const before = sessionRows(target);
    const files: [string, RegExp][] = [];
    const info = {
      name: 'h',
      source: 'agent',
      cores: 4,
      hz: 2.4e9,
      intervalMs: 100,
      vms: [0, 1, 2].map((v) => ({ id: v, name: `vm${v}`, group: v % 2 ? 'kv' : 'web', vcpus: 1 })),
      queues: [0, 1, 2].map((q) => ({ id: q, vm: q, device: 0, kind: 'net' })),
      groups: [
        { name: 'web', weight: 1, workload: 'web' },
        { name: 'kv', weight: 1, workload: 'kv' },
      ],
    };
    /** One session of 10 synthetic snapshots with `edit` applied to snapshot 5, as a SQLite file and as its JSON export. */
    const variant = (nameOf: string, edit: (s: HostSnapshot) => void, re: RegExp, hostInfo: unknown = info): void => {
      const f = join(dir, `${nameOf}.db`);
      const db = new HistoryDb(f);
      const gen = new SyntheticHostGen({ cores: 4, vms: 3, intervalMs: 100, seed: 3 });
      const id = db.beginSession({ host: 'h', source: 'agent', startedAt: 1_000_000, intervalMs: 100, policy: 'iocm', info: hostInfo as never });
      const batch = Array.from({ length: 10 }, () => gen.next());
      edit(batch[5]);
      db.append(id, batch, []);
      db.endSession(id, 2_000_000);
      const json = join(dir, `${nameOf}.json`);
      exportSession(db, { sessionId: id, format: 'json', out: json });
      db.close();
      files.push([f, re], [json, re]);
    };
    // The unedited session imports (so each refusal below is the edit's).
    variant('good', () => {}, /^$/);
    const [goodDb, goodJson] = files.splice(0, 2).map(([f]) => f);
    {
      const store = new HistoryDb(join(dir, 'ok.db'));
      expect(importFile(store, goodDb).sessions).toHaveLength(1);
      expect(importFile(store, goodJson).sessions).toHaveLength(1);
      store.close();
    }
    variant('negative', (s) => (s.queues[1].requests = -5), /snapshot.*5.*queues\[1\]\.requests: .*(>=|≥|greater).*0.*nothing was imported$/i);
    variant('dupt', (s) => (s.t = 500), /t.*500 is the previous snapshot's t too.*nothing was imported$/);
    variant('owner', (s) => (s.queues[0].owner = 0), /queues\[0\]\.owner = 0 is not one of the snapshot's side cores; nothing was imported$/);
    variant('dupcore', (s) => (s.cores[1].id = 0), /cores\[1\]\.id = 0 is listed twice; nothing was imported$/);
    variant('sidecore', (s) => (s.sideCores[0].coreId = 4000), /sideCores\[0\]\.coreId = 4000 is not a core of role 'side'.*nothing was imported$/);
    variant('bigshape', (s) => s.cores.push({ ...s.cores[0], id: 4 }), /it has 5 cores, the session's host description 4.*nothing was imported$/);
    variant('info', () => {}, /info.*cores: .*(4096|less|≤|<=).*nothing was imported$/i, { ...info, cores: 1e308 });
    refusals(target, files);
    expect(sessionRows(target)).toEqual(before);
  });
});
