/**
 * `iocm serve`: the console in headless mode. Starts the services (embedded host model,
 * IOcm loop, history recording) and serves the built renderer plus the API over
 * WebSocket on a loopback address, behind a random token. Prints one line
 * `IOcm Console: http://127.0.0.1:PORT/#token=…` on stdout (the token in the fragment,
 * which the browser never sends) and runs until SIGINT/SIGTERM/SIGHUP (or an internal
 * error), then shuts down cleanly (session ended, history database closed). It outlives its
 * output: a reader that goes away (`| head -1`) does not stop it (src/main/cli/io.ts, optionalOutput).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { optionalOutput, untilShutdown, type CliIO } from '../io.ts';
import { UsageError } from '../errors.ts';
import { flagHelp, parseFlags, OBSERVE_FLAG, requireFolderOf, type FlagSpec } from '../args.ts';
import type { ObservabilityProfile } from '../../../shared/observe.ts';
import { defaultDbPath } from '../../history/paths.ts';
import { defaultDb } from '../history-db.ts';
import { checkSpeed } from '../../loop/live-core.ts';
import { resolvePolicyForHost } from '../../policy/registry.ts';
import { loadScenario } from '../../scenario/index.ts';
import { createServices, type Services } from '../../services/index.ts';
import { createAgentLiveHost } from '../../services/agent-host.ts';
import { backendFromApi } from '../../server/backend.ts';
import { LOOPBACK_HOSTS, startConsoleServer, type ConsoleServer } from '../../server/http-server.ts';

/** Default port of `iocm serve`. */
export const DEFAULT_PORT = 7420;
/** The built renderer (npm run build / npm run build:renderer). */
export const DEFAULT_RENDERER_DIR = resolve(import.meta.dirname, '..', '..', '..', '..', 'out', 'renderer');

const FLAGS: Record<string, FlagSpec> = {
  port: { type: 'integer', value: 'P', min: 0, max: 65535, help: `TCP port (0 = pick a free one; default ${DEFAULT_PORT})` },
  host: { type: 'string', value: 'ADDR', help: 'loopback address to listen on: 127.0.0.1 (default), localhost or ::1' },
  scenario: { type: 'string', value: 'NAME|FILE', help: "scenario of the embedded model (default: 'default')" },
  seed: { type: 'integer', value: 'S', min: 0, max: 2 ** 32 - 1, help: 'model seed (default 1)' },
  speed: { type: 'number', value: 'X', min: 0, max: 64, help: 'simulated seconds per wall second: 0.25 to 64, or 0 for as fast as possible (default 1)' },
  observe: OBSERVE_FLAG,
  policy: { type: 'string', value: 'NAME', help: "initial loop policy (default 'iocm')" },
  db: { type: 'string', value: 'FILE', help: 'history database (default: $IOCM_DB or the per-user file, see docs/history.md)' },
};

const USAGE = `usage: iocm serve [--port P] [--host 127.0.0.1] [--scenario NAME|FILE] [--seed S] [--speed X] [--policy NAME] [--observe PROFILE] [--db FILE]

Serve the console to a browser on this machine. Prints the URL to open (with its token).
Stop with Ctrl-C (SIGINT) or SIGTERM.

${flagHelp(FLAGS)}
`;

/** Options of {@link startServe}. */
export interface ServeOptions {
  port: number;
  host: string;
  scenario: string;
  seed: number;
  speed: number;
  /** What the loop's policies see of the model host (default 'qemu'). */
  observe?: ObservabilityProfile;
  policy?: string;
  dbPath: string;
  rendererDir?: string;
  /** Event flush period (tests). */
  flushMs?: number;
  /** How long a replay outlives the last page (tests; see ConsoleServerOptions). */
  replayIdleCloseMs?: number;
}

/** A running headless console. */
export interface RunningServe {
  server: ConsoleServer;
  services: Services;
  /** Close the server, then shut the services down (idempotent). */
  stop(): Promise<void>;
}

