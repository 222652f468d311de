import { describe, it, expect } from 'vitest';
import { parseFlags, flagHelp, listFlag, type FlagSpec } from './args.ts';
import { UsageError } from './errors.ts';

const SPEC: Record<string, FlagSpec> = {
  name: { type: 'string', value: 'NAME', help: 'a name' },
  seconds: { type: 'number', value: 'N', above: 0, help: 'seconds' },
  seed: { type: 'integer', min: 0, max: 10, help: 'seed' },
  json: { type: 'boolean', help: 'json' },
};

function err(argv: string[], positionals = 0): string {
  try {
    parseFlags(argv, SPEC, positionals);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('parseFlags', () => {
  it('parses --flag value, --flag=value, switches and positionals', () => {
    const r = parseFlags(['--name', 'x', '--seconds=2.5', '--seed', '3', '--json', 'pos'], SPEC, 1);
    expect(r.values).toEqual({ name: 'x', seconds: 2.5, seed: 3, json: true });
    expect(r.positionals).toEqual(['pos']);
    expect(r.help).toBe(false);
    expect(parseFlags(['-h'], SPEC).help).toBe(true);
    expect(parseFlags(['--json=false'], SPEC).values.json).toBe(false);
    expect(parseFlags(['--', '--json'], SPEC, 1).positionals).toEqual(['--json']);
  });

  it('explains every kind of bad input', () => {
    expect(err(['--nmae', 'x'])).toBe("unknown option '--nmae' (did you mean '--name'?); expected one of --name, --seconds, --seed, --json");
    expect(err(['--zzzzzz'])).toMatch(/^unknown option '--zzzzzz'; expected one of/);
    expect(err(['--name'])).toBe("option '--name' needs a value (NAME)");
    expect(err(['--name', '--json'])).toBe("option '--name' needs a value (NAME)");
    expect(err(['--name='])).toBe("option '--name' needs a non-empty value");
    expect(err(['--seconds', 'abc'])).toBe("option '--seconds' expected a number > 0, got 'abc'");
    expect(err(['--seconds', ''])).toBe("option '--seconds' expected a number > 0, got ''");
    expect(err(['--seconds', '-1'])).toBe("option '--seconds' expected a number > 0, got '-1'");
    expect(err(['--seconds', 'Infinity'])).toBe("option '--seconds' expected a number > 0, got 'Infinity'");
    // the range is said whatever is wrong (review 6: '--seed 1e400' said "expected an integer" alone)
    expect(err(['--seed', '2.5'])).toBe("option '--seed' expected an integer ≥ 0 and ≤ 10, got '2.5'");
    // well formed, but past what a double holds: said so, not "expected a number"
    expect(err(['--seconds', '1e400'])).toBe("option '--seconds' expected a number > 0, got '1e400': out of range (not a finite number)");
    expect(err(['--seconds', '-1e400'])).toBe("option '--seconds' expected a number > 0, got '-1e400': out of range (not a finite number)");
    // a long value is quoted by its start and length, not whole
    expect(err(['--seconds', 'x'.repeat(5000)])).toBe(`option '--seconds' expected a number > 0, got '${'x'.repeat(40)}… (5000 characters)'`);
    expect(err(['--seed', '99999999999999999999'])).toBe("option '--seed' expected an integer ≥ 0 and ≤ 10, got '99999999999999999999': out of range (integers up to ±9007199254740991)");
    // decimal notation only (Number() reads these as 16, 3, 1000)
    expect(err(['--seconds', '0x10'])).toBe("option '--seconds' expected a number > 0, got '0x10'");
    expect(err(['--seconds', '0b11'])).toBe("option '--seconds' expected a number > 0, got '0b11'");
    expect(err(['--seed', '1e3'])).toBe("option '--seed' expected an integer ≥ 0 and ≤ 10, got '1e3'");
    expect(err(['--seed', '0x10'])).toBe("option '--seed' expected an integer ≥ 0 and ≤ 10, got '0x10'");
    expect(err(['--seed', '11'])).toBe("option '--seed' expected an integer ≥ 0 and ≤ 10, got '11'");
    expect(err(['--seed', '1', '--seed', '2'])).toBe("option '--seed' given more than once");
    expect(err(['--json=yes'])).toBe("option '--json' is a switch: expected no value (or =true/=false), got 'yes'");
    expect(err(['extra'])).toBe("unexpected argument 'extra'");
  });

  it('help lists every flag with its value name', () => {
    const h = flagHelp(SPEC);
    expect(h).toContain('--name NAME');
    expect(h).toContain('--seed VALUE');
    expect(h.split('\n')).toHaveLength(4);
  });
});

describe('listFlag', () => {
  it('trims items, drops empty ones and falls back to the default when the flag is absent', () => {
    expect(listFlag(' iocm , static:2,,', 'policies')).toEqual(['iocm', 'static:2']);
    expect(listFlag(undefined, 'policies', ['vhost'])).toEqual(['vhost']);
    expect(listFlag(undefined, 'only')).toBeUndefined();
  });
  it('refuses an item given twice and a list with no item, naming the flag', () => {
    expect(() => listFlag('iocm,static:1,iocm', 'policies')).toThrow(UsageError);
    expect(() => listFlag('iocm,static:1,iocm', 'policies')).toThrow("--policies: 'iocm' is given twice");
    expect(() => listFlag(' , ', 'only')).toThrow('--only: the list is empty');
  });
});
