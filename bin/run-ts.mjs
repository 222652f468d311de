#!/usr/bin/env node
// Runs a TypeScript entry point under plain Node with tsx's loader registered.
// Usage: node bin/run-ts.mjs path/to/file.ts [args...]
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const entry = process.argv[2];
if (!entry) {
  process.stderr.write('usage: run-ts <file.ts> [args...]\n');
  process.exit(2);
}
register();
process.argv.splice(1, 2, resolve(entry));
await import(pathToFileURL(resolve(entry)).href);
