import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runBench, parseBenchArgs, meets, FLOORS } from '../bench/index.ts';

describe('bench harness', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'iocm-bench-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'model.ts'), 'export async function benchModel() { return { eventsPerSec: 1e6, ratio: 0.5, realTimeFactor: 5 }; }\n');
    writeFileSync(join(dir, 'loop.ts'), "export function benchLoop() { throw new Error('loop exploded'); }\n");
    writeFileSync(join(dir, 'history.ts'), "export function benchHistory() { return { seekMs: 'fast' }; }\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('merges module figures, checks floors, reports errors and missing modules', async () => {
    const lines: string[] = [];
    const r = await runBench(parseBenchArgs([]), (l) => lines.push(l), dir);
    expect(r.model).toEqual({ eventsPerSec: 1e6, ratio: 0.5, realTimeFactor: 5 });
    expect(r.floors).toEqual({ 'model.ratio': { min: 0.35 }, 'model.realTimeFactor': { min: 25 } });
    expect(r.pass).toEqual({ 'model.ratio': true, 'model.realTimeFactor': false });
    expect(r.errors.loop).toContain('loop exploded');
    expect(r.errors.history).toContain("non-number for 'seekMs'");
    expect(r.missing).toEqual(['renderer']);
    expect(r.ok).toBe(false);
    expect(Object.keys(r)).toEqual(['meta', 'model', 'floors', 'pass', 'missing', 'errors', 'ok']);
    expect(r.meta.node).toBe(process.version);
    expect(lines.some((l) => l.includes('loop FAILED'))).toBe(true);
  });

  it('--only runs a subset', async () => {
    const r = await runBench(parseBenchArgs(['--only', 'model']), () => {}, dir);
    expect(r.errors).toEqual({});
    expect(r.missing).toEqual([]);
    expect(r.meta.only).toBe('model');
    expect(r.loop).toBeUndefined();
  });

  it('argument errors and floors', () => {
    expect(() => parseBenchArgs(['--only', 'model,nope'])).toThrow(/unknown bench module 'nope'/);
    expect(() => parseBenchArgs(['--only'])).toThrow(/needs a value/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown option '--fast'/);
    expect(parseBenchArgs(['--only=history,model']).only).toEqual(['model', 'history']);
    expect(meets(0.2, FLOORS['loop.decisionMs'])).toBe(true);
    expect(meets(0.21, FLOORS['loop.decisionMs'])).toBe(false);
    expect(meets(Number.NaN, FLOORS['model.ratio'])).toBe(false);
  });

  it('the process prints one JSON document and exits 1 when a module throws, 0 otherwise', () => {
    const run = (only: string) =>
      spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/index.ts', '--only', only], { encoding: 'utf8', env: { ...process.env, IOCM_BENCH_DIR: dir } });
    const bad = run('model,loop');
    expect(bad.status).toBe(1);
    const doc = JSON.parse(bad.stdout);
    expect(Object.keys(doc.errors)).toEqual(['loop']);
    expect(doc.model.ratio).toBe(0.5);
    const good = run('model');
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout).pass['model.realTimeFactor']).toBe(false);
    expect(good.stderr).toContain('floors not met: model.realTimeFactor');
    const strict = spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/index.ts', '--only', 'model', '--strict'], { encoding: 'utf8', env: { ...process.env, IOCM_BENCH_DIR: dir } });
    expect(strict.status).toBe(1);
  });

  it('npm run bench prints one JSON document and exits 2 on a bad option', () => {
    const bad = spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/index.ts', '--only', 'bogus'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim()).toMatch(/^bench: --only: unknown bench module 'bogus'/);
  });
});
