/**
 * Every command's `--help`: its usage lines name every option its list below describes (review 8
 * item 14: `evaluate` omitted --progress, `agent` six of its options, so the usage line read as the
 * whole command when it was not).
 */
import { describe, it, expect } from 'vitest';
import { iocm } from './cli-helpers.ts';

const COMMANDS = [
  ['simulate'], ['sweep'], ['evaluate'], ['whatif'], ['serve'], ['scenarios'], ['calibrate'], ['shapes'], ['agent'],
  ['sessions', 'list'], ['sessions', 'show'], ['sessions', 'export'], ['sessions', 'import'], ['sessions', 'delete'],
];

describe('iocm <command> --help', () => {
  it('lists every option in its usage lines', async () => {
    const runs = await Promise.all(COMMANDS.map((c) => iocm([...c, '--help'])));
    runs.forEach((r, i) => {
      const name = COMMANDS[i].join(' ');
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      // The usage lines: the first paragraph ("usage: …" and its continuation lines).
      const usage = r.stdout.split('\n\n')[0];
      expect(usage, name).toMatch(/^usage: iocm /);
      const options = [...r.stdout.matchAll(/^ {2}(--[a-z0-9-]+)\b/gm)].map((m) => m[1]);
      expect(options.length, name).toBeGreaterThan(0);
      const missing = options.filter((o) => !new RegExp(`${o}(?![a-z0-9-])`).test(usage));
      expect(missing, `${name}: options described below but not in the usage line`).toEqual([]);
    });
  }, 60_000);
});