/** Boot the services and start the server (used by `run` and by tests). Bad scenario → UsageError. */
export async function startServe(o: ServeOptions): Promise<RunningServe> {
  if (!(LOOPBACK_HOSTS as readonly string[]).includes(o.host)) {
    throw new UsageError(`--host must be a loopback address (${LOOPBACK_HOSTS.join(', ')}); got '${o.host}'. The console is never served to the network.`);
  }
  if (o.policy !== undefined) {
    // Checked as `iocm simulate` checks it (a bad spec or static:K without a VM core: exit 2),
    // before the history database is opened. A scenario that does not load is the services' to report.
    let cores: number | null;
    try {
      cores = loadScenario(o.scenario).host.cores;
    } catch {
      cores = null;
    }
    if (cores !== null) resolvePolicyForHost(o.policy, cores);
  }
  // The port first: booting records a session, and a port in use would leave an empty one behind.
  // (The server's own listen below still reports a port taken in between.)
  if (o.port !== 0) await portFree(o.host, o.port);
  const services = createServices({
    dbPath: o.dbPath,
    scenario: o.scenario,
    seed: o.seed,
    speed: o.speed,
    ...(o.observe ? { observe: o.observe } : {}),
    ...(o.policy ? { policy: o.policy } : {}),
    // remote agents: the agent client over a real wall clock and timers (reconnect jitter: Math.random)
    openAgent: (a) => createAgentLiveHost(a, { clock: { now: () => Date.now(), setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) }, random: Math.random }),
  });
  try {
    await services.boot();
  } catch (e) {
    await services.shutdown().catch(() => {});
    throw new UsageError(`cannot start the model: ${(e as Error).message}`);
  }
  let server: ConsoleServer;
  try {
    server = await startConsoleServer({
      backend: backendFromApi(services.api, services.exports),
      rendererDir: o.rendererDir ?? DEFAULT_RENDERER_DIR,
      host: o.host,
      port: o.port,
      ...(o.flushMs !== undefined ? { flushMs: o.flushMs } : {}),
      ...(o.replayIdleCloseMs !== undefined ? { replayIdleCloseMs: o.replayIdleCloseMs } : {}),
    });
  } catch (e) {
    await services.shutdown().catch(() => {});
    throw listenError(e, o.port);
  }
  let stopping: Promise<void> | null = null;
  return {
    server,
    services,
    stop: () => {
      stopping ??= (async () => {
        await server.close();
        await services.shutdown();
      })();
      return stopping;
    },
  };
}

/** A listen failure in words (a port in use or not allowed: exit 2). */
function listenError(e: unknown, port: number): unknown {
  const code = (e as { code?: string }).code;
  if (code === 'EADDRINUSE') return new UsageError(`port ${port} is in use; pick another with --port, or --port 0 for a free one`);
  if (code === 'EACCES') return new UsageError(`not allowed to listen on port ${port}; use a port above 1023`);
  return e;
}

/** Resolves when `host:port` can be listened on (a trial listen, closed at once); else throws as the server's listen would. */
async function portFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e) => reject(listenError(e, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Entry point of `iocm serve`. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, help } = parseFlags(argv, FLAGS);
  if (help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const opts: ServeOptions = {
    port: (values.port as number | undefined) ?? DEFAULT_PORT,
    host: (values.host as string | undefined) ?? '127.0.0.1',
    scenario: (values.scenario as string | undefined) ?? 'default',
    seed: (values.seed as number | undefined) ?? 1,
    speed: (values.speed as number | undefined) ?? 1,
    ...(values.observe !== undefined ? { observe: values.observe as ObservabilityProfile } : {}),
    policy: values.policy as string | undefined,
    dbPath: (values.db as string | undefined) ?? defaultDbPath(),
  };
  const badSpeed = checkSpeed(opts.speed);
  if (badSpeed) throw new UsageError(`--speed: ${badSpeed}`);
  // A --db the user gave goes into a folder that exists (as simulate --record), and so does an
  // $IOCM_DB (defaultDb); the default per-user folder is created on first use.
  if (values.db !== undefined) requireFolderOf(opts.dbPath, '--db');
  else defaultDb();
  const running = await startServe(opts);
  // A server outlives its output: `iocm serve | head -1` takes the URL and closes the pipe, a
  // terminal may close. Lines to a reader that went away are dropped; serving goes on until a
  // signal, which shuts down cleanly (docs/cli.md, "iocm serve").
  const out = optionalOutput(io.stdout);
  const log = optionalOutput(io.stderr);
  // SIGHUP: the terminal went away; shut down as for Ctrl-C rather than die with the session open.
  // The signals are caught before the URL line says the server is ready.
  const done = untilShutdown(log, () => running.stop(), {
    stopping: (why) => `${why}: shutting down…`,
    stopped: 'stopped; history database closed',
    failed: (m) => `shutdown failed: ${m}`,
  });
  const rendererDir = DEFAULT_RENDERER_DIR;
  out.write(`IOcm Console: ${running.server.url}\n`);
  log.write(`serving scenario '${opts.scenario}' (seed ${opts.seed}), history in ${opts.dbPath}, pages from ${rendererDir}\n`);
  const noPages = rendererWarning(rendererDir);
  if (noPages) log.write(`warning: ${noPages}\n`);
  log.write('stop with Ctrl-C\n');
  // A signal may already be shutting it down: then there is nothing to warn about.
  const st = await running.services.api.getState().catch(() => null);
  if (st?.ok && st.value.recording.error) log.write(`warning: ${st.value.recording.error}\n`);

  return done;
}

/**
 * Why the console's pages cannot be served from `dir` (no index.html: the page would answer 503),
 * with how to build them; null when they are there. `iocm serve` prints it as a warning and serves
 * the API regardless; `npm run serve` builds the pages first.
 */
export function rendererWarning(dir: string): string | null {
  if (existsSync(join(dir, 'index.html'))) return null;
  return `the console's pages are not built (${join(dir, 'index.html')} is missing): the page answers 503 until they are. Build them with 'npm run build:renderer' (or start with 'npm run serve', which builds them first); the API (WebSocket, /healthz) works meanwhile`;
}
