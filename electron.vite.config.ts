/**
 * electron-vite build of the desktop app (`npx electron-vite build` → out/).
 *
 * - main (out/main, ESM): the Electron shell src/main/index.ts plus every worker-thread entry
 *   under src/main (files named `*-worker.ts` or `worker.ts`, except the spawning helper
 *   src/main/util/worker.ts). Each worker is bundled as its own entry at
 *   out/main/workers/<basename>.js, e.g. src/main/loop/live-worker.ts → out/main/workers/live-worker.js,
 *   so the shell can hand the built paths to the services (see src/main/electron/paths.ts), and any
 *   main-process module can find one as `new URL('./workers/<name>.js', import.meta.url)` (shared
 *   chunks are emitted next to index.js, so import.meta.url's directory is always out/main).
 *   Dependencies (better-sqlite3 and other native modules, ws, zod…) stay external: they are
 *   loaded from node_modules at run time.
 * - preload (out/preload/index.cjs): CommonJS, everything bundled except electron (a sandboxed
 *   preload can require nothing else).
 * - renderer (out/renderer): the Vue app rooted at src/renderer/index.html. The headless server
 *   serves the same directory (src/main/server).
 */
import { defineConfig } from 'electron-vite';
import type { UserConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';

const root = import.meta.dirname;

/** Worker-thread entry files under src/main, as { 'workers/<name>': absolute path }. */
export function workerEntries(dir = join(root, 'src', 'main')): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        walk(p);
        continue;
      }
      if (name.endsWith('.test.ts') || name.endsWith('.d.ts')) continue;
      if (!/(^|-)worker\.ts$/.test(name)) continue;
      if (relative(root, p).split('\\').join('/') === 'src/main/util/worker.ts') continue;
      const key = `workers/${basename(name, '.ts')}`;
      if (entries[key]) throw new Error(`two worker entries named ${basename(name)}: ${entries[key]} and ${p}`);
      entries[key] = p;
    }
  };
  walk(dir);
  return entries;
}

/** Directory of the built renderer; the headless server serves it too. */
export const RENDERER_OUT_DIR = resolve(root, 'out/renderer');

/**
 * The renderer's Vite config, shared by electron-vite and scripts/build-renderer.ts (which
 * builds only the renderer for the headless server, without the Electron parts).
 */
export const rendererViteConfig: UserConfig = {
  root: resolve(root, 'src/renderer'),
  base: './',
  plugins: [vue()],
  build: {
    outDir: RENDERER_OUT_DIR,
    // electron-vite does not minify by default; the headless server serves this same build.
    minify: true,
    emptyOutDir: true,
    // ECharts (tree-shaken) is the largest chunk, ~0.5 MB before gzip.
    chunkSizeWarningLimit: 700,
    rolldownOptions: {
      input: { index: resolve(root, 'src/renderer/index.html') },
      // Vendor (vue, pinia) and charts (echarts, zrender, vue-echarts) in chunks of their own, so
      // they stay cached across app changes; views other than the first screen are dynamic
      // imports in App.vue and get chunks of their own (loaded on first visit).
      output: {
        codeSplitting: {
          groups: [
            { name: 'charts', test: /node_modules[\\/](echarts|zrender|vue-echarts)[\\/]/, priority: 1 },
            { name: 'vendor', test: /node_modules[\\/](vue|@vue|pinia|@vueuse|vue-demi)[\\/]/, priority: 2 },
          ],
        },
      },
    },
  },
};

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rolldownOptions: {
        input: { index: resolve(root, 'src/main/index.ts'), ...workerEntries() },
        // Shared chunks sit next to index.js (not in a subfolder), so `new URL('./workers/<name>.js',
        // import.meta.url)` resolves to the worker bundle from any main-process module.
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: rendererViteConfig,
});
