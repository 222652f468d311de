#!/usr/bin/env node
// The `iocm` command: runs the TypeScript CLI (src/main/cli/iocm.ts) under plain Node via tsx.
// `iocm agent` is a shell of its own (src/agent/cli.ts): routed here so src/main never imports it.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

// A reader that stops early (`iocm … | head`) closes the pipe: the next write fails with EPIPE,
// which crashed with a stack trace and exit 1. Stopping there is what the reader asked for.
// A server (`iocm serve`, `iocm agent`) marks its streams (src/main/cli/io.ts, optionalOutput): it keeps
// serving and drops its output instead.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    // A marked stream drops any write error (EPIPE, or EIO from a terminal that closed): a server
    // shutting down after SIGHUP must not be cut short by its own "shutting down" line.
    if (stream[Symbol.for('iocm.outputOptional')]) return;
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
}

register();
const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const entry = argv[0] === 'agent' ? join(here, '..', 'src', 'agent', 'cli.ts') : join(here, '..', 'src', 'main', 'cli', 'iocm.ts');
const { main } = await import(entry);
process.exitCode = await main(argv[0] === 'agent' ? argv.slice(1) : argv);
