/**
 * The `iocm` command-line interface. Each subcommand lives in its own module
 * under ./commands and exports `run(argv, io): Promise<number>` (the exit
 * code). Bad arguments and bad input raise UsageError → exit code 2 with a
 * one-line message naming what was wrong.
 */
import { UsageError } from './errors.ts';
import { printable } from './format.ts';
import { suggest } from '../scenario/load.ts';

/** Where a command writes; injectable for tests. */
import type { CliIO } from './io.ts';

export type { CliIO } from './io.ts';

type CommandModule = { run(argv: string[], io: CliIO): Promise<number> };

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  simulate: { summary: 'run a scenario on the host model under a policy', load: () => import('./commands/simulate.ts') },
  sweep: { summary: 'run vhost and every static side-core count; report the oracle', load: () => import('./commands/sweep.ts') },
  evaluate: { summary: 'every scenario × every policy → report.md and SVG plots', load: () => import('./commands/evaluate.ts') },
  sessions: { summary: 'list, show, export, import or delete recorded sessions', load: () => import('./commands/sessions.ts') },
  whatif: { summary: 're-run a recorded session under another policy', load: () => import('./commands/whatif.ts') },
  serve: { summary: 'serve the console to a browser (headless mode)', load: () => import('./commands/serve.ts') },
  scenarios: { summary: 'list or validate scenarios', load: () => import('./commands/scenarios.ts') },
  calibrate: { summary: 'fit the model\'s costs to a recorded session (least squares)', load: () => import('./commands/calibrate.ts') },
  shapes: { summary: 'which published shapes hold under the model\'s costs', load: () => import('./commands/shapes.ts') },
};

function usage(): string {
  const lines = ['usage: iocm <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  // A shell of its own (src/agent/cli.ts), routed by bin/iocm.mjs: src/main never imports it.
  lines.push(`  ${'agent'.padEnd(10)} serve this host to consoles and Prometheus (the remote agent; docs/agent.md)`);
  lines.push('', "run 'iocm <command> --help' for a command's options");
  return lines.join('\n') + '\n';
}

/** Entry point; returns the process exit code. */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (name === 'agent') {
    io.stderr.write("iocm: 'agent' runs through the iocm command (bin/iocm.mjs), which starts src/agent/cli.ts\n");
    return 2;
  }
  if (!cmd) {
    // One line, as every bad input (docs/cli.md): what was wrong (control characters escaped, a long
    // argument cut), a near miss as an unknown option's is, and where the list is; not the usage.
    const shown = printable(name.length > 60 ? `${name.slice(0, 60)}…` : name);
    const hint = suggest(name, [...Object.keys(commands), 'agent']);
    io.stderr.write(`iocm: unknown command '${shown}'${hint ? ` (did you mean '${hint}'?)` : ''}; run 'iocm --help' for the list of commands\n`);
    return 2;
  }
  try {
    const mod = await cmd.load();
    return await mod.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`iocm ${name}: ${printable(err.message)}\n`);
      return 2;
    }
    // node:util parseArgs errors are argument errors too.
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`iocm ${name}: ${printable((err as Error).message)}\n`);
      return 2;
    }
    io.stderr.write(`iocm ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
