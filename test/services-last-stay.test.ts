/**
 * The overview's "Last decision" after a reload (review 9 item 3): the policy's latest stay
 * ("settled on 3 side cores …") must reach the console and survive the 60 s backfill window when
 * nothing is recorded. The loop emits a stay that says something new even inside its 1 s rate
 * window, and the loop status the console reads on load (getState) carries the latest stay — from
 * the embedded model's loop and, relayed through the agent protocol, from an agent's own loop.
 * Real services, the real model in its worker, a real agent process.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createServices } from '../src/main/services/index.ts';
import { createAgentLiveHost } from '../src/main/services/agent-host.ts';
import type { IocmApi, TelemetryMessage } from '../src/shared/api.ts';
import type { HostEvent } from '../src/shared/policy.ts';
import { agentServicesFixture, realLinkClock, seededRandom, startAgentProc, value } from './agent-helpers.ts';

const { t: tok, dir, procs, use } = agentServicesFixture('iocm-laststay-');

/** Live decision events and the newest snapshot t, as the console receives them. */
function follow(api: IocmApi): { stays: HostEvent[]; lastT: () => number; off: () => void } {
  const stays: HostEvent[] = [];
  let lastT = 0;
  const off = api.onTelemetry((m: TelemetryMessage) => {
    if (m.stream !== 'live') return;
    for (const e of m.batch.events) if (e.kind === 'decision' && e.message.startsWith('stay')) stays.push(e);
    const s = m.batch.snapshots.at(-1);
    if (s) lastT = s.t;
  });
  return { stays, lastT: () => lastT, off };
}

describe('the latest stay reaches the console and outlives the backfill window', () => {
  it('embedded model, recording off: iocm after static:3 settles 100 ms after "measuring"; after 60 s a reload still shows "settled"', async () => {
    const services = use(createServices({ dbPath: join(dir, 'm.db'), scenario: 'default', seed: 1, speed: 64 }));
    await services.boot();
    const api = services.api;
    value(await api.recordStop({}));
    value(await api.setPolicy({ name: 'static:3', config: {} }));
    const f = follow(api);
    await expect.poll(() => f.lastT(), { timeout: 20_000 }).toBeGreaterThan(1500);
    value(await api.setPolicy({ name: 'iocm', config: { maxProbes: 0 } }));
    await expect.poll(() => f.stays.some((e) => /^stay: settled on 3 side cores/.test(e.message)), { timeout: 20_000 }).toBe(true);
    const measuring = f.stays.find((e) => /; measuring$/.test(e.message))!;
    const settled = f.stays.find((e) => /^stay: settled/.test(e.message))!;
    expect(settled.t - measuring.t).toBeLessThan(1000); // inside the old rate window
    // A minute and more of host time later, the page reloads: the backfill holds the last 60 s.
    await expect.poll(() => f.lastT(), { timeout: 30_000 }).toBeGreaterThan(settled.t + 61_000);
    f.off();
    const st = value(await api.getState());
    const recent = value(await api.getRecentTelemetry({ snapshots: 1, windowMs: 60_000 }));
    expect(recent.batch.events.some((e) => e.t === settled.t)).toBe(false);
    const latestStay = f.stays.at(-1)!;
    expect(st.loop?.lastStay).toMatchObject({ kind: 'stay', t: latestStay.t, reason: latestStay.message.replace(/^stay: /, '') });
    // (the overview shows the status's stay when the events hold none newer: src/renderer/lib/decisions.test.ts)
    expect(recent.batch.events.some((e) => e.kind === 'decision' && e.t > latestStay.t)).toBe(false);
    await services.shutdown();
    use(null);
  }, 90_000);

  it("an agent's own loop (--loop): the relayed status carries its latest stay, on the session's timeline", async () => {
    const agent = await startAgentProc(['--driver', 'model', '--scenario', 'default', '--seed', '1', '--loop', '--policy', 'static:3', '--token-file', tok.tokenFile, '--listen', '127.0.0.1:0', '--interval-ms', '100']);
    procs.push(agent);
    const services = use(
      createServices({
        dbPath: join(dir, 'a.db'),
        scenario: null,
        seed: 1,
        openAgent: (a) => createAgentLiveHost(a, { clock: realLinkClock, random: seededRandom(3), batchMs: 100 }),
      }),
    );
    await services.boot();
    const api = services.api;
    value(await api.connectAgent({ url: agent.url, token: tok.token, name: 'looped' }));
    const f = follow(api);
    await expect.poll(() => f.lastT(), { timeout: 20_000 }).toBeGreaterThan(1000);
    value(await api.setPolicy({ name: 'iocm', config: { maxProbes: 0 } }));
    await expect.poll(async () => value(await api.getState()).loop?.lastStay?.reason ?? '', { timeout: 20_000 }).toMatch(/^settled on \d+ side cores/);
    f.off();
    const st = value(await api.getState());
    expect(st.loop?.source?.kind).toBe('model'); // the agent's loop, relayed
    // its t is the console's session time (the relay maps it), not the agent's own
    expect(st.loop!.lastStay!.t).toBeGreaterThan(1000);
    expect(st.loop!.lastStay!.t).toBeLessThanOrEqual(f.lastT() + 1000);
    await services.shutdown();
    use(null);
  }, 90_000);
});
