/**
 * The fleet row of an agent whose link is down: it says so (`stale`) and keeps the last side cores
 * and objective the host reported, with when (`lastSnapshotAt`), instead of passing them off as
 * current; when the link is back the row is current again. A real `iocm agent --driver model`
 * process, killed and restarted on the same address; the real agent client; real services.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createServices } from '../src/main/services/index.ts';
import { createAgentLiveHost } from '../src/main/services/agent-host.ts';
import type { FleetRow } from '../src/shared/api.ts';
import { agentServicesFixture, freePort, realLinkClock, seededRandom, startAgentProc, value } from './agent-helpers.ts';

const { t, dir, procs, use } = agentServicesFixture('iocm-fleet-link-');

describe('the fleet row of an agent whose link is down', () => {
  it('is marked stale with its last side cores, objective and their time, and is current again once the link is back', async () => {
    const port = await freePort();
    const args = ['--driver', 'model', '--scenario', 'rr-few', '--token-file', t.tokenFile, '--listen', `127.0.0.1:${port}`, '--interval-ms', '100'];
    const services = use(
      createServices({
      dbPath: join(dir, 'h.db'),
      scenario: null,
      seed: 1,
      fleetMs: 100,
      openAgent: (a) => createAgentLiveHost(a, { clock: realLinkClock, random: seededRandom(5), batchMs: 100, link: { initialBackoffMs: 100, maxBackoffMs: 400 } }),
    }),
    );
    await services.boot();
    const api = services.api;
    const pushed: FleetRow[][] = [];
    api.on('fleet', (rows) => pushed.push(rows));
    const a1 = await startAgentProc(args);
    procs.push(a1);
    const hostId = value(await api.connectAgent({ url: `ws://127.0.0.1:${port}`, token: t.token, name: 'lab' })).hostId!;
    const row = async (): Promise<FleetRow> => value(await api.listHosts()).find((h) => h.hostId === hostId)!;

    // Connected: current values.
    await expect.poll(async () => (await row()).objective, { timeout: 15_000 }).not.toBeNull();
    const up = await row();
    expect(up.stale).toBe(false);
    expect(up.link?.state).toBe('connected');

    // The agent dies: the link goes down and the row says its values are the last known.
    a1.child.kill('SIGKILL');
    await a1.exited;
    await expect.poll(async () => (await row()).link?.state, { timeout: 15_000 }).not.toBe('connected');
    // Snapshots received before the link went down may still be in the client's batch (batchMs 100):
    // they are the host's last values too, and land within a batch period.
    await new Promise((r) => setTimeout(r, 300));
    const down = await row();
    expect(down.stale).toBe(true);
    expect(down.lastSnapshotAt).not.toBeNull();
    expect(down.objective).not.toBeNull();
    // Nothing new arrives while it is down: the values and their time stay what the host last sent.
    await new Promise((r) => setTimeout(r, 500));
    const later = await row();
    expect(later.stale).toBe(true);
    expect([later.sideCores, later.objective, later.lastSnapshotAt]).toEqual([down.sideCores, down.objective, down.lastSnapshotAt]);
    // The pushed rows (what the views get) say so too.
    await expect.poll(() => pushed.at(-1)?.find((h) => h.hostId === hostId)?.stale, { timeout: 5_000 }).toBe(true);

    // The agent is back on the same address: the row is current again, from new snapshots.
    const a2 = await startAgentProc(args);
    procs.push(a2);
    await expect.poll(async () => (await row()).link?.state, { timeout: 15_000 }).toBe('connected');
    await expect.poll(async () => (await row()).lastSnapshotAt!, { timeout: 15_000 }).toBeGreaterThan(down.lastSnapshotAt!);
    expect((await row()).stale).toBe(false);
    await expect.poll(() => pushed.at(-1)?.find((h) => h.hostId === hostId)?.stale, { timeout: 5_000 }).toBe(false);
  }, 90_000);
});
