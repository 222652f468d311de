/**
 * The history commands on bad input, through the real CLI process on real SQLite files: a
 * missing database is refused (never created) by whatif as by sessions and calibrate; an
 * imported session bundle whose recorded scenario the model cannot run is refused by name with
 * nothing stored, and an imported id that is not a valid id is renamed with that reason.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
