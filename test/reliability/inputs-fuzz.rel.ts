/**
 * Property-based fuzzing of the files and arguments an admin hands the console:
 * - scenario fields (10,000 mutated scenarios): accepted, or a ScenarioError naming the field;
 * - import formats: 10,000 mutated JSON bundles and 1,000 byte-corrupted SQLite session files
 *   into a real history file: imported, or a HistoryError; the target is unchanged on refusal;
 * - CLI arguments (10,000 argv of `iocm sessions|scenarios|…`, in process): exit 0 or 2, one
 *   line naming the problem, no stack trace, no raw control characters.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryDb } from '../../src/main/history/store.ts';
import { importFile } from '../../src/main/history/import.ts';
import { exportSession } from '../../src/main/history/export.ts';
import { HistoryError } from '../../src/main/history/schema.ts';
import { SyntheticHostGen, syntheticEvent } from '../../src/main/history/testing.ts';
import { ScenarioError, validateScenario } from '../../src/main/scenario/load.ts';
import { main } from '../../src/main/cli/iocm.ts';
import { ROOT } from '../cli-helpers.ts';
import { figure } from './figures.ts';

let dir: string;
let bundle: unknown;
let sqliteBytes: Buffer;
let sessionId: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-inputs-fuzz-'));
  const src = join(dir, 'src.db');
  const db = new HistoryDb(src);
  const gen = new SyntheticHostGen({ cores: 2, vms: 2, intervalMs: 100 });
  sessionId = db.beginSession({ host: 'h', source: 'model', startedAt: 1, intervalMs: 100, policy: 'iocm' });
  const snaps = Array.from({ length: 3 }, () => gen.next());
  db.append(sessionId, snaps, [syntheticEvent(snaps[1].t, 0)]);
  db.endSession(sessionId, 2);
  exportSession(db, { sessionId, format: 'json', out: join(dir, 'b.json') });
  exportSession(db, { sessionId, format: 'sqlite', out: join(dir, 's.db') });
  db.close();
  bundle = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'));
  sqliteBytes = readFileSync(join(dir, 's.db'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const anyValue = fc.oneof(
  fc.anything({ maxDepth: 2, maxKeys: 3 }),
  fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53, '', '../../x', '\u001b[2J', null, [], {}, true),
);

/** All JSON paths of a value (objects and arrays), up to `limit`. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = [], limit = 400): (string | number)[][] {
  if (out.length >= limit || v === null || typeof v !== 'object') return out;
  for (const [k, c] of Object.entries(v)) {
    const p = [...prefix, Array.isArray(v) ? Number(k) : k];
    out.push(p);
    paths(c, p, out, limit);
  }
  return out;
}

/** A copy of `base` with the value at `path` replaced (undefined: deleted) or a key added. */
function mutate(base: unknown, path: (string | number)[], value: unknown, op: 'set' | 'delete' | 'add'): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let o = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (op === 'delete' && !Array.isArray(o)) delete o[last];
  else if (op === 'add') (o as Record<string, unknown>)['fuzz_extra'] = value;
  else o[last] = value;
  return copy;
}

function mutation(base: unknown): fc.Arbitrary<unknown> {
  const ps = paths(base);
  return fc.record({ path: fc.constantFrom(...ps), value: anyValue, op: fc.constantFrom('set', 'set', 'delete', 'add') as fc.Arbitrary<'set' | 'delete' | 'add'> }).map(({ path, value, op }) =>
    mutate(base, path, value, op),
  );
}

describe('scenario fields', () => {
  it('10,000 mutated scenarios: accepted or refused naming the field', () => {
    const base = JSON.parse(readFileSync(join(ROOT, 'resources', 'scenarios', 'mixed.json'), 'utf8')) as unknown;
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(mutation(base), (s) => {
        try {
          validateScenario(s, 'fuzz.json');
          accepted++;
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw new Error(`not a ScenarioError: ${(e as Error).stack}`, { cause: e });
          if (!e.path && e.path !== '') throw new Error(`no field named: ${e.message}`, { cause: e });
          refused++;
        }
      }),
      { numRuns: 10_000, seed: 20 },
    );
    figure('scenario fields', { cases: accepted + refused, accepted, refused });
  });
});

