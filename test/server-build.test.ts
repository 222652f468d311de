/**
 * The electron-vite build as the desktop app and the headless server use it, built into a
 * temp dir: the sandboxed preload is CommonJS requiring nothing but electron; only the main
 * entry imports electron; every worker entry is bundled to workers/<name>.js; the built
 * history worker runs under plain Node behind the real services (recording into a real
 * SQLite file); the built renderer is what the server serves, with the CSP meta tag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'electron-vite';
import Database from 'better-sqlite3';
import { builtAppPaths } from '../src/main/electron/paths.ts';
import { createServices } from '../src/main/services/index.ts';
import { startConsoleServer } from '../src/main/server/http-server.ts';
import { backendFromApi } from '../src/main/server/backend.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
let out: string;

beforeAll(async () => {
  // Inside the repository (node_modules/.cache) so the bundles' bare imports (better-sqlite3, zod…)
  // resolve from node_modules, as they do from out/.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules', '.cache', 'iocm-build-'));
  out = join(dir, 'out');
  await build({ root, logLevel: 'warn', build: { outDir: out } });
}, 300_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Bare module specifiers a bundle imports or requires. */
function imports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:^|\n)\s*import\s[^'"]*?from\s*["']([^"']+)["']/g)) found.add(m[1]);
  for (const m of code.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) found.add(m[1]);
  for (const m of code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) found.add(m[1]);
  return [...found].filter((s) => !s.startsWith('.') && !s.startsWith('/'));
}

describe('electron-vite build', () => {
  it('builds a CommonJS preload that requires only electron', () => {
    const preload = join(out, 'preload', 'index.cjs');
    const code = readFileSync(preload, 'utf8');
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).not.toMatch(/\bexport\s/);
    expect(imports(preload)).toEqual(['electron']);
    expect(code).toContain('exposeInMainWorld');
  });

  it('keeps electron out of everything but the main entry, and bundles each worker entry', () => {
    const mainDir = join(out, 'main');
    expect(imports(join(mainDir, 'index.js'))).toContain('electron');
    const paths = builtAppPaths(mainDir);
    expect(Object.keys(paths.workers)).toEqual(expect.arrayContaining(['history-worker', 'live-worker']));
    const files = [
      ...readdirSync(mainDir).filter((f) => f.endsWith('.js') && f !== 'index.js').map((f) => join(mainDir, f)),
      ...Object.values(paths.workers).map((u) => fileURLToPath(u)),
    ];
    for (const f of files) expect(imports(f), f).not.toContain('electron');
    expect(paths.preloadPath).toBe(join(out, 'preload', 'index.cjs'));
    expect(paths.rendererDir).toBe(join(out, 'renderer'));
  });

  it('runs the built live and history workers under plain Node behind the real services', async () => {
    const paths = builtAppPaths(join(out, 'main'));
    const services = createServices({
      dbPath: join(dir, 'history.db'),
      scenario: 'rr-few',
      seed: 3,
      speed: 10,
      workerPaths: Object.fromEntries(Object.entries(paths.workers).map(([k, u]) => [k, fileURLToPath(u)])),
    });
    await services.boot();
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const st = await services.api.getState();
      expect(st.ok && st.value.recording.error).toBeNull();
      expect(st.ok && st.value.recording.sessionId).toBeTruthy();
    } finally {
      await services.shutdown();
    }
    const db = new Database(join(dir, 'history.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT snapshot_count, ended_at FROM sessions').get() as { snapshot_count: number; ended_at: number | null };
      expect(row.snapshot_count).toBeGreaterThan(5);
      expect(row.ended_at).not.toBeNull();
    } finally {
      db.close();
    }
  });

  it('builds the renderer the headless server serves, with the CSP meta tag', async () => {
    const html = readFileSync(join(out, 'renderer', 'index.html'), 'utf8');
    expect(html).toMatch(/http-equiv="Content-Security-Policy"/);
    expect(html).toMatch(/src="\.\/assets\/[^"]+\.js"/);
    const services = createServices({ dbPath: join(dir, 'h2.db'), scenario: null, seed: 1 });
    await services.boot();
    const server = await startConsoleServer({ backend: backendFromApi(services.api, services.exports), rendererDir: join(out, 'renderer'), port: 0 });
    try {
      const page = await fetch(server.url);
      expect(page.status).toBe(200);
      const body = await page.text();
      const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(body)![1];
      // The page and its assets are public (no cookie, no secret in them).
      expect(page.headers.get('set-cookie')).toBeNull();
      expect(body).not.toContain(server.token);
      const js = await fetch(`http://127.0.0.1:${server.port}/${asset}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
    } finally {
      await server.close();
      await services.shutdown();
    }
  });
});
