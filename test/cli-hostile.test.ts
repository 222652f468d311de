/**
 * Bounds on CLI input (issue 10, item 12): a phase of 1e308 s, a FIFO or a device given as a
 * scenario file — each exits 2 at once with a message naming what was wrong.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, iocm } from './cli-helpers.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-cli-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iocm simulate on hostile scenarios', () => {
  it('a phase of 1e308 s is refused (it used to run forever)', async () => {
    const s = JSON.parse(readFileSync(join(ROOT, 'resources', 'scenarios', 'rr-few.json'), 'utf8')) as { phases: { seconds: number }[] };
    s.phases[0].seconds = 1e308;
    const file = join(dir, 'long.json');
    writeFileSync(file, JSON.stringify(s));
    const t0 = Date.now();
    const r = await iocm(['simulate', '--scenario', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/phases\/0\/seconds: expected a number ≤ 604800/);
    expect(r.stderr).toMatch(/604800/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);

  it('a FIFO or a device as the scenario file is refused without blocking', async () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, '/dev/zero']) {
      const r = await iocm(['simulate', '--scenario', file]);
      expect(r.code, file).toBe(2);
      expect(r.stderr, file).toMatch(/not a regular file/);
    }
  }, 60_000);
});
