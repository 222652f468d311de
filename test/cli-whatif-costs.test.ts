/**
 * `iocm whatif --costs FILE` through the real CLI process on a real SQLite history file: a session
 * recorded by `simulate --record` is re-run under the same policy with and without a costs block
 * that makes every network request ten times dearer. Without it the re-run reproduces the recording;
 * with it the model is a slower host (higher latency, lower score), the stored session's scenario
 * carries the costs it ran under, and both the JSON and the human output name the file. A bad file
 * is exit 2 with one line naming it, and nothing is stored.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iocm } from './cli-helpers.ts';
import { COST_DEFAULTS } from '../src/main/model/defaults.ts';

interface Row { metric: string; phase: string; base: number; other: number }
interface WhatIfJson { sessionId: string; comparison: { rows: Row[] }; costsFile: string | null; costs: Record<string, number> }
interface ListedSession { id: string; parentId: string | null; scenarioJson: { host: { costs?: Record<string, number> } } }

let dir: string;
let db: string;
let baseId: string;
/** Ten times the default per-request cost of a network request (no scenario sets its own). */
const DEAR = COST_DEFAULTS.netRequestCycles * 10;

const total = (r: WhatIfJson, metric: string): Row => r.comparison.rows.find((x) => x.phase === 'total' && x.metric === metric)!;

async function sessions(): Promise<ListedSession[]> {
  const r = await iocm(['sessions', 'list', '--db', db, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ListedSession[];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iocm-whatif-costs-'));
  db = join(dir, 'history.sqlite');
  const sim = await iocm(['simulate', '--scenario', 'rr-few', '--policy', 'static:1', '--seconds', '1', '--record', db]);
  expect(sim.code, sim.stderr).toBe(0);
  baseId = /recorded session (\S+)/.exec(sim.stderr)![1];
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iocm whatif --costs FILE', () => {
  it('re-runs under the file\'s costs over the recorded ones, and says which file it applied', async () => {
    const file = join(dir, 'dear-requests.json');
    writeFileSync(file, JSON.stringify({ host: { costs: { netRequestCycles: DEAR } } }));

    const plain = await iocm(['whatif', '--db', db, '--session', baseId, '--policy', 'static:1', '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    const p = JSON.parse(plain.stdout) as WhatIfJson;
    expect(p.costsFile).toBeNull();
    expect(p.costs).toEqual({});
    // Same policy, recorded costs: the recording again, to the digit.
    for (const m of ['score', 'latency p50', 'latency p99']) expect(total(p, m).other, m).toBe(total(p, m).base);

    const dear = await iocm(['whatif', '--db', db, '--session', baseId, '--policy', 'static:1', '--costs', file, '--json']);
    expect(dear.code, dear.stderr).toBe(0);
    const d = JSON.parse(dear.stdout) as WhatIfJson;
    expect(d.costsFile).toBe(file);
    expect(d.costs).toEqual({ netRequestCycles: DEAR });
    // Dearer requests on the side core: slower completions and fewer of them, by a clear margin.
    expect(total(d, 'latency p50').other).toBeGreaterThan(1.2 * total(d, 'latency p50').base);
    expect(total(d, 'score').other).toBeLessThan(0.99 * total(d, 'score').base);
    expect(total(d, 'side-core-seconds').other).toBeCloseTo(total(d, 'side-core-seconds').base, 6);

    // The stored re-runs carry the costs they ran under; the recording is unchanged.
    const list = await sessions();
    const byId = new Map(list.map((s) => [s.id, s]));
    expect(byId.get(d.sessionId)).toMatchObject({ parentId: baseId });
    expect(byId.get(d.sessionId)!.scenarioJson.host.costs?.netRequestCycles).toBe(DEAR);
    expect(byId.get(p.sessionId)!.scenarioJson.host.costs?.netRequestCycles).toBeUndefined();
    expect(byId.get(baseId)!.scenarioJson.host.costs?.netRequestCycles).toBeUndefined();

    // The human output names the file (or says there was none).
    const human = await iocm(['whatif', '--db', db, '--session', baseId, '--policy', 'vhost', '--costs', file]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`costs: ${file} over the session's recorded host.costs (netRequestCycles)\n`);
    const humanPlain = await iocm(['whatif', '--db', db, '--session', baseId, '--policy', 'vhost']);
    expect(humanPlain.stdout).toContain("costs: the session's recorded host.costs (no --costs)\n");

    const help = await iocm(['whatif', '--help']);
    expect(help.stdout).toMatch(/--costs FILE/);
  }, 120_000);

  it('a bad costs file is exit 2 with one line naming it, and nothing is stored', async () => {
    const before = (await sessions()).length;
    const cases: [string, string | null, RegExp][] = [
      ['unknown.json', JSON.stringify({ host: { costs: { netRequestCyclez: 5 } } }), /netRequestCyclez/],
      ['negative.json', JSON.stringify({ exitDirectCycles: -1 }), /exitDirectCycles/],
      ['broken.json', '{"host": ', /broken\.json:1:10: invalid JSON: expected a value/],
      // V8's own message for these quotes the text across lines and names only an offset.
      ['yaml.json', 'host:\n  costs:\n    netRequestCycles: 5\n', /yaml\.json:1:1: invalid JSON: expected a value .*found 'h'$/],
      ['trailing.json', '{\n  "netRequestCycles": 5,\n}\n', /trailing\.json:3:1: invalid JSON: .*trailing commas are not allowed/],
      ['missing.json', null, /no such file/],
    ];
    for (const [name, text, re] of cases) {
      const f = join(dir, name);
      if (text !== null) writeFileSync(f, text);
      const r = await iocm(['whatif', '--db', db, '--session', baseId, '--policy', 'vhost', '--costs', f]);
      expect(r.code, name).toBe(2);
      expect(r.stdout, name).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(new RegExp(`^iocm whatif: --costs ${f}(:\\d+:\\d+)?: `));
      expect(lines[0], name).toMatch(re);
    }
    expect((await sessions()).length).toBe(before);
  }, 120_000);
});
