#!/usr/bin/env node
// The `iocm` command: runs the TypeScript CLI (src/main/cli/iocm.ts) under plain Node via tsx.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

register();
const here = dirname(fileURLToPath(import.meta.url));
const { main } = await import(join(here, '..', 'src', 'main', 'cli', 'iocm.ts'));
process.exitCode = await main(process.argv.slice(2));
