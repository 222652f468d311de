/**
 * The model's reports quoted in the docs are what the commands print today (issue 9, "Must show"):
 * - the shapes report block in docs/model.md is `iocm shapes` under its defaults, verbatim;
 * - the shipped sensitivity report (docs/sensitivity/sensitivity.md): its base ranking and the
 *   `managerUsPerSecond` row are re-run through `iocm evaluate --sensitivity` (one cost, no
 *   hypercube: the full run takes minutes), and docs/model.md quotes its "same ranking" count.
 * The sensitivity report had gone stale once: written before the loop charged an adaptive policy's
 * own CPU, it said managerUsPerSecond moved nothing, while the command then ranked iocm-classic
 * above both static counts at its low end.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iocm, ROOT } from './cli-helpers.ts';

const modelMd = (): string => readFileSync(join(ROOT, 'docs', 'model.md'), 'utf8');
const shippedSensitivity = (): string => readFileSync(join(ROOT, 'docs', 'sensitivity', 'sensitivity.md'), 'utf8');

/** The cells of a markdown table row. */
const cells = (row: string): string[] => row.replace(/^\| /, '').replace(/ \|$/, '').split(' | ');

/** The one-at-a-time table of a sensitivity report: column name → cell, for the row of `cost`. */
function costRow(md: string, cost: string): Record<string, string> {
  const lines = md.split('\n');
  const head = lines.find((l) => l.startsWith('| cost | low | high |'));
  const row = lines.find((l) => l.startsWith(`| \`${cost}\` |`));
  if (!head || !row) throw new Error(`no one-at-a-time row for ${cost}`);
  const h = cells(head);
  const r = cells(row);
  return Object.fromEntries(h.map((name, i) => [name, r[i]]));
}

const tmp = mkdtempSync(join(tmpdir(), 'iocm-reports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('reports quoted in the docs', () => {
  it('docs/model.md carries `iocm shapes` (defaults: 1 s per static run, seed 7) verbatim', async () => {
    const r = await iocm(['shapes']);
    expect(r.code, r.stderr).toBe(0);
    const md = modelMd();
    const a = md.indexOf('<!-- shapes-report:start -->\n');
    const b = md.indexOf('<!-- shapes-report:end -->');
    expect(a).toBeGreaterThan(0);
    expect(md.slice(a + '<!-- shapes-report:start -->\n'.length, b).trim()).toBe(r.stdout.trim());
  }, 120_000);

  it('the shipped sensitivity report is what the command gives now (base ranking, managerUsPerSecond)', async () => {
    const out = join(tmp, 'sens');
    const r = await iocm(['evaluate', '--sensitivity', '--costs', 'managerUsPerSecond', '--samples', '0', '--only', 'cpu-bound', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const now = readFileSync(join(out, 'sensitivity.md'), 'utf8');
    const shipped = shippedSensitivity();
    const baseLine = (md: string): string | undefined => md.split('\n').find((l) => l.startsWith('On day (phases 2 s), at the base costs:'));
    expect(baseLine(now)).toBeDefined();
    expect(baseLine(shipped)).toBe(baseLine(now));
    const a = costRow(now, 'managerUsPerSecond');
    const b = costRow(shipped, 'managerUsPerSecond');
    for (const col of ['low', 'high', 'cpu-bound (low / high)', 'ranking (low / high)']) expect(b[col], col).toBe(a[col]);
  }, 180_000);

  it('docs/model.md quotes the shipped report’s "same ranking" count', () => {
    const m = /The same ranking in (\d+) of (\d+) variants/.exec(shippedSensitivity());
    expect(m).not.toBeNull();
    expect(modelMd()).toContain(`the same order in ${m![1]} of ${m![2]} variants`);
  });
});
