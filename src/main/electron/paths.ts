/**
 * Where the built app's parts are at run time (electron-vite output under out/):
 * the renderer (out/renderer), the sandboxed preload (out/preload/index.cjs), and
 * the worker-thread bundles (out/main/workers/<name>.js, one per `*-worker.ts` under
 * src/main; see electron.vite.config.ts). The services take these worker URLs
 * instead of their .ts sources, which do not exist in a build.
 *
 * No electron import: everything derives from the main bundle's directory.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Paths of a build. */
export interface AppPaths {
  /** out/main */
  mainDir: string;
  /** Project root (parent of out/). */
  appRoot: string;
  /** out/renderer (index.html and assets). */
  rendererDir: string;
  /** out/preload/index.cjs */
  preloadPath: string;
  /** Built worker bundles by base name, e.g. { 'live-worker': file:///…/out/main/workers/live-worker.js }. */
  workers: Record<string, URL>;
}

/** Resolve the build's paths from the directory of out/main/index.js. */
export function builtAppPaths(mainDir: string): AppPaths {
  const outDir = resolve(mainDir, '..');
  const workersDir = join(mainDir, 'workers');
  const workers: Record<string, URL> = {};
  if (existsSync(workersDir)) {
    for (const f of readdirSync(workersDir)) {
      if (f.endsWith('.js')) workers[f.slice(0, -3)] = pathToFileURL(join(workersDir, f));
    }
  }
  return {
    mainDir,
    appRoot: resolve(outDir, '..'),
    rendererDir: join(outDir, 'renderer'),
    preloadPath: join(outDir, 'preload', 'index.cjs'),
    workers,
  };
}
