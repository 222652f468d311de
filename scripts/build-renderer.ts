/**
 * Build only the renderer (out/renderer) with Vite, for the headless server; the
 * desktop build (`npx electron-vite build`) produces the same directory.
 *
 * Usage: node bin/run-ts.mjs scripts/build-renderer.ts [--if-stale]
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';
import { buildOnce } from './build-once.ts';
import { RENDERER_OUT_DIR, rendererViteConfig } from '../electron.vite.config.ts';

const root = resolve(import.meta.dirname, '..');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/** Why the built renderer must be rebuilt, or null when it is up to date. */
export function rendererStaleReason(): string | null {
  const index = join(RENDERER_OUT_DIR, 'index.html');
  if (!existsSync(index)) return `${index} is missing`;
  const built = statSync(index).mtimeMs;
  const inputs = ['src/renderer', 'src/shared', 'electron.vite.config.ts', 'package.json'].map((p) => join(root, p));
  for (const p of inputs) if (newestMtime(p) > built) return `${p} changed since the last build`;
  return null;
}

/** Vite's renderer build into `dir`; its output goes to stderr so stdout stays clean for the server's URL line. */
async function viteBuild(dir: string): Promise<void> {
  const log = console.log;
  console.log = (...a: unknown[]) => console.error(...a);
  try {
    await build({ ...rendererViteConfig, build: { ...rendererViteConfig.build, outDir: dir }, configFile: false, logLevel: 'warn' });
  } finally {
    console.log = log;
  }
}

const toStderr = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};

/**
 * Rebuild out/renderer if it is stale, once however many processes ask at the same moment
 * (see build-once.ts). Returns why this process built it, or null when it was up to date.
 */
export function ensureRenderer(log: (msg: string) => void = toStderr): Promise<string | null> {
  return buildOnce({ outDir: RENDERER_OUT_DIR, stale: rendererStaleReason, build: viteBuild, log });
}

/** Build out/renderer even when it is up to date (under the same lock, replaced in one rename). */
export async function buildRenderer(log: (msg: string) => void = toStderr): Promise<void> {
  await buildOnce({ outDir: RENDERER_OUT_DIR, stale: () => 'a build was asked for', build: viteBuild, log });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--if-stale')) await ensureRenderer();
  else await buildRenderer();
  process.stderr.write(`renderer up to date in ${RENDERER_OUT_DIR}\n`);
}
