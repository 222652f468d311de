/**
 * The floors of issue 3 on every shipped scenario, against the real host model:
 * - `iocm` reaches ≥ 0.97 of the oracle's total score (the oracle picks the best
 *   static side-core count for each phase with perfect foresight);
 * - on every phased scenario whose best count changes between phases (the oracle beats the best
 *   single static count by more than TIE) `iocm` scores ≥ that static count; where one count is
 *   best in every phase (the oracle within TIE of it) there is nothing to adapt to, a manager
 *   that must measure pays for its probes, and `iocm` must be within TIE of it. (Issue 3 held
 *   iocm ≥ the best static count on every phased scenario. With the wire fixed (an idle VM's
 *   share of the line rate was 0 and it never sent again) `day` has vhost best in all but one
 *   phase, by 0.1 % in all, and no manager that measures can match a count it must first find.)
 * - after every phase change `iocm` settles on the new best count within 1.5 s
 *   of simulated time (its last count change in the phase is ≤ 1.5 s after the
 *   phase starts, and the count it keeps scores within 1 % of the phase's best
 *   static count — counts closer than the model's run-to-run noise are ties).
 * `iocm-classic` runs beside it and is reported, not held to these floors.
 * Phases are shortened to PHASE_SECONDS (PHASED_SECONDS in phased scenarios) to keep CPU cost reasonable.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { loadScenario, scenarioNames, scenarioSeconds } from '../src/main/scenario/load.ts';
import { oracleOf, runMany, settleRecords, shortenPhases, staticPolicies, type Oracle, type RunResult } from '../src/main/loop/sweep.ts';

const PHASE_SECONDS = 4;
/**
 * Issue 3 held iocm to 0.5 s, when iocm read the scenario's phase and saw a change at once. A host
 * reports no phases (issue 8): a change is seen after `driftEpochs` (3) epochs of drifting
 * observations, and each count it then measures costs a warm-up and a measured epoch — detection
 * 0.3 s + jump 0.2 s + two neighbour probes 0.4 s + settling 0.1 s ≈ 1 s, plus one more probe when
 * the estimate was off. 1.5 s is what observation allows, not a figure fitted to the result.
 */
const SETTLE_MS = 1500;
/**
 * Phased scenarios (day: 20–60 s phases) are shortened less than the steady ones: after every phase
 * change iocm spends about a second detecting it and measuring counts (a host reports no phases), a
 * cost that 4-s phases would inflate to a quarter of every phase; 15 s is still shorter than any
 * shipped phase. `iocm evaluate` checks the full-length scenarios over three seeds.
 */
const PHASED_SECONDS = 15;
const TIE = 0.01;

interface Case {
  name: string;
  phased: boolean;
  oracle: Oracle;
  statics: RunResult[];
  iocm: RunResult;
  classic: RunResult;
}

const cases: Case[] = [];

beforeAll(async () => {
  const names = scenarioNames();
  const specs = [];
  const layout: { name: string; phased: boolean; from: number; statics: number }[] = [];
  for (const name of names) {
    const full = loadScenario(name);
    const phased = new Set(full.phases.map((p) => p.name)).size > 1;
    const s = shortenPhases(full, phased ? PHASED_SECONDS : PHASE_SECONDS);
    const statics = staticPolicies(s.host.cores);
    layout.push({ name, phased, from: specs.length, statics: statics.length });
    for (const policy of [...statics, 'iocm', 'iocm-classic']) specs.push({ scenario: s, policy, seed: 1, seconds: scenarioSeconds(s) });
  }
  const results = await runMany(specs, 2);
  for (const l of layout) {
    const statics = results.slice(l.from, l.from + l.statics);
    cases.push({ name: l.name, phased: l.phased, oracle: oracleOf(statics), statics, iocm: results[l.from + l.statics], classic: results[l.from + l.statics + 1] });
  }
  const lines = cases.map((c) => `${c.name.padEnd(14)} iocm ${(c.iocm.summary.total.score / c.oracle.oracleScore).toFixed(3)}  iocm-classic ${(c.classic.summary.total.score / c.oracle.oracleScore).toFixed(3)}  best static ${(c.oracle.bestStatic.score / c.oracle.oracleScore).toFixed(3)} (K=${c.oracle.bestStatic.k})`);
  console.log(`ratio to the oracle (phases ≤ ${PHASE_SECONDS} s, ≤ ${PHASED_SECONDS} s in phased scenarios):\n${lines.join('\n')}`);
}, 600_000);

describe('iocm against the oracle on every shipped scenario', () => {
  it('ships scenarios to test', () => {
    expect(scenarioNames().length).toBeGreaterThanOrEqual(8);
  });

  it('reaches ≥ 0.97 of the oracle score everywhere', () => {
    const bad = cases.filter((c) => c.iocm.summary.total.score < 0.97 * c.oracle.oracleScore).map((c) => `${c.name}: ${(c.iocm.summary.total.score / c.oracle.oracleScore).toFixed(3)}`);
    expect(bad).toEqual([]);
  });

  it('is ≥ the best static count on every phased scenario where the best count changes, and within TIE of it where it does not', () => {
    const phased = cases.filter((c) => c.phased);
    expect(phased.length).toBeGreaterThan(0);
    const bad: string[] = [];
    for (const c of phased) {
      const io = c.iocm.summary.total.score;
      const best = c.oracle.bestStatic.score;
      const adapts = c.oracle.oracleScore > best * (1 + TIE);
      const floor = adapts ? best : best * (1 - TIE);
      console.log(`${c.name}: oracle / best static ${(c.oracle.oracleScore / best).toFixed(4)} (${adapts ? 'the best count changes: iocm ≥ best static' : 'one count is best throughout: iocm ≥ (1 − TIE) × best static'}); iocm / best static ${(io / best).toFixed(4)}`);
      if (io < floor) bad.push(`${c.name}: iocm ${io.toFixed(0)} < ${adapts ? '' : '(1 − TIE) × '}static:${c.oracle.bestStatic.k} ${best.toFixed(0)}`);
    }
    expect(bad).toEqual([]);
  });

  it('settles on the new best count within 1.5 s after every phase change', () => {
    const problems: string[] = [];
    let changes = 0;
    for (const c of cases) {
      for (const r of settleRecords(c.iocm, c.oracle)) {
        changes++;
        if (r.settleMs > SETTLE_MS || !(r.ratio >= 1 - TIE)) {
          problems.push(`${c.name} '${r.phase}' at ${r.t0} ms: kept ${r.k} side cores (static score ${Number.isNaN(r.ratio) ? 'not swept' : r.ratio.toFixed(3) + ' of best'}; best K=${r.bestK}), last change ${r.settleMs} ms after the phase began`);
        }
      }
    }
    console.log(`phase changes checked: ${changes}`);
    // The shipped suite has phased scenarios (e.g. 'day'); without one this floor would be untested.
    expect(changes).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
