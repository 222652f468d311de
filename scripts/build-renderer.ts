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

/** Build the renderer; Vite's output goes to stderr so stdout stays clean for the server's URL line. */
export async function buildRenderer(): Promise<void> {
  const log = console.log;
  console.log = (...a: unknown[]) => console.error(...a);
  try {
    await build({ ...rendererViteConfig, configFile: false, logLevel: 'warn' });
  } finally {
    console.log = log;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ifStale = process.argv.includes('--if-stale');
  const reason = rendererStaleReason();
  if (!ifStale || reason) {
    process.stderr.write(`building the renderer${reason ? ` (${reason})` : ''}…\n`);
    await buildRenderer();
    process.stderr.write(`renderer built in ${RENDERER_OUT_DIR}\n`);
  }
}