describe('import formats', () => {
  function count(db: HistoryDb): number {
    return (db.db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
  }

  it('10,000 mutated JSON bundles: imported or refused with a HistoryError; nothing half-imported', () => {
    const target = new HistoryDb(join(dir, 'target-json.db'));
    const file = join(dir, 'fuzz.json');
    let imported = 0;
    let refused = 0;
    try {
      fc.assert(
        fc.property(mutation(bundle), (b) => {
          writeFileSync(file, JSON.stringify(b) ?? 'null');
          const before = count(target);
          try {
            const r = importFile(target, file);
            if (count(target) !== before + r.sessions.length) throw new Error('session count does not match the import');
            for (const s of r.sessions) target.deleteSession(s.id);
            imported++;
          } catch (e) {
            if (!(e instanceof HistoryError)) throw new Error(`not a HistoryError: ${(e as Error).stack}`, { cause: e });
            if (count(target) !== before) throw new Error(`refused import changed the target: ${e.message}`, { cause: e });
            refused++;
          }
        }),
        { numRuns: 10_000, seed: 21 },
      );
      expect(target.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      target.close();
    }
    figure('import JSON bundles', { cases: imported + refused, imported, refused });
  });

  it('1,000 byte-corrupted SQLite session files: imported or refused; the target stays intact', () => {
    const target = new HistoryDb(join(dir, 'target-sqlite.db'));
    const file = join(dir, 'fuzz.db');
    let imported = 0;
    let refused = 0;
    try {
      fc.assert(
        fc.property(fc.array(fc.record({ at: fc.nat({ max: sqliteBytes.length - 1 }), byte: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 8 }), (edits) => {
          const b = Buffer.from(sqliteBytes);
          for (const e of edits) b[e.at] = e.byte;
          writeFileSync(file, b);
          const before = count(target);
          try {
            const r = importFile(target, file);
            for (const s of r.sessions) target.deleteSession(s.id);
            imported++;
          } catch (e) {
            if (!(e instanceof HistoryError)) throw new Error(`not a HistoryError: ${(e as Error).stack}`, { cause: e });
            if (count(target) !== before) throw new Error('refused import changed the target', { cause: e });
            refused++;
          }
        }),
        { numRuns: 1000, seed: 22 },
      );
      expect(target.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      target.close();
    }
    figure('import SQLite files', { cases: imported + refused, imported, refused });
  });
});

describe('CLI arguments', () => {
  it('10,000 argv: exit 0 or 2, a one-line message, no stack trace, no raw control characters', async () => {
    const db = join(dir, 'cli.db');
    const words = fc.oneof(
      fc.constantFrom('sessions', 'scenarios', 'list', 'show', 'export', 'import', 'delete', 'validate', '--db', db, '--session', sessionId, '--format', 'csv', 'json', 'sqlite', 'xml', '--out', join(dir, 'o'), '--in', join(dir, 'b.json'), '/dev/zero', '--json', '--csv-layout', 'wide', '--help', '-h', '--', '-', '--seed', '-1', 'NaN', '1e308'),
      fc.string({ maxLength: 12 }),
    );
    const argvArb = fc.tuple(fc.constantFrom('sessions', 'scenarios', 'nosuch', '--nope'), fc.array(words, { maxLength: 6 })).map(([c, rest]) => [c, ...rest]);
    const codes = new Map<number, number>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(argvArb, async (argv) => {
        let out = '';
        let errText = '';
        const io = { stdout: { write: (s: string) => ((out += s), true), isTTY: false }, stderr: { write: (s: string) => ((errText += s), true), isTTY: false } };
        const code = await main(argv, io as never);
        n++;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        const where = JSON.stringify(argv);
        if (code !== 0 && code !== 2) throw new Error(`${where}: exit ${code}: ${errText}`);
        if (/\n\s+at /.test(errText)) throw new Error(`${where}: stack trace: ${errText}`);
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(out + errText)) throw new Error(`${where}: raw control characters`);
        if (code === 2 && !(out + errText).trim()) throw new Error(`${where}: exit 2 without a message`);
        rmSync(join(dir, 'o'), { force: true });
      }),
      { numRuns: 10_000, seed: 23 },
    );
    figure('CLI arguments', { cases: n, ...Object.fromEntries([...codes].map(([k, v]) => [`exit${k}`, v])) });
  });
});
