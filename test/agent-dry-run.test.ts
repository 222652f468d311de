/**
 * `iocm agent --driver model --loop --dry-run`: the loop settles. In a dry run the configuration
 * the loop sees follows the decisions it would have applied (as the qemu driver's does), so a pin
 * and a static policy are decided once, not again every epoch (review: 189 `dry run: would apply`
 * lines in 10 s, 54 of them `setSideCores [3]`, and the loop's `changes` counter at 187). The model
 * itself keeps its configuration: that is the point of a dry run.
 *
 * The agent is the one the CLI starts (startAgent, the same flags), on a manual clock: the model
 * driver ticks and the loop runs from the clock's timers, no sleeping.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startAgent } from '../src/agent/cli.ts';
import { ModelDriverSource } from '../src/agent/model-driver.ts';
import { snapshotConsistencyProblem } from '../src/shared/agent-protocol.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import { ManualClock, tokenDir } from './agent-helpers.ts';

const tok = tokenDir();
afterAll(() => rmSync(tok.dir, { recursive: true, force: true }));

const sink = (f: (s: string) => void) => ({ write: (d: string | Uint8Array) => (f(String(d)), true) }) as unknown as NodeJS.WritableStream;

/** The `dry run: would apply …` lines of `log`, from character `from` on. */
function wouldApply(log: string, from = 0): string[] {
  return log
    .slice(from)
    .split('\n')
    .filter((l) => l.includes('dry run: would apply '));
}

/** The most times one line occurs in `lines`. */
function maxRepeats(lines: string[]): number {
  const n = new Map<string, number>();
  for (const l of lines) n.set(l, (n.get(l) ?? 0) + 1);
  return Math.max(0, ...n.values());
}

describe('iocm agent --driver model --loop --dry-run', () => {
  it('settles after a pin and a static policy: each change is decided once, config() follows the decision, the model keeps its own', async () => {
    const clock = new ManualClock();
    let stderr = '';
    const a = await startAgent(
      ['--driver', 'model', '--scenario', 'mixed', '--token-file', tok.tokenFile, '--loop', '--policy', 'iocm', '--dry-run', '--listen', '127.0.0.1:0'],
      { stdout: sink(() => {}), stderr: sink((d) => (stderr += d)) },
      clock,
    );
    if (a === 'help') throw new Error('unexpected --help');
    try {
      const loop = a.loop!;
      const source = a.source as ModelDriverSource;
      const modelBefore = source.modelConfig();
      const snaps: HostSnapshot[] = [];
      source.onSnapshot((s) => snaps.push(s));
      clock.advance(2000);
      // A console pins core 3 and sets static:2 (what the server does with its messages).
      expect(loop.override({ kind: 'pin', core: 3 }).ok).toBe(true);
      expect(loop.setPolicy('static:2', {})).toEqual([]);
      const mark = stderr.length;
      clock.advance(10_000); // 100 epochs
      const lines = wouldApply(stderr, mark);
      const sets = lines.filter((l) => l.includes('"kind":"setSideCores"'));
      // Decided once each (the pin's set, static:2's set), not every epoch.
      expect(maxRepeats(sets), sets.join('\n')).toBeLessThanOrEqual(1);
      expect(sets.length).toBeLessThanOrEqual(2);
      expect(maxRepeats(lines), lines.join('\n')).toBeLessThanOrEqual(1);

      // config() reports the dry-run decision: two side cores, core 3 among them, every queue on one.
      const cfg = source.config();
      expect(cfg.sideCores).toHaveLength(2);
      expect(cfg.sideCores).toContain(3);
      expect(cfg.queueOwner.every((o) => o !== null && cfg.sideCores.includes(o))).toBe(true);
      expect(loop.status().sideCores).toEqual(cfg.sideCores);
      expect(loop.status().lastDecision?.kind).not.toBe('blocked');

      // Settled: nothing more is decided, the loop's change counter stands still.
      const mark2 = stderr.length;
      const changes = loop.status().changes;
      clock.advance(5000);
      expect(wouldApply(stderr, mark2)).toEqual([]);
      expect(loop.status().changes).toBe(changes);

      // Snapshots are laid out as decided (as the qemu driver's dry run), and hold together.
      const last = snaps.at(-1)!;
      expect(last.sideCores.map((c) => c.coreId)).toEqual(cfg.sideCores);
      expect(last.cores.filter((c) => c.role === 'side').map((c) => c.id)).toEqual(cfg.sideCores);
      expect(last.queues.map((q) => q.owner)).toEqual(cfg.queueOwner);
      expect(last.totals.sideCores).toBe(2);
      for (const s of snaps) expect(snapshotConsistencyProblem(s)).toBeNull();

      // The model itself was not changed.
      expect(source.modelConfig()).toEqual(modelBefore);
      expect(modelBefore.sideCores).not.toEqual(cfg.sideCores);
    } finally {
      await a.stop();
    }
  });
});
