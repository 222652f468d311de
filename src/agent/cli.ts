/**
 * `iocm agent`: the remote agent on a host (plain Node, no Electron). bin/iocm.mjs routes the
 * `agent` command here, so src/main never imports the agent. Opens the host through a driver
 * (./drivers.ts), optionally runs the IOcm loop over it (--loop), and serves the agent protocol,
 * /metrics and /healthz on one port (./server.ts). Bad arguments → exit code 2 with a message
 * naming the argument. Runs until SIGINT/SIGTERM/SIGHUP, then closes the source (a real driver
 * restores the host as it found it) and exits 0; a second signal exits at once (130). It outlives
 * its output: a reader that goes away (`| head -1`) does not stop it (src/main/cli/io.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { flagHelp, parseFlags, type FlagSpec } from '../main/cli/args.ts';
import { optionalOutput, untilShutdown, type CliIO } from '../main/cli/io.ts';
import { printable } from '../main/cli/format.ts';
import { LiveSession } from '../main/loop/session.ts';
import type { HostSource } from '../main/host/source.ts';
import { UsageError } from '../shared/errors.ts';
import { DRIVERS, DRIVER_NAMES, type AgentClock, type DriverName } from './drivers.ts';
import { LOOPBACK, startAgentServer, type AgentServer } from './server.ts';

/** Default address of the agent. */
export const DEFAULT_LISTEN = '127.0.0.1:7878';

const FLAGS: Record<string, FlagSpec> = {
  driver: { type: 'string', value: 'NAME', choices: DRIVER_NAMES, help: `the host: ${DRIVER_NAMES.map((n) => `${n} = ${DRIVERS[n].summary}`).join('; ')}` },
  listen: { type: 'string', value: 'HOST:PORT', help: `address to listen on (default ${DEFAULT_LISTEN}; port 0 = any free one). Not loopback: needs TLS or --insecure-remote` },
  'token-file': { type: 'string', value: 'FILE', help: 'file holding the bearer token consoles present (≥ 16 characters; keep it mode 0600)' },
  'metrics-token-file': { type: 'string', value: 'FILE', help: 'a second token accepted on /metrics only (for Prometheus; it cannot control the host)' },
  'tls-cert': { type: 'string', value: 'FILE', help: 'PEM certificate: serve wss:// and https:// (with --tls-key)' },
  'tls-key': { type: 'string', value: 'FILE', help: 'PEM private key of --tls-cert' },
  'insecure-remote': { type: 'boolean', help: 'allow a non-loopback --listen without TLS (the token travels in clear; trusted networks only)' },
  scenario: { type: 'string', value: 'NAME|FILE', help: "--driver model: the scenario (default 'default')" },
  seed: { type: 'integer', value: 'S', min: 0, max: 2 ** 32 - 1, help: '--driver model: the seed (default 1)' },
  'interval-ms': { type: 'integer', value: 'MS', min: 10, max: 60_000, help: 'snapshot interval (default: model 100, qemu 500 (≥ 100), ovs 1000 (≥ 200))' },
  loop: { type: 'boolean', help: 'run the IOcm loop in the agent: the host stays managed with no console attached; consoles send it overrides' },
  policy: { type: 'string', value: 'NAME', help: "--loop: the loop's policy (default 'iocm')" },
  'dry-run': { type: 'boolean', help: 'report what would change (stderr), change nothing on the host' },
};

/** Every flag: the agent's and each driver's own. */
function allFlags(): Record<string, FlagSpec> {
  const all: Record<string, FlagSpec> = { ...FLAGS };
  for (const name of DRIVER_NAMES) {
    for (const [k, s] of Object.entries(DRIVERS[name].flags ?? {})) all[k] = { ...s, help: `--driver ${name}: ${s.help}` };
  }
  return all;
}

