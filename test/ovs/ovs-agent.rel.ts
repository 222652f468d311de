/**
 * The OVS driver through the agent: a real `iocm agent --driver ovs --ovs-rundir DIR` process on a
 * private OVS-DPDK instance with dpdk-testpmd traffic, and the console's side
 * (createAgentLiveHost: AgentHostSource + the loop in the console). The agent discovers the
 * ports; packet counters reach the console's batches; an operator pin through the console changes
 * pmd-cpu-mask on the host (OVSDB and the PMD thread's Cpus_allowed_list); SIGTERM to the agent
 * restores the original mask. Bad --ovs-rundir exits 2 naming the folder. Missing OVS fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentLiveHost, type AgentLiveHost } from '../../src/main/services/agent-host.ts';
import type { HostEvent } from '../../src/shared/policy.ts';
import type { HostSnapshot } from '../../src/shared/snapshot.ts';
import { realLinkClock, seededRandom, startAgentProc, tokenDir, type AgentProc } from '../agent-helpers.ts';
import { ovsPrivate, pmdThreads, requireOvsTools, ROOT, vsctl, waitFor } from './harness.ts';

describe('iocm agent --driver ovs ↔ the console (AgentHostSource, loop in the console)', () => {
  const t = tokenDir();
  let dir = '';
  let agent: AgentProc | null = null;
  let host: AgentLiveHost | null = null;
  const snaps: HostSnapshot[] = [];
  const events: HostEvent[] = [];

  beforeAll(async () => {
    requireOvsTools();
    dir = mkdtempSync(join(tmpdir(), 'iocm-ovs-agent-'));
    await ovsPrivate(['start', dir, '2']);
    agent = await startAgentProc(['--driver', 'ovs', '--ovs-rundir', dir, '--token-file', t.tokenFile, '--listen', '127.0.0.1:0', '--interval-ms', '1000']);
  }, 120_000);

  afterAll(async () => {
    try {
      await host?.stop();
      if (agent && agent.child.exitCode === null) {
        agent.child.kill('SIGTERM');
        await agent.exited;
      }
    } finally {
      if (dir) await ovsPrivate(['stop', dir]).catch((e: unknown) => console.error(e));
      if (dir) rmSync(dir, { recursive: true, force: true });
      rmSync(t.dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a bad --ovs-rundir exits 2 naming the folder', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), 'agent', '--driver', 'ovs', '--ovs-rundir', join(dir, 'nope'), '--token-file', t.tokenFile, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--ovs-rundir: ${join(dir, 'nope')} is not a folder`);
    const empty = spawnSync(process.execPath, [join(ROOT, 'bin', 'iocm.mjs'), 'agent', '--driver', 'ovs', '--ovs-rundir', t.dir, '--token-file', t.tokenFile, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 60_000 });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('no OVS in');
  }, 120_000);

  it('the console connects: the agent discovered the ports; packet counters flow into the batches', async () => {
    host = await createAgentLiveHost({ url: agent!.url.replace(/\/agent$/, ''), token: t.token }, { clock: realLinkClock, random: seededRandom(7), batchMs: 200 });
    host.onBatch((b) => {
      snaps.push(...b.snapshots);
      events.push(...b.events);
    });
    expect(host.source.hello().driver).toBe('ovs');
    expect(host.info.vms.map((v) => v.name)).toEqual(['vhu0', 'vhu1']);
    expect(host.info.observability?.profile).toBe('ovs');
    expect(host.config().sideCores).toEqual([0]);
    await ovsPrivate(['traffic', dir, 'vhu0', 'txonly']);
    const s = await waitFor('a batch with packets on vhu0', () => snaps.find((x) => x.queues[0]?.requests > 0 && x.sideCores[0]?.workCycles > 0), 30_000);
    expect(s.totals.requestsPerSec).toBeGreaterThan(0);
    expect(host.status().policy).toBe('iocm');
    await ovsPrivate(['stop-traffic', dir, 'vhu0']);
  }, 90_000);

  it('an operator pin in the console changes pmd-cpu-mask on the host; SIGTERM to the agent restores it', async () => {
    const r = await host!.override({ kind: 'pin', core: 1 });
    expect(r.ok).toBe(true);
    await waitFor('pmd-cpu-mask 0x2 in OVSDB', async () => ((await vsctl(dir, ['get', 'Open_vSwitch', '.', 'other_config:pmd-cpu-mask'])) === '"0x2"' ? true : undefined), 20_000);
    await waitFor('the PMD thread on core 1', () => {
      const th = pmdThreads(dir);
      return th.size === 1 && [...th.values()][0] === '1' ? true : undefined;
    }, 20_000);
    await waitFor('a snapshot in the console with core 1 as the side core', () => snaps.find((x) => x.sideCores.length === 1 && x.sideCores[0].coreId === 1), 20_000);
    expect(events.some((e) => e.kind === 'audit' && /side cores → \[1\]/.test(e.message))).toBe(true);

    await host!.stop();
    host = null;
    agent!.child.kill('SIGTERM');
    const exit = await agent!.exited;
    expect(exit.code).toBe(0);
    expect(agent!.stderr()).toMatch(/ovs: restore: ovs-vsctl set Open_vSwitch \. other_config:pmd-cpu-mask=0x1/);
    expect(await vsctl(dir, ['get', 'Open_vSwitch', '.', 'other_config:pmd-cpu-mask'])).toBe('"0x1"');
    await waitFor('the PMD back on core 0', () => {
      const th = pmdThreads(dir);
      return th.size === 1 && [...th.values()][0] === '0' ? true : undefined;
    });
  }, 90_000);
});
