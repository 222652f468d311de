/**
 * Handing a host back to iocm after a static count (review 8 item 1): on the real model, iocm that
 * takes over from static:K must end where iocm from the start ends, not wherever its probes ran out.
 */
import { describe, expect, it } from 'vitest';
import { createHostModel } from '../src/main/model/index.ts';
import { IocmLoop } from '../src/main/loop/loop.ts';
import { loadScenario } from '../src/main/scenario/load.ts';

/** Run `scenario` for 15 simulated s under iocm (after `first` for 2 s when given); the final side-core count and the mean truth score of the last 3 s. */
function run(scenario: string, first: string | null): { k: number; score: number; decisions: string[] } {
  const host = createHostModel(loadScenario(scenario), { seed: 1, intervalMs: 100 });
  const info = host.info();
  const loop = new IocmLoop({ control: host, policy: first ?? 'iocm', observability: info.observability, groups: info.groups });
  loop.start();
  const decisions: string[] = [];
  let score = 0;
  for (let i = 0; i < 150; i++) {
    if (first && i === 20) expect(loop.setPolicy('iocm')).toEqual([]);
    const s = host.step();
    loop.onSnapshot(s);
    for (const e of loop.drainEvents()) if (e.kind === 'decision' && e.message.startsWith('change')) decisions.push(`${s.t} ${e.message}`);
    if (i >= 120) for (const g of s.groups) score += g.score / 30;
  }
  return { k: host.config().sideCores.length, score, decisions };
}

describe('iocm after a static count (model, qemu profile)', () => {
  for (const [scenario, k] of [['default', 15], ['stream-many', 7]] as const) {
    it(`${scenario}: from static:${k} it ends where iocm from the start ends`, () => {
      const scratch = run(scenario, null);
      const after = run(scenario, `static:${k}`);
      expect(after.k, after.decisions.join('\n')).toBe(scratch.k);
      expect(Math.abs(after.score / scratch.score - 1), after.decisions.join('\n')).toBeLessThan(0.01);
    }, 180_000);
  }
});
