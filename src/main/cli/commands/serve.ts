/**
 * `iocm serve`: the console in headless mode. Starts the services (embedded host model,
 * IOcm loop, history recording) and serves the built renderer plus the API over
 * WebSocket on a loopback address, behind a random token. Prints one line
 * `IOcm Console: http://127.0.0.1:PORT/#token=…` on stdout (the token in the fragment,
 * which the browser never sends) and runs until SIGINT/SIGTERM,
 * then shuts down cleanly (history database closed).
 */
import { resolve } from 'node:path';
import type { CliIO } from '../io.ts';
import { UsageError } from '../errors.ts';
import { flagHelp, parseFlags, OBSERVE_FLAG, type FlagSpec } from '../args.ts';
import type { ObservabilityProfile } from '../../../shared/observe.ts';
import { defaultDbPath } from '../../history/paths.ts';
import { checkSpeed } from '../../loop/live-core.ts';
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
    });
  } catch (e) {
    await services.shutdown().catch(() => {});
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${o.port} is in use; pick another with --port, or --port 0 for a free one`);
    if (code === 'EACCES') throw new UsageError(`not allowed to listen on port ${o.port}; use a port above 1023`);
    throw e;
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
  const running = await startServe(opts);
  const rendererDir = DEFAULT_RENDERER_DIR;
  io.stdout.write(`IOcm Console: ${running.server.url}\n`);
  io.stderr.write(`serving scenario '${opts.scenario}' (seed ${opts.seed}), history in ${opts.dbPath}, pages from ${rendererDir}\n`);
  io.stderr.write('stop with Ctrl-C\n');
  const st = await running.services.api.getState();
  if (st.ok && st.value.recording.error) io.stderr.write(`warning: ${st.value.recording.error}\n`);

  return new Promise<number>((resolveExit) => {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalled) {
        io.stderr.write(`second ${sig}: exiting without a clean shutdown\n`);
        process.exit(130);
      }
      signalled = true;
      io.stderr.write(`${sig}: shutting down…\n`);
      running
        .stop()
        .then(() => {
          io.stderr.write('stopped; history database closed\n');
          resolveExit(0);
        })
        .catch((e: unknown) => {
          io.stderr.write(`shutdown failed: ${(e as Error).message}\n`);
          resolveExit(1);
        })
        .finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
