/**
 * Desktop entry point (electron-vite bundles it to out/main/index.js): starts the
 * Electron shell (src/main/electron) on the services with the embedded host model
 * running the `default` scenario, recording into the user's history database (the
 * same file the `iocm sessions` CLI reads).
 *
 * Environment: IOCM_SCENARIO (scenario name or file, default 'default'), IOCM_SEED
 * (default 1), IOCM_DB (history database path; see src/main/history/paths.ts: its folder
 * must exist, else the services run with history off and say why).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDesktopApp } from './electron/app.ts';
import { builtAppPaths } from './electron/paths.ts';
import { defaultDbPath } from './history/paths.ts';
import { backendFromApi } from './server/backend.ts';
import { createServices } from './services/index.ts';
import { createAgentLiveHost } from './services/agent-host.ts';

const seed = Number.parseInt(process.env.IOCM_SEED ?? '1', 10);

startDesktopApp({
  paths: builtAppPaths(dirname(fileURLToPath(import.meta.url))),
  start: async ({ paths, sqlite }) => {
    const services = createServices({
      dbPath: defaultDbPath(),
      scenario: process.env.IOCM_SCENARIO || 'default',
      seed: Number.isFinite(seed) && seed >= 0 ? seed : 1,
      resourcesDir: join(paths.appRoot, 'resources'),
      workerPaths: Object.fromEntries(Object.entries(paths.workers).map(([name, url]) => [name, fileURLToPath(url)])),
      // The Electron-ABI better-sqlite3 build (also in env IOCM_SQLITE_NATIVE_BINDING for workers).
      ...(sqlite.ok ? { nativeBinding: sqlite.path } : {}),
      // remote agents: the agent client over a real wall clock and timers (reconnect jitter: Math.random)
      openAgent: (a) => createAgentLiveHost(a, { clock: { now: () => Date.now(), setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) }, random: Math.random }),
    });
    await services.boot();
    return { backend: backendFromApi(services.api, services.exports), shutdown: () => services.shutdown() };
  },
});
