/**
 * The history commands on bad input, through the real CLI process on real SQLite files: a
 * missing database is refused (never created) by whatif as by sessions and calibrate; an
 * imported session bundle whose recorded scenario the model cannot run is refused by name with
 * nothing stored, and an imported id that is not a valid id is renamed with that reason.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iocm } from './cli-helpers.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-cli-history-input-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a missing history database', () => {
  it('whatif refuses it as sessions show and calibrate do, and creates nothing', async () => {
    const typo = join(dir, 'typo.db');
    for (const argv of [['whatif', '--session', 'x', '--policy', 'vhost'], ['sessions', 'show', '--session', 'x'], ['calibrate', '--session', 'x']]) {
      const r = await iocm([...argv, '--db', typo]);
      expect(r.code, argv[0]).toBe(2);
      expect(r.stderr, argv[0]).toMatch(new RegExp(`^iocm ${argv[0]}: (show: )?no history database at ${typo} \\(--db\\)\\n$`));
    }
    // The default database (IOCM_DB) not there yet: the same refusal, in the words for it.
    const fresh = join(dir, 'fresh.db');
    const r = await iocm(['whatif', '--session', 'x', '--policy', 'vhost'], { IOCM_DB: fresh });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`iocm whatif: there is no history database yet (${fresh}): record a session first\n`);
    expect(existsSync(typo)).toBe(false);
    expect(existsSync(fresh)).toBe(false);
  }, 60_000);
});

describe('sessions import', () => {
  let db: string;
  let id: string;
  let bundle: { session: { id: string; scenario: unknown } };
  beforeAll(async () => {
    db = join(dir, 'import.db');
    const sim = await iocm(['simulate', '--scenario', 'rr-few', '--seconds', '0.5', '--record', db]);
    expect(sim.code, sim.stderr).toBe(0);
    id = /recorded session (\S+)/.exec(sim.stderr)![1];
    const out = join(dir, 'good.json');
    const exp = await iocm(['sessions', 'export', '--db', db, '--session', id, '--format', 'json', '--out', out]);
    expect(exp.code, exp.stderr).toBe(0);
    bundle = JSON.parse(readFileSync(out, 'utf8'));
  }, 60_000);

  const ids = async (): Promise<string[]> => (JSON.parse((await iocm(['sessions', 'list', '--db', db, '--json'])).stdout) as { id: string }[]).map((s) => s.id);

  it('refuses a model session whose recorded scenario the model cannot run, naming the session and the problem; nothing is stored', async () => {
    const before = await ids();
    const file = join(dir, 'no-host.json');
    writeFileSync(file, JSON.stringify({ ...bundle, session: { ...bundle.session, id: 'no-host', scenario: { name: 'x' } } }));
    const r = await iocm(['sessions', 'import', '--db', db, '--in', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`iocm sessions: ${file}: session "no-host": its recorded scenario cannot be run by the model: scenario host: missing; nothing was imported\n`);
    expect(await ids()).toEqual(before);

    // The same in a standalone session file (SQLite), where the scenario is a column's JSON text.
    const sq = join(dir, 'bad-scenario.sqlite');
    expect((await iocm(['sessions', 'export', '--db', db, '--session', id, '--format', 'sqlite', '--out', sq])).code).toBe(0);
    const raw = new Database(sq);
    raw.prepare('UPDATE sessions SET scenario_json = ?').run(JSON.stringify({ host: { cores: 1, ghz: 2 }, vms: [], phases: [] }));
    raw.close();
    const q = await iocm(['sessions', 'import', '--db', db, '--in', sq]);
    expect(q.code).toBe(2);
    expect(q.stderr).toContain(`${sq}: session ${JSON.stringify(id)}: its recorded scenario cannot be run by the model: scenario host.cores: expected an integer ≥ 2`);
    expect(await ids()).toEqual(before);

    // The recording as exported imports, and what-if runs on it.
    const okFile = join(dir, 'ok.json');
    writeFileSync(okFile, JSON.stringify({ ...bundle, session: { ...bundle.session, id: 'fine' } }));
    const ok = await iocm(['sessions', 'import', '--db', db, '--in', okFile]);
    expect(ok.stdout).toBe('imported session fine\n');
    const w = await iocm(['whatif', '--db', db, '--session', 'fine', '--policy', 'vhost', '--json']);
    expect(w.code, w.stderr).toBe(0);
    // A database that holds such a session anyway (stored before this check): what-if still refuses it by name.
    const edit = new Database(db);
    edit.prepare('UPDATE sessions SET scenario_json = ? WHERE id = ?').run(JSON.stringify({ name: 'x' }), 'fine');
    edit.close();
    const late = await iocm(['whatif', '--db', db, '--session', 'fine', '--policy', 'vhost']);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/session 'fine': its recorded scenario cannot be re-run: scenario host: missing/);
  }, 60_000);

  it('says an id was replaced because it is not a valid id, not because it was taken', async () => {
    const file = join(dir, 'bad-id.json');
    writeFileSync(file, JSON.stringify({ ...bundle, session: { ...bundle.session, id: '../../etc' } }));
    const r = await iocm(['sessions', 'import', '--db', db, '--in', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^imported session \.\.\/\.\.\/etc as imported-[0-9a-f]{8} \("\.\.\/\.\.\/etc" is not a valid session id: up to 128 letters, .*without '\.\.'\)\n$/);
    expect(r.stdout).not.toMatch(/taken/);
    // A valid id that another session has: that is the reason given.
    const again = await iocm(['sessions', 'import', '--db', db, '--in', join(dir, 'good.json')]);
    expect(again.stdout).toMatch(new RegExp(`^imported session ${id} as ${id}-[0-9a-f]{6} \\(the id was taken; nothing was overwritten\\)\n$`));
  }, 60_000);
});
