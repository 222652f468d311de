/**
 * Bounds on CLI input (issue 10, item 12): a phase of 1e308 s, a FIFO or a device given as a
 * scenario file — each exits 2 at once with a message naming what was wrong.
 */
import { execFileSync, spawn } from 'node:child_process';
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

  it('a host too large to allocate (every limit of the schema at once) is refused, not a RangeError', async () => {
    // 1024 cores, 4096 VMs of 256 vCPUs with 64-queue devices: each field within its own limit,
    // but the model would preallocate per core × virtqueue (tens of GB) and crashed with a stack trace.
    const devices = Array.from({ length: 4 }, () => ({ kind: 'net', queues: 64 }));
    const big = { host: { cores: 1024, ghz: 2.5 }, vms: [{ name: 'a', count: 4096, vcpus: 1, devices, workload: { kind: 'net-rr' } }], phases: [{ name: 'p', seconds: 1, load: {} }] };
    const file = join(dir, 'big.json');
    writeFileSync(file, JSON.stringify(big));
    const r = await iocm(['simulate', '--scenario', file, '--seconds', '0.1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/vms: at most 16384 virtqueues in total .* got 1048576/);
    expect(r.stderr).not.toMatch(/RangeError|\n\s+at /);
    big.vms[0].devices = [{ kind: 'net', queues: 1 }];
    big.vms[0].vcpus = 256;
    writeFileSync(file, JSON.stringify(big));
    const v = await iocm(['scenarios', 'validate', file]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/at most 65536 vCPUs in total .* got 1048576/);
  }, 60_000);
});

describe('list flags', () => {
  it('a policy given twice exits 2 before running anything (it used to run twice)', async () => {
    for (const args of [
      ['sweep', '--scenario', 'rr-few', '--policies', 'iocm,iocm'],
      ['evaluate', '--suite', join(ROOT, 'test', 'fixtures', 'holdout'), '--out', join(dir, 'rep'), '--policies', 'iocm, iocm'],
      ['shapes', '--only', ','],
    ]) {
      const r = await iocm(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/--(policies: 'iocm' is given twice|only: the list is empty)/);
    }
  }, 60_000);
});

describe('iocm with an unknown command', () => {
  it('names it in one line (escaped, cut when long), suggests a near miss, and exits 2', async () => {
    const near = await iocm(['simulat']);
    expect(near.code).toBe(2);
    expect(near.stderr).toBe("iocm: unknown command 'simulat' (did you mean 'simulate'?); run 'iocm --help' for the list of commands\n");
    const far = await iocm(['frobnicate']);
    expect(far.code).toBe(2);
    expect(far.stderr).toBe("iocm: unknown command 'frobnicate'; run 'iocm --help' for the list of commands\n");
    expect(near.stdout).toBe('');
    const hostile = await iocm(['\u001b[31mred' + 'x'.repeat(500)]);
    expect(hostile.code).toBe(2);
    expect(hostile.stderr).not.toContain('\u001b');
    expect(hostile.stderr).toBe(`iocm: unknown command '\\u001b[31mred${'x'.repeat(52)}…'; run 'iocm --help' for the list of commands\n`);
  }, 60_000);
});

describe('a reader that closes the pipe early (iocm … | head)', () => {
  // Every command crashed with "Error: write EPIPE", a stack trace and exit 1 when its reader had gone.
  it('ends quietly with exit 0', async () => {
    for (const args of [['scenarios'], ['--help'], ['shapes', '--help']]) {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.destroy(); // closed before the command writes anything (it takes ~0.5 s to start)
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  }, 60_000);
});
