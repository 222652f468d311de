import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeDirs, readSmallFile } from './fs.ts';

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

describe('readSmallFile', () => {
  it('reads a regular file; refuses a missing file, a folder, a FIFO and one over the cap, in words', () => {
    const f = join(dir, 'ok.json');
    writeFileSync(f, '{"a": 1}');
    expect(readSmallFile(f, 100, 'a test file')).toBe('{"a": 1}');
    expect(() => readSmallFile(join(dir, 'none.json'), 100, 'a test file')).toThrow('no such file');
    expect(() => readSmallFile(dir, 100, 'a test file')).toThrow('is a directory, expected a .json file');
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(() => readSmallFile(fifo, 100, 'a test file')).toThrow('not a regular file');
    const big = join(dir, 'big.json');
    writeFileSync(big, 'x'.repeat(2 * 1024 * 1024 + 1));
    expect(() => readSmallFile(big, 2 * 1024 * 1024, 'a test file')).toThrow(`${2 * 1024 * 1024 + 1} bytes; a test file is at most 2 MiB`);
  });
});
