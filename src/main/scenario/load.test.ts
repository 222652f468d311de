import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario, loadScenario, listScenarios, scenariosDir, validateScenario, ScenarioError, isScenarioPath } from './load.ts';
import { UsageError } from '../../shared/errors.ts';
import { locateJsonError } from './json-locate.ts';

/** A small valid scenario, as an object to mutate per test. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixture mutated freely
function base(): Record<string, any> {
  return {
    name: 'tiny',
    description: 'two groups',
    host: { cores: 4, ghz: 2.4, costs: { exitDirectCycles: 2000, exitlessInterrupts: true } },
    vms: [
      { name: 'web', count: 2, vcpus: 1, devices: [{ kind: 'net', queues: 2 }], workload: { kind: 'web', flows: 4 } },
      { name: 'crunch', count: 1, vcpus: 2, devices: [], workload: { kind: 'cpu' }, weight: 0.5 },
    ],
    phases: [
      { name: 'busy', seconds: 2, load: { web: 1.5 } },
      { name: 'quiet', seconds: 1.5, load: { web: 0, crunch: 1 } },
    ],
  };
}

function errorOf(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

const parse = (obj: unknown, label = 'x.json') => parseScenario(JSON.stringify(obj, null, 2), label);

describe('parseScenario: valid input', () => {
  it('accepts a full scenario and keeps its fields', () => {
    const s = parse(base());
    expect(s.name).toBe('tiny');
    expect(s.vms.map((g) => g.name)).toEqual(['web', 'crunch']);
    expect(s.phases[1].load).toEqual({ web: 0, crunch: 1 });
    expect(s.host.costs).toEqual({ exitDirectCycles: 2000, exitlessInterrupts: true });
  });

  it('defaults the name to the file base name', () => {
    const b = base();
    delete b.name;
    expect(parse(b, 'some/dir/my-host.json').name).toBe('my-host');
  });

  it('accepts a bare workload kind, empty devices for cpu VMs, $schema and a BOM', () => {
    const b = base();
    b.$schema = './scenario.schema.json';
    b.vms[0].workload = { kind: 'net-rr' };
    expect(parseScenario('\uFEFF' + JSON.stringify(b), 'bom.json').vms[0].workload).toEqual({ kind: 'net-rr' });
  });

  it('ScenarioError is a UsageError (so the CLI exits with 2)', () => {
    const e = errorOf(() => parseScenario('{', 'x.json'));
    expect(e).toBeInstanceOf(UsageError);
  });
});

describe('parseScenario: schema errors name file, JSON path and expectation', () => {
  it('bad enum value, with a suggestion', () => {
    const b = base();
    b.vms[1].workload.kind = 'nett-rr';
    const e = errorOf(() => parse(b, 'bad.json'));
    expect(e.file).toBe('bad.json');
    expect(e.path).toBe('/vms/1/workload/kind');
    expect(e.message).toBe(
      'bad.json: /vms/1/workload/kind: expected one of net-stream, net-rr, kv, web, blk, cpu, got "nett-rr" (did you mean "net-rr"?)',
    );
  });

  it('unknown property (typo) is caught with a suggestion', () => {
    const b = base();
    b.vms[0].cout = 3;
    const e = errorOf(() => parse(b));
    expect(e.path).toBe('/vms/0/cout');
    expect(e.expected).toContain('unknown property "cout" (did you mean "count"?)');
  });

  it('wrong type', () => {
    const b = base();
    b.host.cores = '16';
    const e = errorOf(() => parse(b));
    expect(e.path).toBe('/host/cores');
    expect(e.expected).toBe('expected an integer, got "16"');
  });

  it('out of range values', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixture mutated freely
    const cases: [(b: any) => void, string, string][] = [
      [(b) => (b.host.cores = 1), '/host/cores', 'expected a number ≥ 2, got 1'],
      [(b) => (b.host.ghz = 0), '/host/ghz', 'expected a number > 0, got 0'],
      [(b) => (b.vms[0].count = 0), '/vms/0/count', 'expected a number ≥ 1, got 0'],
      [(b) => (b.vms[0].devices[0].queues = 0), '/vms/0/devices/0/queues', 'expected a number ≥ 1, got 0'],
      [(b) => (b.vms[0].weight = 0), '/vms/0/weight', 'expected a number > 0, got 0'],
      [(b) => (b.vms[0].workload.readFraction = 1.5), '/vms/0/workload/readFraction', 'expected a number ≤ 1, got 1.5'],
      [(b) => (b.phases[0].seconds = -1), '/phases/0/seconds', 'expected a number > 0, got -1'],
      [(b) => (b.phases[1].load.web = -0.5), '/phases/1/load/web', 'expected a number ≥ 0, got -0.5'],
      [(b) => (b.vms[0].vcpus = 1.5), '/vms/0/vcpus', 'expected an integer, got 1.5'],
    ];
    for (const [mutate, path, expected] of cases) {
      const b = base();
      mutate(b);
      const e = errorOf(() => parse(b));
      expect({ path: e.path, expected: e.expected }).toEqual({ path, expected });
    }
  });

  it('missing required properties and empty arrays', () => {
    const b = base();
    delete b.vms[0].vcpus;
    let e = errorOf(() => parse(b));
    expect(e.path).toBe('/vms/0');
    expect(e.expected).toBe('missing required property "vcpus"');
    const c = base();
    c.vms = [];
    e = errorOf(() => parse(c));
    expect(e.path).toBe('/vms');
    expect(e.expected).toBe('expected at least 1 item, got 0');
    const d = base();
    d.phases = [];
    expect(errorOf(() => parse(d)).path).toBe('/phases');
  });

  it('reports every problem in issues and counts them in the message', () => {
    const b = base();
    b.host.cores = 1;
    b.vms[0].vcpus = 0;
    const e = errorOf(() => parse(b));
    expect(e.issues.map((i) => i.path)).toEqual(['/host/cores', '/vms/0/vcpus']);
    expect(e.message).toMatch(/\(and 1 more problem\)$/);
  });

  it('a non-object document', () => {
    const e = errorOf(() => parseScenario('[1, 2]', 'arr.json'));
    expect(e.path).toBe('');
    expect(e.message).toBe('arr.json: /: expected an object, got an array');
  });
});

describe('validateScenario on any JSON value', () => {
  /** Every place in a value, as a path of keys, with the value itself ([] = the whole). */
  function places(v: unknown, at: (string | number)[] = []): (string | number)[][] {
    const out = [at];
    if (v !== null && typeof v === 'object') for (const [k, c] of Object.entries(v)) out.push(...places(c, [...at, Array.isArray(v) ? Number(k) : k]));
    return out;
  }

  it('reports problems (schema and cross-field together) and never crashes, whatever part has the wrong type', () => {
    // The cross-field rules now run on schema-invalid documents: replace each part of a valid
    // scenario by each JSON type in turn, and every result is a scenario or a ScenarioError.
    const junk: unknown[] = [null, 0, -1, 'x', true, [], {}, [null], { kind: 'net' }];
    let refused = 0;
    for (const at of places(base())) {
      for (const j of junk) {
        const doc = base();
        if (at.length === 0) {
          expect(() => validateScenario(structuredClone(j), 'junk.json'), JSON.stringify(j)).toThrow(ScenarioError);
          refused++;
          continue;
        }
        let parent = doc;
        for (const k of at.slice(0, -1)) parent = parent[k];
        parent[at[at.length - 1]] = structuredClone(j);
        try {
          validateScenario(doc, 'junk.json');
        } catch (e) {
          expect(e, `${at.join('.')} = ${JSON.stringify(j)}: ${(e as Error).message}`).toBeInstanceOf(ScenarioError);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(200);
  });
});

describe('parseScenario: cross-field rules', () => {
  it('duplicate group names', () => {
    const b = base();
    b.vms[1].name = 'web';
    b.vms[1].devices = [{ kind: 'net' }];
    const e = errorOf(() => parse(b));
    expect(e.path).toBe('/vms/1/name');
    expect(e.expected).toContain('duplicate group name "web"');
  });

  it('phase load naming an unknown group', () => {
    const b = base();
    b.phases[1].load = { wbe: 1 };
    const e = errorOf(() => parse(b));
    expect(e.path).toBe('/phases/1/load/wbe');
    expect(e.expected).toBe('unknown group "wbe" (did you mean "web"?); expected one of web, crunch');
  });

  it('I/O workloads need a device of the right kind', () => {
    const b = base();
    b.vms[0].devices = [];
    let e = errorOf(() => parse(b));
    expect(e.path).toBe('/vms/0/devices');
    expect(e.expected).toBe('workload "web" needs at least one "net" device; got no devices');
    const c = base();
    c.vms[0].workload = { kind: 'blk' };
    e = errorOf(() => parse(c));
    expect(e.expected).toBe('workload "blk" needs at least one "blk" device; got devices of kind net');
    const d = base();
    d.vms[0].devices = [{ kind: 'blk' }];
    d.vms[0].workload = { kind: 'blk', depth: 32, readFraction: 1 };
    expect(parse(d).vms[0].workload.depth).toBe(32);
  });

  it('validateScenario works on parsed values', () => {
    expect(validateScenario(base(), 'mem').name).toBe('tiny');
    expect(() => validateScenario({ host: {} }, 'mem')).toThrow(ScenarioError);
  });
});

describe('parseScenario: JSON syntax errors carry line and column', () => {
  it('unexpected token (V8 gives no position here)', () => {
    const e = errorOf(() => parseScenario('{\n  "host": x\n}', 'syn.json'));
    expect([e.line, e.column]).toEqual([2, 11]);
    expect(e.message).toBe(
      "syn.json:2:11: invalid JSON: expected a value (object, array, string, number, true, false or null), found 'x'",
    );
  });

  it('trailing comma, missing comma, comment, truncated', () => {
    expect(errorOf(() => parseScenario('{"a": 1,\n}', 't.json')).message).toBe(
      "t.json:2:1: invalid JSON: expected a property after ',' (trailing commas are not allowed), found '}'",
    );
    expect(errorOf(() => parseScenario('{"a": 1\n "b": 2}', 't.json')).message).toBe(
      "t.json:2:2: invalid JSON: expected ',' or '}' after a property value, found '\"'",
    );
    expect(errorOf(() => parseScenario('// hi\n{}', 't.json')).message).toContain('t.json:1:1: invalid JSON');
    expect(errorOf(() => parseScenario('// hi\n{}', 't.json')).message).toContain('(JSON has no comments)');
    const e = errorOf(() => parseScenario('{"a": [1, 2', 't.json'));
    expect([e.line, e.column]).toEqual([1, 12]);
    expect(e.expected).toContain('found end of input');
  });

  it('the locator agrees with JSON.parse on valid input', () => {
    for (const t of ['{}', '[]', '"x\\u00e9\\n"', '-1.5e3', '{"a":[true,false,null,{"b":"c"}]}', ' 0 ']) {
      expect(() => JSON.parse(t)).not.toThrow();
      expect(locateJsonError(t)).toBeNull();
    }
    for (const t of ['01', '{"a":1}}', "{'a':1}", '"\t"', '[1,]', 'tru', '1.', '{"a" 1}']) {
      expect(() => JSON.parse(t)).toThrow();
      expect(locateJsonError(t)).not.toBeNull();
    }
  });
});

describe('loadScenario: names, paths and file errors', () => {
  let dir: string;
  const saved = process.env.IOCM_RESOURCES;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'iocm-scn-'));
    mkdirSync(join(dir, 'scenarios'));
    writeFileSync(join(dir, 'scenarios', 'tiny.json'), JSON.stringify(base()));
    const other = base();
    delete other.name;
    other.description = 'the other one';
    writeFileSync(join(dir, 'scenarios', 'other.json'), JSON.stringify(other));
    writeFileSync(join(dir, 'scenarios', 'broken.json'), '{ "host": ');
    writeFileSync(join(dir, 'scenarios', 'scenario.schema.json'), '{}');
    mkdirSync(join(dir, 'adir.json'));
    process.env.IOCM_RESOURCES = dir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.IOCM_RESOURCES;
    else process.env.IOCM_RESOURCES = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('IOCM_RESOURCES overrides the scenarios dir', () => {
    expect(scenariosDir()).toBe(join(dir, 'scenarios'));
  });

  it('resolves a name in the scenarios dir; a path is read as is', () => {
    expect(loadScenario('tiny').description).toBe('two groups');
    expect(loadScenario('other').name).toBe('other');
    expect(loadScenario(join(dir, 'scenarios', 'other.json')).description).toBe('the other one');
    expect(isScenarioPath('default')).toBe(false);
    expect(isScenarioPath('./x.json')).toBe(true);
    expect(isScenarioPath('x.json')).toBe(true);
  });

  it('unknown name lists the known ones and suggests', () => {
    const e = errorOf(() => loadScenario('tinny'));
    expect(e.message).toBe(
      'tinny: unknown scenario (did you mean "tiny"?); expected one of broken, other, tiny, or a path to a .json file',
    );
  });

  it('missing file, directory, unreadable file', () => {
    const missing = join(dir, 'nope.json');
    expect(errorOf(() => loadScenario(missing)).message).toBe(`${missing}: cannot read scenario file: no such file`);
    expect(errorOf(() => loadScenario(join(dir, 'adir.json'))).message).toContain('is a directory');
    if (process.getuid && process.getuid() !== 0) {
      const locked = join(dir, 'locked.json');
      writeFileSync(locked, '{}');
      chmodSync(locked, 0);
      expect(errorOf(() => loadScenario(locked)).message).toContain('permission denied');
    }
  });

  it('invalid JSON in a file names the file with line and column', () => {
    const e = errorOf(() => loadScenario('broken'));
    expect(e.file).toMatch(/broken\.json$/);
    expect([e.line, e.column]).toEqual([1, 11]);
  });

  it('listScenarios: names, descriptions, lengths; invalid files carry the error; the schema is not listed', () => {
    const list = listScenarios();
    expect(list.map((s) => s.name)).toEqual(['broken', 'other', 'tiny']);
    expect(list[1]).toMatchObject({ name: 'other', description: 'the other one', seconds: 3.5, cores: 4, vms: 3 });
    expect(list[0].error).toMatch(/invalid JSON/);
  });
});

