/**
 * The desktop preflight (scripts/electron-preflight.ts) run before `npm start` / `npm run dev`:
 * it finds the Electron binary the way Electron's npm package does and, when it is missing,
 * prints one message with the way out and exits non-zero without a stack trace.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { findElectron, missingMessage } from '../scripts/electron-preflight.ts';

const root = resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'iocm-preflight-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake Electron npm package (package.json only, as after `npm install` without the download). */
function fakePackage(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'electron', version: '45.5.0', engines: { node: '>= 22.12.0' } }));
  return dir;
}
function executable(path: string): string {
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\necho fake electron\n');
  chmodSync(path, 0o755);
  return path;
}
/** Run the preflight script as npm would, with a clean Electron environment plus `env`. */
function run(args: string[], env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const base = { ...process.env };
  delete base.ELECTRON_EXEC_PATH;
  delete base.ELECTRON_OVERRIDE_DIST_PATH;
  const r = spawnSync(process.execPath, ['bin/run-ts.mjs', 'scripts/electron-preflight.ts', ...args], { cwd: root, env: { ...base, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('findElectron (the lookup of node_modules/electron/index.js)', () => {
  it('reports the binary missing when the package never downloaded it (no path.txt, no dist)', () => {
    const pkg = fakePackage('absent');
    const l = findElectron(pkg, {}, 'linux');
    expect(l).toMatchObject({ found: false, source: 'package', path: join(pkg, 'dist', 'electron'), version: '45.5.0', nodeEngine: '>= 22.12.0' });
  });

  it('finds dist/<path.txt> once the package has downloaded it', () => {
    const pkg = fakePackage('downloaded');
    writeFileSync(join(pkg, 'path.txt'), 'electron');
    executable(join(pkg, 'dist', 'electron'));
    expect(findElectron(pkg, {}, 'linux')).toMatchObject({ found: true, source: 'package', path: join(pkg, 'dist', 'electron') });
  });

  it('a dist file that is not executable is not a binary', () => {
    const pkg = fakePackage('noexec');
    writeFileSync(join(pkg, 'path.txt'), 'electron');
    mkdirSync(join(pkg, 'dist'));
    writeFileSync(join(pkg, 'dist', 'electron'), 'not a program');
    expect(findElectron(pkg, {}, 'linux').found).toBe(false);
  });

  it('ELECTRON_OVERRIDE_DIST_PATH replaces the dist folder; ELECTRON_EXEC_PATH (electron-vite) wins over both', () => {
    const pkg = fakePackage('override');
    const dist = join(tmp, 'override-dist');
    const bin = executable(join(dist, 'electron'));
    expect(findElectron(pkg, { ELECTRON_OVERRIDE_DIST_PATH: dist }, 'linux')).toMatchObject({ found: true, source: 'ELECTRON_OVERRIDE_DIST_PATH', path: bin });
    expect(findElectron(pkg, { ELECTRON_OVERRIDE_DIST_PATH: join(tmp, 'nowhere') }, 'linux')).toMatchObject({ found: false, source: 'ELECTRON_OVERRIDE_DIST_PATH' });
    const other = executable(join(tmp, 'exec', 'my-electron'));
    expect(findElectron(pkg, { ELECTRON_EXEC_PATH: other, ELECTRON_OVERRIDE_DIST_PATH: join(tmp, 'nowhere') }, 'linux')).toMatchObject({ found: true, source: 'ELECTRON_EXEC_PATH', path: other });
  });

  it("the message says why, how to fetch it, how to point at an installed Electron, and that 'npm run serve' works", () => {
    const pkg = fakePackage('message');
    const text = missingMessage(findElectron(pkg, {}, 'linux'), '20.20.2');
    expect(text).toContain('not downloaded');
    expect(text).toContain('Node >= 22.12.0 (this is Node 20.20.2)');
    expect(text).toMatch(/node \S*install\.js/);
    expect(text).toContain('ELECTRON_OVERRIDE_DIST_PATH=');
    expect(text).toContain('npm run serve');
  });
});

describe('electron-preflight script', () => {
  it('with the binary absent: exit 1, the message on stderr, no stack trace', () => {
    const r = run(['--check'], { ELECTRON_OVERRIDE_DIST_PATH: join(tmp, 'empty-dist') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot start the desktop app');
    expect(r.stderr).toContain('ELECTRON_OVERRIDE_DIST_PATH');
    expect(r.stderr).toContain('npm run serve');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/Error:/);
    expect(r.stdout).toBe('');
  });

  it('with a fake dist path holding an executable: exit 0 and that path', () => {
    const dist = join(tmp, 'fake-dist');
    const bin = executable(join(dist, 'electron'));
    const r = run(['--check'], { ELECTRON_OVERRIDE_DIST_PATH: dist });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(bin);
  });

  it('refuses an unknown option with exit 2', () => {
    const r = run(['--bogus'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('npm start and npm run dev go through the preflight', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toContain('scripts/electron-preflight.ts -- preview');
    expect(pkg.scripts.dev).toContain('scripts/electron-preflight.ts -- dev');
  });
});