function usage(): string {
  // Every option is in the usage lines (test/cli-usage.test.ts): the agent's, then each driver's own.
  return `usage: iocm agent --driver ${DRIVER_NAMES.join('|')} --token-file FILE [--listen HOST:PORT] [--metrics-token-file FILE] [--tls-cert FILE --tls-key FILE] [--insecure-remote] [--interval-ms MS] [--loop] [--policy NAME] [--dry-run] [driver options]
       driver options: model: [--scenario NAME|FILE] [--seed S]; qemu: --qmp GLOB [--side-poll-ns NS] [--state-file FILE|none]; ovs: [--ovs-rundir DIR]

Serve this host to IOcm consoles (WebSocket ${'/agent'}), and Prometheus (/metrics), on one port.
Every request needs 'Authorization: Bearer <token>'. Stop with Ctrl-C or SIGTERM (the host is restored).
See docs/agent.md.

${flagHelp(allFlags())}
`;
}

/** Parse HOST:PORT ([v6]:PORT too). */
export function parseListen(raw: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(raw);
  if (!m) throw new UsageError(`--listen expected HOST:PORT (e.g. ${DEFAULT_LISTEN} or [::1]:7878), got '${raw}'`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`--listen: port must be 0 to 65535, got ${port}`);
  return { host: m[1] ?? m[2], port };
}

function readSecret(flag: string, path: string, log: (l: string) => void): string {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`--${flag}: '${path}' is not a file`);
    if (st.size > 4096) throw new UsageError(`--${flag}: '${path}' is ${st.size} bytes; a token file holds one token (at most 4096 bytes)`);
    if ((st.mode & 0o077) !== 0) log(`warning: --${flag} '${path}' is readable by group or others (chmod 600 it)`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--${flag}: cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const token = text.trim();
  if (token.length < 16) throw new UsageError(`--${flag}: the token in '${path}' is ${token.length} characters; use at least 16 (e.g. openssl rand -hex 32)`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw new UsageError(`--${flag}: the token in '${path}' must be printable ASCII without spaces`);
  return token;
}

function readPem(flag: string, path: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    if (!text.includes('-----BEGIN ')) throw new UsageError(`--${flag}: '${path}' is not a PEM file`);
    return text;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--${flag}: cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The agent's version (package.json). */
export function agentVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? `iocm-agent ${pkg.version}` : 'iocm-agent';
  } catch {
    return 'iocm-agent';
  }
}

/** The real clock and timers (the shell's; drivers and the server get them injected). */
export const realClock: AgentClock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A started agent (tests use {@link startAgent}; the CLI waits for a signal). */
export interface RunningAgent {
  server: AgentServer;
  source: HostSource;
  loop: LiveSession | null;
  /** Close the server, then the loop and the source (restoring the host). Idempotent. */
  stop(): Promise<void>;
}

