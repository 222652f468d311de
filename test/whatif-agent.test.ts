/**
 * What-if on a remote agent's recording, which has no scenario: a real `iocm agent --driver model`
 * process (seen as a stock QEMU host: no truth fields), its snapshots recorded by the console's
 * client into a real SQLite file with a side-core change half-way, then `iocm whatif` through the
 * CLI. The re-run infers a scenario from what the host measured, runs a replica under the recorded
 * side cores (printed against the recording) and the asked policy, and compares the two runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AgentHostSource } from '../src/main/host/agent-source.ts';
import { HistoryClient } from '../src/main/history/client.ts';
import { HistoryDb } from '../src/main/history/store.ts';
import { main } from '../src/main/cli/iocm.ts';
import type { HostSnapshot } from '../src/shared/snapshot.ts';
import type { Comparison } from '../src/shared/api.ts';
import { until } from './server-helpers.ts';
import { realLinkClock, seededRandom, startAgentProc, tokenDir, type AgentProc } from './agent-helpers.ts';

function sink(): { stream: Writable; text: () => string } {
  let s = '';
  return { stream: new Writable({ write: (c, _e, cb) => ((s += c.toString()), cb()) }), text: () => s };
}

const t = tokenDir();
const dir = mkdtempSync(join(tmpdir(), 'iocm-whatif-agent-'));
const db = join(dir, 'h.db');
let agent: AgentProc;
let sessionId = '';
let recorded: HostSnapshot[] = [];

beforeAll(async () => {
  agent = await startAgentProc(['--driver', 'model', '--scenario', 'default', '--token-file', t.tokenFile, '--listen', '127.0.0.1:0']);
  const src = await AgentHostSource.connect({ url: `ws://127.0.0.1:${agent.port}`, token: t.token, clock: realLinkClock, random: seededRandom(1) });
  const client = await HistoryClient.open({ path: db });
  try {
    const info = src.info();
    const rec = await client.startRecording({ host: 'kvm-a', source: 'agent', scenario: null, scenarioName: 'agent', seed: null, policy: 'manual', info: { ...info, name: 'kvm-a' }, intervalMs: info.intervalMs });
    sessionId = rec.sessionId;
    src.onSnapshot((s) => {
      recorded.push(s);
      rec.record(s);
    });
    await until(() => recorded.length >= 20, 20_000, '20 snapshots');
    const ack = await src.apply({ kind: 'setSideCores', cores: [info.cores - 2, info.cores - 1] });
    if (!ack.ok) throw new Error(`setSideCores refused: ${ack.error}`);
    await until(() => recorded.filter((s) => s.sideCores.length === 2).length >= 20, 20_000, '20 snapshots with 2 side cores');
    await src.close();
    await rec.close();
    recorded = await client.snapshotsBySeq(sessionId, 0, 1e9);
  } finally {
    await client.close();
  }
}, 60_000);

afterAll(() => {
  agent?.child.kill('SIGKILL');
  rmSync(t.dir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('iocm whatif on an agent recording', () => {
  it('infers a scenario, replays it under the recorded side cores, and compares the policy against that replica', async () => {
    expect(recorded[0].seq).toBeGreaterThan(0); // the agent's seq: not from 0
    expect(recorded.every((s) => s.phase === '' && s.totals.score === 0)).toBe(true); // a stock host's view
    const out = sink();
    const err = sink();
    const code = await main(['whatif', '--db', db, '--session', sessionId, '--policy', 'static:3', '--json'], { stdout: out.stream, stderr: err.stream });
    expect(err.text()).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(out.text()) as { sessionId: string; comparison: Comparison };
    const rep = r.comparison.replica!;
    expect(rep.recordedSessionId).toBe(sessionId);
    expect(r.comparison.base).toEqual({ sessionId: rep.sessionId, policy: 'replica' });
    expect(r.comparison.other).toEqual({ sessionId: r.sessionId, policy: 'static:3' });
    // Every group of the host, each measure; the replica delivers what the host delivered.
    expect(new Set(rep.fidelity.map((f) => f.group))).toEqual(new Set(['web', 'kv', 'stream', 'blk', 'batch']));
    for (const f of rep.fidelity.filter((x) => x.metric === 'requests/s' && x.recorded > 0)) {
      expect(Math.abs(f.model / f.recorded - 1), `${f.group}: replica ${f.model} vs recorded ${f.recorded}`).toBeLessThan(0.05);
    }
    expect(rep.notes.join('\n')).toMatch(/offered work is what the host delivered/);

    const client = await HistoryClient.open({ path: db });
    try {
      const replica = await client.getSession(rep.sessionId);
      const other = await client.getSession(r.sessionId);
      expect(replica).toMatchObject({ parentId: sessionId, source: 'model', policy: 'replica', snapshots: recorded.length, status: 'complete' });
      expect(other).toMatchObject({ parentId: sessionId, source: 'model', policy: 'static:3', snapshots: recorded.length, status: 'complete' });
      // The replica ran the recorded side cores interval by interval; the what-if ran its policy.
      const rs = await client.snapshotsBySeq(rep.sessionId, 0, 1e9);
      expect(rs.map((s) => s.sideCores.map((c) => c.coreId))).toEqual(recorded.map((s) => s.sideCores.map((c) => c.coreId)));
      const os = await client.snapshotsBySeq(r.sessionId, 0, 1e9);
      expect(os.every((s) => s.totals.sideCores === 3)).toBe(true);
      // The inferred scenario is stored with the runs, so they can be re-run and inspected.
      expect(replica.scenarioJson?.vms.map((g) => g.workload.kind)).toEqual(['web', 'kv', 'net-stream', 'blk', 'cpu']);
      expect(replica.scenarioJson?.phases).toEqual([{ name: 'recorded', seconds: (recorded.length * recorded[0].intervalMs) / 1000, load: {} }]);
    } finally {
      await client.close();
    }

    // A real host's session shows no offered load (it reports none); the model's replica does.
    const shown = sink();
    expect(await main(['sessions', 'show', '--db', db, '--session', sessionId], { stdout: shown.stream, stderr: sink().stream })).toBe(0);
    expect(shown.text()).toMatch(/host {7}kvm-a \(agent\)/);
    expect(shown.text()).not.toMatch(/offered load/);
    const shownReplica = sink();
    expect(await main(['sessions', 'show', '--db', db, '--session', rep.sessionId], { stdout: shownReplica.stream, stderr: sink().stream })).toBe(0);
    expect(shownReplica.text()).toMatch(/offered load changes:/);

    // The table form names the replica, what was assumed, and the comparison.
    const txt = sink();
    expect(await main(['whatif', '--db', db, '--session', sessionId, '--policy', 'vhost'], { stdout: txt.stream, stderr: sink().stream })).toBe(0);
    expect(txt.text()).toMatch(/no scenario was recorded \(session [^)]+\): the model ran a scenario inferred from the recording/);
    expect(txt.text()).toMatch(/replica against the recording:\n.*group.*measure.*recorded.*replica/);
    expect(txt.text()).toMatch(/costs: the model's defaults \(no --costs\)/);
  }, 120_000);

  it('refuses, in one line naming the session and what is wrong, an imported session it cannot replay, nothing stored; replays one whose host changed up to the change', async () => {
    const h = new HistoryDb(db);
    const info = (await import('../src/main/model/index.ts')).createHostModel((await import('../src/main/scenario/load.ts')).loadScenario('rr-few'), { seed: 1 }).info();
    // An agent session whose stored profile is not a profile.
    const bogus = h.beginSession({ host: 'h', source: 'agent', scenarioName: 'agent', policy: 'iocm', startedAt: 1, intervalMs: 100, info: { ...info, observability: { profile: 'bogus' } as never } });
    // An agent session whose host's interval changed from 100 ms to 500 ms.
    const m = (await import('../src/main/model/index.ts')).createHostModel((await import('../src/main/scenario/load.ts')).loadScenario('rr-few'), { seed: 1 });
    const mixed = h.beginSession({ host: 'h', source: 'agent', scenarioName: 'agent', policy: 'iocm', startedAt: 1, intervalMs: 100, info });
    h.append(mixed, [m.step(), m.step(), { ...m.step(), intervalMs: 500 }, m.step()], []);
    h.append(bogus, [m.step()], []);
    // One whose first interval is already of another setting: nothing to replay.
    const off = h.beginSession({ host: 'h', source: 'agent', scenarioName: 'agent', policy: 'iocm', startedAt: 1, intervalMs: 100, info });
    h.append(off, [{ ...m.step(), intervalMs: 500 }, m.step()], []);
    // A model session whose snapshots are not numbered 0..n-1 (an imported file's).
    const scenario = (await import('../src/main/scenario/load.ts')).loadScenario('rr-few');
    const gaps = h.beginSession({ host: 'h', source: 'model', scenario, seed: 1, policy: 'vhost', startedAt: 1, intervalMs: 100 });
    h.append(gaps, [{ ...m.step(), seq: 0 }, { ...m.step(), seq: 1_000_000_000 }], []);
    h.close();
    const client = await HistoryClient.open({ path: db });
    try {
      const before = (await client.listSessions()).length;
      await expect(client.whatIf({ sessionId: bogus, policy: 'vhost' })).rejects.toThrow(`session '${bogus}': its recorded observability profile 'bogus' is not one of qemu, ovs, full`);
      await expect(client.whatIf({ sessionId: off, policy: 'vhost' })).rejects.toThrow(/no scenario can be inferred from its recording: snapshot seq \d+: its interval is 500 ms, the session's 100 ms/);
      await expect(client.whatIf({ sessionId: gaps, policy: 'vhost' })).rejects.toThrow(`session '${gaps}': a model session's snapshots are numbered 0..1, this one's up to 1000000000 (999999999 missing); it cannot be replayed interval by interval`);
      await expect(client.whatIf({ sessionId: mixed, policy: 'static:99' })).rejects.toThrow(/^static:K: K must be at most 5 on a 6-core host/);
      expect((await client.listSessions()).length).toBe(before);
      // A host that changed during the session (its interval setting, here at seq 2): what-if
      // replays the session up to the change and says so, rather than refusing all of it.
      const upTo = await client.whatIf({ sessionId: mixed, policy: 'vhost' });
      const notes = upTo.comparison.replica!.notes.join('\n');
      expect(notes).toMatch(/the host changed at snapshot seq 2: its interval is 500 ms, the session's 100 ms .*; what-if replays the 2 interval\(s\) before it, not the rest of the session/);
      expect((await client.getSession(upTo.sessionId)).snapshots).toBe(2);
      expect((await client.getSession(upTo.comparison.replica!.sessionId)).snapshots).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('a recording without a host description is refused by name, and nothing is stored', async () => {
    const client = await HistoryClient.open({ path: db });
    let bare: string;
    try {
      const rec = await client.startRecording({ host: 'kvm-b', source: 'agent', scenario: null, scenarioName: 'agent', seed: null, policy: 'iocm', intervalMs: 100 });
      for (const s of recorded.slice(0, 5)) rec.record(s);
      bare = rec.sessionId;
      await rec.close();
      const before = (await client.listSessions()).length;
      await expect(client.whatIf({ sessionId: bare, policy: 'vhost' })).rejects.toThrow(/has no recorded host description \(info\)/);
      expect((await client.listSessions()).length).toBe(before);
    } finally {
      await client.close();
    }
  });
});
