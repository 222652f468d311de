import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs } from './fs.ts';

const dir = mkdtempSync(join(tmpdir(), 'iocm-fs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('makeDirs', () => {
  it('creates missing parents, and accepts a folder that exists', () => {
    const d = join(dir, 'a', 'b', 'c');
    makeDirs(d);
    expect(statSync(d).isDirectory()).toBe(true);
    makeDirs(d);
    makeDirs(dir);
  });

  it('refuses a file in the way with ENOTDIR', () => {
    const f = join(dir, 'file');
    writeFileSync(f, 'x');
    expect(() => makeDirs(f)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makeDirs(join(f, 'below'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it.runIf(existsSync('/proc/self'))('fails at once under /proc, where recursive mkdir spins forever (Node 20)', () => {
    expect(() => makeDirs('/proc/iocm-no-such/x')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
