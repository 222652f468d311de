import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iocm, ROOT } from './cli-helpers.ts';

const GOOD = {
  description: 'a good one',
  host: { cores: 4, ghz: 2 },
  vms: [{ name: 'db', count: 2, vcpus: 2, devices: [{ kind: 'blk', queues: 2 }], workload: { kind: 'blk', depth: 8 } }],
  phases: [{ name: 'p', seconds: 3, load: { db: 1 } }],
};

let res: string;
beforeAll(() => {
  res = mkdtempSync(join(tmpdir(), 'iocm-res-'));
  mkdirSync(join(res, 'scenarios'));
  copyFileSync(join(ROOT, 'resources', 'scenarios', 'scenario.schema.json'), join(res, 'scenarios', 'scenario.schema.json'));
  writeFileSync(join(res, 'scenarios', 'good.json'), JSON.stringify(GOOD));
  const bad = structuredClone(GOOD) as Record<string, unknown> & typeof GOOD;
  (bad.vms[0] as Record<string, unknown>).devices = [{ kind: 'net' }];
  (bad.phases[0] as Record<string, unknown>).load = { dbb: 1 };
  writeFileSync(join(res, 'bad.json'), JSON.stringify(bad, null, 2));
  writeFileSync(join(res, 'syntax.json'), '{\n  "host": {\n    "cores": 4,\n  }\n}\n');
});
afterAll(() => rmSync(res, { recursive: true, force: true }));

describe('iocm scenarios', () => {
  it('lists scenarios (IOCM_RESOURCES overrides the resources dir)', async () => {
    const env = { IOCM_RESOURCES: res };
    const table = await iocm(['scenarios'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^name +cores +VMs +seconds +description$/m);
    expect(table.stdout).toMatch(/^good +4 +2 +3 +a good one$/m);
    expect(table.stdout).not.toContain('scenario.schema');
    const json = await iocm(['scenarios', '--json'], env);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.scenarios).toEqual([{ name: 'good', description: 'a good one', file: join(res, 'scenarios', 'good.json'), seconds: 3, cores: 4, vms: 2 }]);
  });

  it('the table cuts a description at 100 characters with …, --json has it in full (as docs/cli.md says)', async () => {
    const long = mkdtempSync(join(tmpdir(), 'iocm-res-long-'));
    try {
      mkdirSync(join(long, 'scenarios'));
      const description = 'x'.repeat(99) + 'END';
      writeFileSync(join(long, 'scenarios', 'long.json'), JSON.stringify({ ...GOOD, description }));
      const table = await iocm(['scenarios'], { IOCM_RESOURCES: long });
      expect(table.stdout).toMatch(new RegExp(`^long .* ${'x'.repeat(99)}…$`, 'm'));
      const json = await iocm(['scenarios', '--json'], { IOCM_RESOURCES: long });
      expect(JSON.parse(json.stdout).scenarios[0].description).toBe(description);
    } finally {
      rmSync(long, { recursive: true, force: true });
    }
  });

  it('validate: ok on a good file, exit 2 with every problem on a bad one', async () => {
    const ok = await iocm(['scenarios', 'validate', join(res, 'scenarios', 'good.json')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: .*good\.json: scenario 'good', 4 cores, 1 group, 2 VMs, 1 phase, 3 s$/m);
    const bad = await iocm(['scenarios', 'validate', join(res, 'bad.json')]);
    expect(bad.code).toBe(2);
    const lines = bad.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^iocm scenarios: .*bad\.json: \/vms\/0\/devices: workload "blk" needs at least one "blk" device; got devices of kind net \(and 1 more problem\)$/);
    expect(lines[1]).toMatch(/bad\.json: \/phases\/0\/load\/dbb: unknown group "dbb" \(did you mean "db"\?\); expected one of db$/);
    const syn = await iocm(['scenarios', 'validate', join(res, 'syntax.json')]);
    expect(syn.code).toBe(2);
    expect(syn.stderr).toMatch(/syntax\.json:4:3: invalid JSON: expected a property after ',' \(trailing commas are not allowed\), found '}'/);
  });

  it('validate: schema and cross-field problems in one run, not the second kind only once the first is fixed', async () => {
    const both = structuredClone(GOOD) as Record<string, unknown> & typeof GOOD;
    (both.host as Record<string, unknown>).cores = 1; // the schema's: minimum 2
    (both.vms[0] as Record<string, unknown>).devices = [{ kind: 'net' }]; // a rule the schema cannot express
    (both.phases[0] as Record<string, unknown>).load = { dbb: 1 }; // likewise
    const file = join(res, 'both.json');
    writeFileSync(file, JSON.stringify(both));
    const r = await iocm(['scenarios', 'validate', file]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/both\.json: \/host\/cores: expected a number ≥ 2, got 1 \(and 2 more problems\)$/);
    expect(lines.slice(1)).toEqual([
      `  ${file}: /vms/0/devices: workload "blk" needs at least one "blk" device; got devices of kind net`,
      `  ${file}: /phases/0/load/dbb: unknown group "dbb" (did you mean "db"?); expected one of db`,
    ]);
  });

  it('validate --json reports issues as data', async () => {
    const bad = await iocm(['scenarios', 'validate', join(res, 'bad.json'), '--json']);
    expect(bad.code).toBe(2);
    const doc = JSON.parse(bad.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.issues.map((i: { path: string }) => i.path)).toEqual(['/vms/0/devices', '/phases/0/load/dbb']);
  });

  it('argument errors exit 2', async () => {
    for (const args of [['scenarios', 'validate'], ['scenarios', 'frobnicate'], ['scenarios', '--yaml'], ['scenarios', 'validate', 'a', 'b']]) {
      const r = await iocm(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^iocm scenarios: /);
    }
  });

  it('schema prints the JSON Schema', async () => {
    const r = await iocm(['scenarios', 'schema']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });
});
