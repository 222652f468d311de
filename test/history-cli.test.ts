/**
 * The history CLI end to end on real files: simulate --record, sessions
 * list/show/export/import/delete, default database from IOCM_DB, exit codes.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../src/main/cli/iocm.ts';
import { defaultDbPath } from '../src/main/history/paths.ts';
import { HistoryDb } from '../src/main/history/store.ts';
import { ROOT } from './cli-helpers.ts';

let dir: string;

async function iocm(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) }),
    stderr: new Writable({ write: (c, _e, cb) => ((err += c.toString()), cb()) }),
  });
  return { code, out, err };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-cli-hist-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iocm sessions', () => {
  it('list, show and whatif say when a session ran more than its first policy (review 8 item 13)', async () => {
    const db = join(dir, 'trail.db');
    const sim = await iocm('simulate', '--scenario', 'rr-few', '--policy', 'iocm', '--seconds', '1', '--record', db);
    expect(sim.code).toBe(0);
    const id = /recorded session (\S+)/.exec(sim.err)![1];
    // What the loop records for an operator's policy change and pin (src/main/loop/loop.ts), as a console would have.
    const raw = new Database(db);
    const key = (raw.prepare('SELECT key FROM sessions WHERE id = ?').get(id) as { key: number }).key;
    const ev = raw.prepare("INSERT INTO events (session, t, source, kind, message, data) VALUES (?, ?, 'operator', 'override', ?, ?)");
    ev.run(key, 300, 'policy static:2', JSON.stringify({ policy: 'static:2', config: {}, ok: true }));
    ev.run(key, 500, 'pin core 3', JSON.stringify({ command: { kind: 'pin', core: 3 }, ok: true }));
    ev.run(key, 700, 'policy iocm', JSON.stringify({ policy: 'iocm', config: {}, ok: true }));
    raw.close();
    // The console's search finds a session by a policy it ran later, as the list shows it (review 9).
    const h = new HistoryDb(db, { readonly: true });
    try {
      expect(h.listSessions({ search: 'static:2' }).map((x) => x.id)).toEqual([id]);
      expect(h.listSessions({ search: 'static:9' })).toEqual([]);
    } finally {
      h.close();
    }
    const list = await iocm('sessions', 'list', '--db', db);
    expect(list.out).toContain('iocm → static:2 → iocm (2 policy changes, 1 operator override)');
    const json = JSON.parse((await iocm('sessions', 'list', '--db', db, '--json')).out) as { control?: unknown }[];
    expect(json[0].control).toEqual({ policies: ['iocm', 'static:2', 'iocm'], policyChanges: 2, overrides: 1 });
    const show = await iocm('sessions', 'show', '--db', db, '--session', id);
    expect(show.out).toMatch(/^policy {5}iocm$/m);
    expect(show.out).toMatch(/^control {4}iocm → static:2 → iocm \(2 policy changes, 1 operator override\)$/m);
    const wi = await iocm('whatif', '--db', db, '--session', id, '--policy', 'vhost');
    expect(wi.code).toBe(0);
    expect(wi.out).toContain('note: the recorded session did not run iocm throughout: iocm → static:2 → iocm (2 policy changes, 1 operator override). The base is the session as recorded; the re-run runs vhost throughout, with no operator overrides.');
    expect(wi.out).toContain(`iocm as recorded, mixed (${id})`);
    // A session that ran one policy untouched has no control line and no note.
    const plain = await iocm('simulate', '--scenario', 'rr-few', '--policy', 'iocm', '--seconds', '0.5', '--record', db);
    const pid = /recorded session (\S+)/.exec(plain.err)![1];
    expect((await iocm('sessions', 'show', '--db', db, '--session', pid)).out).not.toMatch(/^control/m);
    expect((await iocm('whatif', '--db', db, '--session', pid, '--policy', 'vhost')).out).not.toContain('note:');
  }, 120_000);

  it('defaultDbPath follows IOCM_DB, XDG and the OS conventions', () => {
    expect(defaultDbPath({ IOCM_DB: '/x/y.db' }, 'linux', '/home/u')).toBe('/x/y.db');
    expect(defaultDbPath({ XDG_DATA_HOME: '/d' }, 'linux', '/home/u')).toBe('/d/iocm-console/history.db');
    expect(defaultDbPath({}, 'linux', '/home/u')).toBe('/home/u/.local/share/iocm-console/history.db');
    expect(defaultDbPath({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/iocm-console/history.db');
    expect(defaultDbPath({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toMatch(/iocm-console[\\/]history\.db$/);
  });

  it('simulate --record, then list, show, export, import, delete', async () => {
    const db = join(dir, 'h.db');
    const sim = await iocm('simulate', '--scenario', 'mixed', '--seconds', '3', '--json', '--record', db);
    expect(sim.code).toBe(0);
    expect(JSON.parse(sim.out).policy).toBe('vhost');
    expect(sim.err).toMatch(/recorded session (\S+) \(30 snapshots\)/);
    const id = /recorded session (\S+)/.exec(sim.err)![1];

    const list = await iocm('sessions', 'list', '--db', db, '--json');
    expect(list.code).toBe(0);
    const sessions = JSON.parse(list.out);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ id, scenario: 'mixed', policy: 'vhost', snapshots: 30, seed: 1, status: 'complete' });
    expect(sessions[0].scenarioJson.name).toBe('mixed');
    expect(sessions[0].info).toMatchObject({ source: 'model', cores: sessions[0].scenarioJson.host.cores, intervalMs: 100 });
    expect((await iocm('sessions', 'list', '--db', db)).out).toContain(id);

    const show = await iocm('sessions', 'show', '--db', db, '--session', id);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/30 snapshots every 100 ms/);

    const out = join(dir, 's.json');
    expect((await iocm('sessions', 'export', '--db', db, '--session', id, '--format', 'json', '--out', out)).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).snapshots).toHaveLength(30);
    const csv = join(dir, 's.csv');
    expect((await iocm('sessions', 'export', '--db', db, '--session', id, '--format', 'csv', '--out', csv, '--csv-layout', 'wide')).code).toBe(0);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toMatch(/^time,unix_ms,t_ms,.* \(cycles\),.*,events$/);
    const noDir = await iocm('sessions', 'export', '--db', db, '--session', id, '--format', 'csv', '--out', join(dir, 'no-such-dir', 'x.csv'));
    expect(noDir.code).toBe(2);
    expect(noDir.err).toMatch(/cannot create .*x\.csv: ENOENT/);

    const imp = await iocm('sessions', 'import', '--db', db, '--in', out);
    expect(imp.code).toBe(0);
    expect(imp.out).toMatch(new RegExp(`imported session ${id} as \\S+ \\(the id was taken; nothing was overwritten\\)`));
    expect(JSON.parse((await iocm('sessions', 'list', '--db', db, '--json')).out)).toHaveLength(2);

    const del = await iocm('sessions', 'delete', '--db', db, '--session', id);
    expect(del.code).toBe(0);
    expect(JSON.parse((await iocm('sessions', 'list', '--db', db, '--json')).out).map((s: { id: string }) => s.id)).not.toContain(id);
  });

  it("export --out - writes csv and json to standard output (no file named '-'), and refuses sqlite", async () => {
    const db = join(dir, 'stdout.db');
    const sim = await iocm('simulate', '--scenario', 'rr-few', '--seconds', '1', '--record', db);
    expect(sim.code).toBe(0);
    const id = /recorded session (\S+)/.exec(sim.err)![1];
    // The real command in a folder of its own: a file named '-' would show there.
    const cwd = mkdtempSync(join(tmpdir(), 'iocm-cli-dash-'));
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((res, rej) => {
        const child = spawn(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.on('error', rej);
        child.on('close', (code) => res({ code, out, err }));
      });
    try {
      for (const format of ['csv', 'json']) {
        const file = join(dir, `dash.${format}`);
        expect((await iocm('sessions', 'export', '--db', db, '--session', id, '--format', format, '--out', file)).code).toBe(0);
        const r = await run('sessions', 'export', '--db', db, '--session', id, '--format', format, '--out', '-');
        expect(r.code, format).toBe(0);
        // The same bytes as the file export; the summary on stderr, out of the data's way.
        expect(r.out, format).toBe(readFileSync(file, 'utf8'));
        expect(r.err).toBe(`exported session ${id} to standard output (${format}, ${format === 'json' ? 10 : r.out.split('\n').length - 2} rows)\n`);
      }
      const sq = await run('sessions', 'export', '--db', db, '--session', id, '--format', 'sqlite', '--out', '-');
      expect(sq.code).toBe(2);
      expect(sq.out).toBe('');
      expect(sq.err).toBe('iocm sessions: export: --out - (standard output) is for csv and json; a SQLite session file is binary: name a file to write\n');
      expect(readdirSync(cwd)).toEqual([]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('uses IOCM_DB when --db is absent', async () => {
    const db = join(dir, 'env.db');
    const prev = process.env.IOCM_DB;
    process.env.IOCM_DB = db;
    try {
      const r = await iocm('sessions', 'list');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`no sessions: there is no history database yet (${db})`);
      // reading creates nothing
      expect(existsSync(db)).toBe(false);
      // a database named by --db that does not exist is an error (a typo), and is not created either
      const typo = join(dir, 'typo.db');
      for (const sub of [['list'], ['show', '--session', 'x'], ['delete', '--session', 'x']]) {
        const bad = await iocm('sessions', ...sub, '--db', typo);
        expect(bad.code, sub[0]).toBe(2);
        expect(bad.err, sub[0]).toContain(`iocm sessions: ${sub[0]}: no history database at ${typo} (--db)`);
      }
      expect(existsSync(typo)).toBe(false);
      const rec = await iocm('simulate', '--scenario', 'rr-few', '--seconds', '1', '--record', join(dir, 'no', 'such', 'x.db'));
      expect(rec.code).toBe(2);
      expect(rec.err).toContain(`--record: the folder of ${join(dir, 'no', 'such', 'x.db')} does not exist`);
      expect(existsSync(join(dir, 'no'))).toBe(false);
    } finally {
      if (prev === undefined) delete process.env.IOCM_DB;
      else process.env.IOCM_DB = prev;
    }
  });

  it('bad input exits 2 with a message naming what is wrong', async () => {
    const db = join(dir, 'h.db');
    const cases: [string[], RegExp][] = [
      [['sessions', 'show', '--db', db], /--session is required/],
      [['sessions', 'show', '--db', db, '--session', 'nope'], /no session 'nope'/],
      [['sessions', 'export', '--db', db, '--session', 'x', '--format', 'xml', '--out', 'y'], /--format must be csv, json or sqlite, got 'xml'/],
      [['sessions', 'export', '--db', db, '--session', 'x', '--format', 'json', '--out', 'y', '--csv-layout', 'wide'], /--csv-layout applies to --format csv only/],
      [['sessions', 'import', '--db', db, '--in', join(dir, 'missing.json')], /missing\.json: no such file/],
      [['sessions', 'frobnicate'], /unknown subcommand 'frobnicate'/],
      [['sessions', 'list', '--db', join(dir, 's.csv')], /s\.csv is not an IOcm history database/],
    ];
    for (const [argv, re] of cases) {
      const r = await iocm(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(re);
    }
  });

  it('refuses a --session that cannot be a session id before looking it up, quoting only its start', async () => {
    const db = join(dir, 'h.db');
    const long = 'a'.repeat(5000);
    const rule = "is not a session id \\(up to 128 letters, digits and '_', '.', ':', '-', starting with a letter or digit, without '..'; see `iocm sessions list`\\)$";
    const cases: [string[], string][] = [
      [['sessions', 'show', '--db', db, '--session', long], `^iocm sessions: show: --session '${'a'.repeat(40)}… \\(5000 characters\\)' ${rule}`],
      [['sessions', 'export', '--db', db, '--session', '../../etc', '--format', 'csv', '--out', join(dir, 'never.csv')], `^iocm sessions: export: --session '\\.\\./\\.\\./etc' ${rule}`],
      [['sessions', 'delete', '--db', db, '--session', 'a'.repeat(129)], `^iocm sessions: delete: --session 'a{40}… \\(129 characters\\)' ${rule}`],
      [['whatif', '--db', db, '--session', 'x y', '--policy', 'vhost'], `^iocm whatif: --session 'x y' ${rule}`],
      [['calibrate', '--db', db, '--session', long], `^iocm calibrate: --session 'a{40}… \\(5000 characters\\)' ${rule}`],
    ];
    for (const [argv, re] of cases) {
      const r = await iocm(...argv);
      expect(r.code, argv.slice(0, 2).join(' ')).toBe(2);
      expect(r.err.trimEnd(), argv.slice(0, 2).join(' ')).toMatch(new RegExp(re));
      expect(r.err.length).toBeLessThan(400);
    }
    expect(existsSync(join(dir, 'never.csv'))).toBe(false);
    // 128 characters is still an id: looked up (and not found), named whole.
    const r = await iocm('sessions', 'show', '--db', db, '--session', 'b'.repeat(128));
    expect(r.err).toMatch(/no session 'b{128}'/);
  });

  it('simulate --record into a foreign file and calibrate --out into a missing folder exit 2, without a stack trace', async () => {
    const foreign = join(dir, 'notes.txt');
    writeFileSync(foreign, 'not a database\n');
    const rec = await iocm('simulate', '--scenario', 'rr-few', '--seconds', '0.2', '--record', foreign);
    expect(rec.code).toBe(2);
    expect(rec.err).toMatch(/^iocm simulate: --record: .*notes\.txt is not an IOcm history database/);
    expect(rec.err).not.toMatch(/\n\s+at /);
    expect(readFileSync(foreign, 'utf8')).toBe('not a database\n');

    const db = join(dir, 'cal.db');
    // Recorded as a research host: a stock QEMU host measures no work of queues on side cores.
    const sim = await iocm('simulate', '--scenario', 'rr-few', '--policy', 'static:1', '--seconds', '1', '--observe', 'full', '--record', db);
    expect(sim.code).toBe(0);
    const id = /recorded session (\S+)/.exec(sim.err)![1];
    const qemu = await iocm('calibrate', '--db', db, '--session', id, '--observe', 'qemu');
    expect(qemu.code).toBe(2);
    expect(qemu.err).toContain("no cost could be fitted (not measured: a 'qemu' host reports a queue's work only as its I/O thread's CPU while no side core polls it, and every queue with traffic was on a side core;");
    const out = join(dir, 'no', 'such', 'costs.json');
    const cal = await iocm('calibrate', '--db', db, '--session', id, '--out', out);
    expect(cal.code).toBe(2);
    expect(cal.err).toContain(`iocm calibrate: --out ${out}: cannot write the file (ENOENT)`);
    expect(cal.err).not.toMatch(/\n\s+at /);
  });

  it('a session whose scenario or seed the model cannot run: import refuses the scenario, whatif the seed (exit 2 naming it)', async () => {
    const db = join(dir, 'wi.db');
    const sim = await iocm('simulate', '--scenario', 'rr-few', '--seconds', '0.5', '--record', db);
    expect(sim.code).toBe(0);
    const id = /recorded session (\S+)/.exec(sim.err)![1];
    const one = await iocm('simulate', '--scenario', 'rr-few', '--seconds', '0.1', '--record', db);
    expect(one.err).toMatch(/recorded session \S+ \(1 snapshot\) in/); // not "1 snapshots"
    const bundle = join(dir, 'wi.json');
    expect((await iocm('sessions', 'export', '--db', db, '--session', id, '--format', 'json', '--out', bundle)).code).toBe(0);
    const base = JSON.parse(readFileSync(bundle, 'utf8')) as { session: { id: string; scenario: unknown; seed: number } };
    /** The bundle as session `sid`, changed by `mutate`, in a file of its own. */
    const variant = (sid: string, mutate: (b: typeof base) => void): string => {
      const b = JSON.parse(JSON.stringify(base)) as typeof base;
      b.session.id = sid;
      mutate(b);
      const f = join(dir, `${sid}.json`);
      writeFileSync(f, JSON.stringify(b));
      return f;
    };
    // A scenario the model cannot run is refused on import, by the check what-if runs (nothing stored).
    const refused: [string, (b: typeof base) => void, RegExp][] = [
      ['no-host', (b) => (b.session.scenario = { foo: 1 }), /session "no-host": its recorded scenario cannot be run by the model: scenario host: missing; nothing was imported/],
      ['too-big', (b) => ((b.session.scenario as { host: { cores: number }; vms: { count: number; devices: unknown[] }[] }).vms[0].devices = Array.from({ length: 200 }, () => ({ kind: 'net', queues: 64 }))), /session "too-big": .*at most 16384 virtqueues/],
    ];
    for (const [sid, mutate, re] of refused) {
      const r = await iocm('sessions', 'import', '--db', db, '--in', variant(sid, mutate));
      expect(r.code, sid).toBe(2);
      expect(r.err, sid).toMatch(re);
      expect((await iocm('sessions', 'show', '--db', db, '--session', sid)).code, sid).toBe(2);
    }
    // A seed the model cannot take imports (the scenario is fine) and what-if refuses it by name.
    expect((await iocm('sessions', 'import', '--db', db, '--in', variant('bad-seed', (b) => (b.session.seed = -5)))).code).toBe(0);
    const r = await iocm('whatif', '--db', db, '--session', 'bad-seed', '--policy', 'vhost');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/session 'bad-seed': its recorded seed -5 is not an integer/);
  });
});