/** Parse the arguments, open the driver and start serving. Bad arguments → UsageError. */
export async function startAgent(argv: string[], io: CliIO, clock: AgentClock = realClock): Promise<RunningAgent | 'help'> {
  const spec = allFlags();
  const { values, help } = parseFlags(argv, spec);
  if (help) return 'help';
  // The agent outlives its output (src/main/cli/io.ts, optionalOutput): a reader that went away
  // (`iocm agent … 2>&1 | head -1`, a closed terminal) does not stop it; its lines are dropped.
  const err = optionalOutput(io.stderr);
  const log = (line: string): void => err.write(`iocm agent: ${printable(line)}\n`);
  const driver = values.driver as DriverName | undefined;
  if (!driver) throw new UsageError(`--driver is required: one of ${DRIVER_NAMES.join(', ')}`);
  const tokenFile = values['token-file'] as string | undefined;
  if (!tokenFile) throw new UsageError('--token-file is required: a file holding the bearer token consoles present');
  const { host, port } = parseListen((values.listen as string | undefined) ?? DEFAULT_LISTEN);
  const certFile = values['tls-cert'] as string | undefined;
  const keyFile = values['tls-key'] as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError(certFile ? '--tls-cert needs --tls-key' : '--tls-key needs --tls-cert');
  const insecure = values['insecure-remote'] === true;
  if (!LOOPBACK.includes(host) && !certFile && !insecure) {
    throw new UsageError(`--listen ${host}: a non-loopback address needs TLS (--tls-cert and --tls-key), or --insecure-remote to send the token in clear`);
  }
  const loopOn = values.loop === true;
  const policy = values.policy as string | undefined;
  if (policy !== undefined && !loopOn) throw new UsageError('--policy needs --loop (without it the console runs the loop and picks the policy)');
  if (driver !== 'model' && (values.scenario !== undefined || values.seed !== undefined)) throw new UsageError(`--scenario and --seed are for --driver model, not --driver ${driver}`);
  const token = readSecret('token-file', tokenFile, log);
  const metricsFile = values['metrics-token-file'] as string | undefined;
  const metricsToken = metricsFile ? readSecret('metrics-token-file', metricsFile, log) : undefined;
  const tls = certFile && keyFile ? { cert: readPem('tls-cert', certFile), key: readPem('tls-key', keyFile) } : undefined;
  const dryRun = values['dry-run'] === true;

  const driverFlags: Record<string, string | number | boolean | undefined> = {};
  for (const k of Object.keys(DRIVERS[driver].flags ?? {})) driverFlags[k] = values[k];
  for (const other of DRIVER_NAMES) {
    if (other === driver) continue;
    for (const k of Object.keys(DRIVERS[other].flags ?? {})) {
      if (values[k] !== undefined && !(k in driverFlags)) throw new UsageError(`--${k} is an option of --driver ${other}, not --driver ${driver}`);
    }
  }
  const source = await DRIVERS[driver].create({
    clock,
    dryRun,
    log,
    flags: driverFlags,
    ...(values.scenario !== undefined ? { scenario: values.scenario as string } : {}),
    ...(values.seed !== undefined ? { seed: values.seed as number } : {}),
    ...(values['interval-ms'] !== undefined ? { intervalMs: values['interval-ms'] as number } : {}),
  });
  let loop: LiveSession | null = null;
  try {
    if (loopOn) {
      try {
        loop = new LiveSession(source, { policy: policy ?? 'iocm' });
      } catch (e) {
        throw new UsageError(`--policy: ${(e as Error).message}`);
      }
    }
    const server = await startAgentServer({ source, driver, version: agentVersion(), token, ...(metricsToken ? { metricsToken } : {}), host, port, ...(tls ? { tls } : {}), allowInsecureRemote: insecure, ...(loop ? { loop } : {}), dryRun, clock, log });
    let stopping: Promise<void> | null = null;
    return {
      server,
      source,
      loop,
      stop: () => {
        stopping ??= (async () => {
          await server.close();
          if (loop) await loop.close();
          else await source.close();
        })();
        return stopping;
      },
    };
  } catch (e) {
    // The loop (when made) holds a subscription on the source; closing it closes the source too.
    await (loop ? loop.close() : source.close()).catch(() => {});
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--listen: port ${port} is in use; pick another (port 0 = any free one)`);
    if (code === 'EACCES') throw new UsageError(`--listen: not allowed to listen on port ${port}; use a port above 1023`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--listen: no such address on this host: '${host}'`);
    if (/PEM|key|certificate/i.test((e as Error).message)) throw new UsageError(`--tls-cert/--tls-key: ${(e as Error).message}`);
    throw e;
  }
}

/** Entry point of `iocm agent`: runs until SIGINT/SIGTERM/SIGHUP; returns the exit code. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const a = await startAgent(argv, io);
  if (a === 'help') {
    io.stdout.write(usage());
    return 0;
  }
  const d = a.loop ? `its own loop (policy ${a.loop.status().policy})` : 'the loop in the console';
  // SIGHUP (a closed terminal) too: the host is restored rather than left as the loop set it. The
  // signals are caught before the line that says the agent is ready.
  const done = untilShutdown(optionalOutput(io.stderr), () => a.stop(), {
    prefix: 'iocm agent: ',
    stopping: (why) => `${why}: closing the host and exiting`,
    stopped: 'host closed',
    failed: (m) => `closing failed: ${m}`,
  });
  optionalOutput(io.stdout).write(`iocm agent: listening on ${a.server.url} (host '${a.source.info().name}', ${d}; metrics at /metrics)\n`);
  return done;
}

/** `iocm agent` as a command of its own (bin/iocm.mjs): exit 2 on bad arguments. */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    return await run(argv, io);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`iocm agent: ${printable((e as Error).message)}\n`);
      return 2;
    }
    io.stderr.write(`iocm agent: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
