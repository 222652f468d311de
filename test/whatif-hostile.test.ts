/**
 * A what-if on a recording with absurd (finite) counters: a hostile agent recorded 1e300 in every
 * counter (fixtures/huge-counters.json, cut from the session review 6 recorded). The inferred
 * scenario asked the model for 1e301 requests/s, and the re-run never ended (blocking the console's
 * history worker). Such a file is now refused at import (no snapshot counter over MAX_MEASURE,
 * 1e18, as on the live link); one within that bound but still absurd (fixtures/big-counters.json,
 * the same with 1e17) imports, and its what-if is refused by the scenario check, naming the field,
 * at once. Real CLI, real SQLite file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iocm, ROOT } from './cli-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'iocm-whatif-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('what-if on a recording with absurd counters', () => {
  it('is refused at once with the field named, not run for ever', async () => {
    const db = join(dir, 'h.db');
    const huge = await iocm(['sessions', 'import', '--db', db, '--in', join(ROOT, 'test', 'fixtures', 'huge-counters.json')]);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/bundle\.snapshots\[0\] \(seq \d+\): [\w.[\]]+: .*1000000000000000000.*nothing was imported\n$/);
    const imp = await iocm(['sessions', 'import', '--db', db, '--in', join(ROOT, 'test', 'fixtures', 'big-counters.json')]);
    expect(imp.code, imp.stderr).toBe(0);
    const id = /imported session (\S+)/.exec(imp.stdout)![1];
    const r = await iocm(['whatif', '--db', db, '--session', id, '--policy', 'vhost']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no scenario can be inferred from its recording: scenario vms\[0\]\.workload\.rate: at most 200000000 requests\/s per VM .*, got 1000000000000000000\n$/);
  }, 60_000);
});