describe('parseScenario: model-level checks', () => {
  it('cost overrides must be known names with the right type', () => {
    const b = base();
    b.host.costs = { exitDirectCycle: 1000 };
    let e = errorOf(() => parse(b));
    expect(e.path).toBe('/host/costs/exitDirectCycle');
    expect(e.expected).toMatch(/^unknown cost parameter "exitDirectCycle" \(did you mean "exitDirectCycles"\?\); expected one of exitDirectCycles, /);
    b.host.costs = { exitlessInterrupts: 1 };
    e = errorOf(() => parse(b));
    expect([e.path, e.expected]).toEqual(['/host/costs/exitlessInterrupts', 'expected true or false, got 1']);
    b.host.costs = { exitDirectCycles: -3 };
    e = errorOf(() => parse(b));
    expect([e.path, e.expected]).toEqual(['/host/costs/exitDirectCycles', 'expected a number ≥ 0 (cycles), got -3']);
    b.host.costs = { exitDirectCycles: 2500, exitlessInterrupts: true };
    expect(parse(b).host.costs).toEqual({ exitDirectCycles: 2500, exitlessInterrupts: true });
  });

  it("the model's own limits come back as JSON paths", () => {
    const b = base();
    b.vms[0].workload = { kind: 'web', flows: 1000, depth: 1000 };
    const e = errorOf(() => parse(b));
    expect(e.path).toBe('/vms/0/workload');
    expect(e.expected).toContain('flows × depth must be ≤ 100000');
  });
});

describe('schema: cost values', () => {
  it('a cost value must be a number or a boolean', () => {
    const b = base();
    b.host.costs = { exitDirectCycles: '2000' };
    const e = errorOf(() => parse(b));
    expect([e.path, e.expected]).toEqual(['/host/costs/exitDirectCycles', 'expected a number or true or false, got "2000"']);
  });
});
