// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { ok, err, type ConsoleState, type SessionSummary } from '../../shared/api.ts';
import { setApi } from '../api-client.ts';
import { makeInfo, makeSnapshot, makeState, memoryApi } from '../test-fixtures.ts';
import { objectiveOf, si } from '../lib/metrics.ts';
import { useConsoleStore } from '../stores/console.ts';
import { useTelemetryStore } from '../stores/telemetry.ts';
import { useReplayStore } from '../stores/replay.ts';
import { setOptions } from '../test/echarts-mock.ts';
import { wallTime } from '../lib/charts.ts';
import { observabilityOf } from '../../shared/observe.ts';
import HostOverview from './HostOverview.vue';
import VmsQueuesView from './VmsQueuesView.vue';
import ControlsView from './ControlsView.vue';
import SessionsView from './SessionsView.vue';
import ConnectView from './ConnectView.vue';
import SideCoresView from './SideCoresView.vue';
import DecisionsTimeline from './DecisionsTimeline.vue';
import FleetView from './FleetView.vue';
import App from '../App.vue';
import CoreActionDialog from '../components/CoreActionDialog.vue';
import type { FleetRow } from '../../shared/api.ts';

function fleetRow(hostId: string, name: string, selected: boolean): FleetRow {
  return {
    hostId,
    name,
    kind: 'model',
    address: 'model: mixed',
    selected,
    cores: 8,
    sideCores: 1,
    objective: 1000,
    lastSnapshotAt: 0,
    stale: false,
    policy: 'iocm',
    paused: false,
    alerts: { refusals: 0, errors: 0, latency: null, last: null },
    link: null,
    recording: { sessionId: `s-${hostId}`, error: null },
  };
}

vi.mock('vue-echarts', () => import('../test/echarts-mock.ts'));

const POLICY = {
  name: 'iocm',
  description: 'ours',
  defaults: { addThreshold: 0.12, window: 20 },
  fields: [
    { key: 'addThreshold', label: 'Add threshold', description: 'd', type: 'number' as const, min: 0, max: 1 },
    { key: 'window', label: 'Window', description: 'd', type: 'integer' as const, min: 1, max: 100 },
  ],
};

async function setup(extra: Parameters<typeof memoryApi>[0] = {}, state: ConsoleState = makeState(8, 4)) {
  setActivePinia(createPinia());
  const m = memoryApi({
    getState: async () => ok(state),
    listScenarios: async () => ok([{ name: 'mixed', description: 'A mixed host', cores: 8, vms: 4, groups: ['web', 'db'], phases: [{ name: 'p', seconds: 10 }] }]),
    listPolicies: async () => ok([POLICY, { name: 'vhost', description: 'no side cores', defaults: {}, fields: [] }]),
    getAuditLog: async () => ok([{ t: 1000, at: 0, source: 'operator', action: 'pin core 2', ok: true, detail: '' }]),
    ...extra,
  });
  setApi(m.api);
  const store = useConsoleStore();
  const tel = useTelemetryStore();
  await tel.start();
  return { m, store, tel };
}

/** Handlers of a history holding one finished 10 s session (list, detail, a 3-point range). */
function sessionApi(summary: SessionSummary): Parameters<typeof memoryApi>[0] {
  return {
    listSessions: async () => ok([summary]),
    getSession: async () => ok({ ...summary, policyConfig: {}, info: null, appVersion: '0.1.0', t0: 0, t1: 10_000 }),
    querySeries: async ({ series }) => ok({ t: [0, 5000, 10_000], series: series.map((key) => ({ key, values: [1, 2, 3] })), resolutionMs: 5000 }),
  };
}

/** Full options set on line charts (not the stacked-band chart), oldest first. */
function lineOptions(): Record<string, unknown>[] {
  return setOptions.filter((o) => (o.series as { type?: string }[] | undefined)?.[0]?.type === 'line');
}

function feed(m: ReturnType<typeof memoryApi>, n: number, side = [7], from = 0) {
  const snaps = Array.from({ length: n }, (_, i) => makeSnapshot({ cores: 8, side, vms: 4, seq: from + i }));
  m.emit('telemetry', {
    stream: 'live',
    sessionId: 's1',
    batch: {
      snapshots: snaps,
      events: [
        {
          t: 300,
          source: 'policy',
          kind: 'decision',
          message: 'idle I/O capacity 0.05 < 0.12: add a side core',
          data: { policy: 'iocm', decision: { kind: 'change', actions: [], reason: 'r', metrics: { idleIo: 0.05 } }, applied: [] },
        },
        { t: 400, source: 'policy', kind: 'decision', message: 'quiet', data: { policy: 'iocm', decision: { kind: 'stay', actions: [], reason: 'r', metrics: {} }, applied: [] } },
        { t: 500, source: 'operator', kind: 'override', message: 'operator pinned core 2' },
      ],
    },
  });
}

describe('HostOverview', () => {
  beforeEach(() => setOptions.splice(0));

  it('shows one tile per core with its role, the headline numbers and charts with data', async () => {
    const { m, store } = await setup();
    await store.start();
    const w = mount(HostOverview);
    expect(w.text()).toContain('No host data yet');
    feed(m, 10);
    await flushPromises();
    const tiles = w.findAll('[data-core]');
    expect(tiles).toHaveLength(8);
    expect(tiles[7].attributes('data-role')).toBe('side');
    expect(tiles[0].attributes('data-role')).toBe('vm');
    expect(w.get('[data-stat="side-cores"]').text()).toBe('1');
    expect(w.get('[data-stat="score"]').text()).toBe('109');
    // The observed objective (what the policies maximise) stands beside the model's truth score.
    expect(w.get('[data-stat="objective"]').text()).toMatch(/^\d/);
    expect(w.get('[data-stat="loop"]').text()).toContain('iocm');
    // a chart got a series with all 10 points, without animation (drawn in the next frame)
    await new Promise((r) => setTimeout(r, 60));
    // the score chart's (the cycles chart draws its stacked bands as one custom series)
    const last = lineOptions().at(-1) as { animation: boolean; series: { data: unknown[] }[] };
    expect(last.animation).toBe(false);
    expect(last.series[0].data).toHaveLength(10);
  });

  it('names heat-strip tiles for screen readers with their role and main share (64 cores)', async () => {
    const { m, store } = await setup({}, makeState(64, 4));
    await store.start();
    const w = mount(HostOverview);
    m.emit('telemetry', { stream: 'live', sessionId: 's1', batch: { snapshots: [0, 1].map((seq) => makeSnapshot({ cores: 64, side: [63], vms: 4, seq })), events: [] } });
    await flushPromises();
    expect(w.findAll('[data-core]')).toHaveLength(64);
    expect(w.get('[data-testid="core-map"]').classes()).toContain('compact');
    const vm = w.get('[data-core="0"]');
    const side = w.get('[data-core="63"]');
    // The accessible name is the aria-label (it replaces the tile's own text, the bare core id).
    expect(vm.attributes('aria-label')).toMatch(/^Core 0, VM core, guest \d+(\.\d+)? ?%$/);
    expect(side.attributes('aria-label')).toMatch(/^Core 63, side core, I\/O work \d+(\.\d+)? ?%$/);
    // No hidden text that changes with every update (each changed run is laid out again).
    expect(vm.text().replace(/\s+/g, ' ').trim()).toBe('Core 0');
    w.unmount();
  });

  it('pins a core after confirmation and shows a refusal where it happened', async () => {
    const state = makeState(8, 4);
    const { m, store } = await setup({
      pinCore: async ({ core }) => (core === 0 ? err('refused', 'Refused: at most 7 side cores.') : ok({ ...state.overrides, pinned: [core] })),
    });
    await store.start();
    feed(m, 3);
    const w = mount(HostOverview, { attachTo: document.body });
    await flushPromises();
    await w.get('[data-core="2"]').trigger('click');
    expect(w.find('[role="dialog"]').exists()).toBe(true);
    await w.get('[data-action="pin"]').trigger('click');
    await flushPromises();
    expect(m.calls.filter((c) => c.method === 'pinCore')).toEqual([{ method: 'pinCore', args: { core: 2 } }]);
    expect(w.find('[role="dialog"]').exists()).toBe(false);
    expect(w.get('[data-core="2"]').attributes('data-role')).toBe('pinned');
    // What a screen reader says: words, not the tile's abbreviation.
    const spoken = (core: number) => (w.get(`[data-core="${core}"]`).element as HTMLElement).textContent!.replace(/\s+/g, ' ').trim();
    expect(spoken(2)).toMatch(/^Core 2, pinned as side core by the operator/);
    expect(spoken(0)).toMatch(/^Core 0, VM core/);
    expect(w.get('[data-core="2"] .core-role').attributes('aria-hidden')).toBe('true');
    await w.get('[data-core="0"]').trigger('click');
    await w.get('[data-action="pin"]').trigger('click');
    await flushPromises();
    expect(w.get('[role="dialog"] [role="alert"]').text()).toContain('at most 7 side cores');
    w.unmount();
  });
});

describe('the overview of a host whose link is down (review 8 item 7)', () => {
  it('marks its figures as the last it reported, with when, and says the loop waits for the link; back up, they are current again', async () => {
    const seen = new Date(2026, 0, 2, 8, 9, 30).getTime();
    const state = makeState(8, 4);
    state.connection = { kind: 'agent', url: 'ws://127.0.0.1:7878', name: 'kvm-a' };
    state.host = { ...state.host!, name: 'kvm-a', source: 'agent', observability: observabilityOf('qemu') };
    state.link = { state: 'connected', since: 0, attempts: 0, error: null };
    state.loop!.source = { kind: 'agent', name: 'kvm-a' };
    const row = { ...fleetRow('h1', 'kvm-a', true), kind: 'agent' as const, lastSnapshotAt: seen, link: state.link };
    const { m, store } = await setup({ listHosts: async () => ok([row]) }, state);
    await store.start();
    const w = mount(HostOverview);
    m.emit('telemetry', { stream: 'live', sessionId: 's1', batch: { snapshots: [0, 1, 2].map((seq) => makeSnapshot({ cores: 8, side: [7], vms: 4, seq })), events: [] } });
    await flushPromises();
    const objective = w.get('[data-stat="objective"]').text();
    expect(w.find('[data-testid="overview-stale"]').exists()).toBe(false);
    expect(w.find('[data-last]').exists()).toBe(false);
    expect(w.get('[data-stat="loop"]').text()).toBe('running · iocm');

    // the agent is killed: the link reconnects
    const down = { state: 'reconnecting' as const, since: seen + 2000, attempts: 4, error: 'connection refused' };
    m.emit('status', { ...state, link: down });
    m.emit('fleet', [{ ...row, stale: true, link: down }]);
    await flushPromises();
    expect(w.get('[data-testid="overview-stale"]').text().replace(/\s+/g, ' ')).toBe(
      'The link to kvm-a is down (reconnecting, attempt 4: connection refused): the figures below are the last it reported, at 08:09:30, not what is in force now.',
    );
    expect(w.get('[data-testid="headline"]').attributes('data-stale')).toBe('true');
    for (const card of ['objective', 'throughput', 'side-cores', 'vm-cores']) {
      expect(w.get(`[data-stat="${card}"]`).element.closest('.stat')!.querySelector('[data-last]')?.textContent, card).toBe('last reported 08:09:30');
    }
    expect(w.get('[data-stat="objective"]').text()).toBe(objective); // the value is kept, marked as the last
    expect(w.get('[data-card="side-cores"]').attributes('title')).toContain('not what is in force now');
    expect(w.get('[data-stat="loop"]').text()).toBe('waiting for the link · iocm');
    expect(w.get('[data-testid="cores-note"]').text()).toBe('(as the host last reported 08:09:30; the link is down)');

    // back up: current again
    m.emit('status', { ...state, link: { state: 'connected', since: seen + 9000, attempts: 0, error: null } });
    await flushPromises();
    expect(w.find('[data-testid="overview-stale"]').exists()).toBe(false);
    expect(w.find('[data-last]').exists()).toBe(false);
    expect(w.get('[data-stat="loop"]').text()).toBe('running · iocm');
    w.unmount();
  });
});

describe('the overview of a host whose link is down before it ever reported, or whose agent runs its own loop (review 9 items 4 and 5)', () => {
  /** An agent host 'slow' whose link is `link`, with the loop status's source `source`. */
  async function agentHost(link: ConsoleState['link'], source: NonNullable<ConsoleState['loop']>['source'], lastSnapshotAt: number | null) {
    const state = makeState(8, 4);
    state.connection = { kind: 'agent', url: 'ws://127.0.0.1:7878', name: 'slow' };
    state.host = { ...state.host!, name: 'slow', source: 'agent', observability: observabilityOf('qemu') };
    state.link = link;
    state.loop!.source = source;
    const row = { ...fleetRow('h1', 'slow', true), kind: 'agent' as const, lastSnapshotAt, stale: true, link };
    const s = await setup({ listHosts: async () => ok([row]) }, state);
    await s.store.start();
    return s;
  }
  const down = { state: 'reconnecting' as const, since: 0, attempts: 4, error: 'connection refused' };
  const text = (w: ReturnType<typeof mount>, sel: string) => w.get(sel).text().replace(/\s+/g, ' ');

  it('says the host has reported nothing yet in sentences of their own, not "at nothing reported yet"', async () => {
    await agentHost(down, { kind: 'agent', name: 'slow' }, null);
    const w = mount(HostOverview);
    await flushPromises();
    expect(text(w, '[data-testid="overview-stale"]')).toBe('The link to slow is down (reconnecting, attempt 4: connection refused): it has reported nothing yet, so nothing below is known of it.');
    expect(text(w, '[data-testid="cores-note"]')).toBe('(nothing reported yet; the link is down)');
    expect(w.text()).not.toMatch(/at nothing|host nothing/);
    expect(text(w, '[data-stat="objective"]')).toBe('—');
    expect(w.get('[data-stat="objective"]').element.closest('.stat')!.querySelector('[data-last]')?.textContent).toBe('nothing reported yet');
    expect(w.get('[data-card="side-cores"]').attributes('title')).toBe('The link to this host is down, and it has reported nothing yet.');
    expect(text(w, '[data-stat="loop"]')).toBe('waiting for the link · iocm');
    expect(w.get('[data-card="loop"]').attributes('title')).toMatch(/no data reaches the loop, so it takes no decisions/);
    w.unmount();
  });

  it('an agent\'s own loop over its model driver goes on deciding while the link is down: "not known", not "waiting for the link"', async () => {
    for (const kind of ['model', 'qemu', 'ovs'] as const) {
      await agentHost(down, { kind, name: 'rr-few' }, new Date(2026, 0, 2, 8, 9, 30).getTime());
      const w = mount(HostOverview);
      await flushPromises();
      expect(text(w, '[data-stat="loop"]'), kind).toBe('not known (link down) · iocm');
      expect(w.get('[data-card="loop"]').attributes('title'), kind).toMatch(/the agent runs its own loop, which goes on deciding/);
      expect(text(w, '[data-testid="overview-stale"]'), kind).toMatch(/the figures below are the last it reported, at 08:09:30, not what is in force now\.$/);
      w.unmount();
      const app = mount(App);
      await flushPromises();
      expect(app.text(), kind).toContain('not known (link down) · iocm');
      expect(app.text(), kind).not.toContain('waiting for the link');
      app.unmount();
    }
  });
});

describe('"Last decision" on the overview (review 8 item 8)', () => {
  const probe = { kind: 'change' as const, actions: [], reason: 'probe 9 side cores (best so far 10: objective 916)', metrics: { objective: 916 } };
  const settled = { kind: 'stay' as const, actions: [], reason: 'settled on 9 side cores: objective 1074 vs 10: 916', metrics: { objective: 1074 } };
  const events = [
    { t: 219_000, source: 'policy' as const, kind: 'decision' as const, message: `change: ${probe.reason}`, data: { policy: 'iocm', decision: probe, applied: [] } },
    { t: 221_000, source: 'policy' as const, kind: 'decision' as const, message: `stay: ${settled.reason}`, data: { policy: 'iocm', decision: settled, applied: [] } },
  ];
  const text = (w: ReturnType<typeof mount>) => ({
    latest: w.get('[data-testid="last-decision"] [data-decision="latest"]').text().replace(/\s+/g, ' '),
    change: w.get('[data-testid="last-decision"] [data-decision="change"]').text().replace(/\s+/g, ' '),
  });

  it('live and in a replay: the policy\'s "settled" after its last change, and that change under it', async () => {
    // live: the loop's last change in its status, the stay among the events
    const live = makeState(16, 4);
    live.loop!.lastDecision = { ...probe, t: 219_000 };
    const a = await setup({}, live);
    await a.store.start();
    const w = mount(HostOverview);
    a.m.emit('telemetry', { stream: 'live', sessionId: 's1', batch: { snapshots: [makeSnapshot({ cores: 16, side: [15], vms: 4, seq: 2220 })], events } });
    await flushPromises();
    const shownLive = text(w);
    expect(shownLive.latest).toMatch(/^stay at 3:41\.0: settled on 9 side cores: objective 1074 vs 10: 916/);
    expect(shownLive.change).toMatch(/^Last change: change at 3:39\.0: probe 9 side cores \(best so far 10: objective 916\)/);
    w.unmount();

    // a replay of the same session at a later time shows the same
    const summary = { id: 's1', host: 'h', source: 'model' as const, scenario: 'mixed', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 300_000, snapshots: 3000, decisions: 2, parentId: null };
    const replayed = { ...makeState(16, 4), replay: { sessionId: 's1', t0: 0, t1: 300_000, t: 250_000, playing: false, speed: 1 } };
    const b = await setup({ ...sessionApi(summary), getSessionEvents: async () => ok(events) }, replayed);
    await b.store.start();
    await useReplayStore().load('s1');
    const r = mount(HostOverview);
    b.m.emit('telemetry', { stream: 'replay', sessionId: 's1', batch: { snapshots: [makeSnapshot({ cores: 16, side: [15], vms: 4, seq: 2500 })], events: [] } });
    await flushPromises();
    expect(text(r)).toEqual(shownLive);
    r.unmount();
  });
});

describe('exits on a host that does not measure them', () => {
  beforeEach(() => setOptions.splice(0));

  /** A console state for an agent host reporting under `profile`; its snapshots carry exits as the agent sends them. */
  async function agentHost(profile: 'qemu' | 'ovs' | 'full', noLatency = false) {
    const state = makeState(8, 4);
    state.connection = { kind: 'agent', url: 'ws://127.0.0.1:7878/agent', name: 'kvm-a' };
    state.host = { ...state.host!, source: 'agent', observability: observabilityOf(profile) };
    const s = await setup({}, state);
    await s.store.start();
    // The qemu and ovs sources send 0 for what they do not measure (src/main/host/qemu/qemu-source.ts).
    const measured = profile === 'full';
    const snaps = Array.from({ length: 3 }, (_, i) => {
      const x = makeSnapshot({ cores: 8, side: [7], vms: 4, seq: i });
      if (measured) return x;
      const lat = noLatency ? { latencyUs: { p50: 0, p99: 0, p999: 0 } } : {};
      return { ...x, vms: x.vms.map((v) => ({ ...v, exitsPerSec: 0, interruptsPerSec: 0 })), totals: { ...x.totals, exitsPerSec: 0, interruptsPerSec: 0, ...lat } };
    });
    s.m.emit('telemetry', { stream: 'live', sessionId: 's1', batch: { snapshots: snaps, events: [] } });
    return s;
  }

  it('shows "—" for exits/s (headline, VM table, VM detail) under the qemu and ovs profiles, and the rate under full', async () => {
    for (const profile of ['qemu', 'ovs'] as const) {
      await agentHost(profile);
      const o = mount(HostOverview);
      await flushPromises();
      expect(o.get('[data-stat="exits"]').text(), profile).toBe('—');
      expect(o.get('[data-card="p99"] .label').text(), profile).toBe(profile === 'qemu' ? 'block time (mean)' : 'p99 latency');
      // Neither profile splits a core's host time: the driver's `io` is busy time there, not I/O work
      // (review 6: under TCG a vCPU's run read as "I/O work 91 %"). An OVS PMD core's work is measured.
      expect(o.get('.core-grid').element.parentElement!.querySelector('.legend')!.textContent, profile).toContain('Host busy (not split)');
      expect(o.get('[data-testid="host-cycles"]').text(), profile).toContain('Host busy (not split)');
      expect(o.get('[data-testid="host-cycles"]').text(), profile).not.toContain('I/O work');
      const sideTile = o.get('[data-core="7"] .core-busy .lbl').text();
      expect(sideTile, profile).toBe(profile === 'ovs' ? 'I/O work' : 'busy');
      o.unmount();
      const v = mount(VmsQueuesView);
      await flushPromises();
      expect(v.findAll('tbody tr[data-vm] td:nth-child(6)').map((td) => td.text()), profile).toEqual(['—', '—', '—', '—']);
      await v.get('tr[data-vm="vm-1"]').trigger('click');
      const detail = v.get('[data-testid="vm-detail"]').text();
      expect(detail).toContain('Exits/s—');
      expect(detail).toContain('Interrupts/s—');
      // A real QEMU host's latency is its mean block-layer time: labelled so, not as percentiles (review 6).
      expect(detail.includes('Block time (mean)'), profile).toBe(profile === 'qemu');
      expect(detail.includes('p99.9'), profile).toBe(profile !== 'qemu');
      expect(v.find('[data-sort="p99"]').text(), profile).toBe(profile === 'qemu' ? 'Block time (mean)' : 'p99');
      // Neither profile reports kicks or pending requests, and no real host the offered load (review 6).
      expect(detail).toContain('Load—');
      expect(v.findAll('tbody tr[data-vm] td:nth-child(7)').map((td) => td.text()), profile).toEqual(['—', '—', '—', '—']);
      const queueRows = v.findAll('[data-testid="vm-detail"] tbody tr');
      expect(queueRows.length).toBeGreaterThan(0);
      for (const r of queueRows) {
        const cells = r.findAll('td').map((td) => td.text());
        expect(cells[2], profile).toBe('—');
        expect(cells[4], profile).toBe('—');
      }
      v.unmount();
    }
    await agentHost('full');
    const o = mount(HostOverview);
    await flushPromises();
    expect(o.get('[data-stat="exits"]').text()).toMatch(/^\d.*\/s$/);
    expect(o.get('[data-core="7"] .core-busy .lbl').text()).toBe('I/O work');
    expect(o.text()).not.toContain('not split');
    o.unmount();
    // The full profile reports kicks and pending; the load stays the model's.
    const v = mount(VmsQueuesView);
    await flushPromises();
    await v.get('tr[data-vm="vm-1"]').trigger('click');
    const cells = v.findAll('[data-testid="vm-detail"] tbody tr')[0].findAll('td').map((td) => td.text());
    expect(cells[2]).toMatch(/^\d+$/);
    expect(cells[4]).toMatch(/^\d+$/);
    expect(v.get('[data-testid="vm-detail"]').text()).toContain('Load—');
    v.unmount();
  });

  it('says "not measured" for a side core\'s empty polls where the host does not split its time (qemu), and draws no series for them (review 8 item 10)', async () => {
    const names = (): string[] => lineOptions().flatMap((o) => (o.series as { name?: string }[]).map((x) => x.name ?? ''));
    for (const profile of ['qemu', 'ovs', 'full'] as const) {
      setOptions.splice(0);
      await agentHost(profile);
      const measured = profile !== 'qemu';
      const o = mount(HostOverview);
      await flushPromises();
      expect(o.get('[data-testid="side-empty-polls"]').text(), profile).toMatch(measured ? /^\d+(\.\d)? % empty polls$/ : /^empty polls not measured$/);
      // the host's cycle split: no 0 % for what it does not measure, in the line and the chart
      const cycles = o.get('[data-testid="host-cycles"]').text().replace(/\s+/g, ' ');
      const unmeasured: string[] = { qemu: ['Exits', 'Empty polls', 'Ctx switch'], ovs: ['Exits', 'Ctx switch'], full: [] }[profile];
      for (const label of ['Exits', 'Empty polls', 'Ctx switch']) expect(cycles.includes(`${label} 0.0 %`) || cycles.match(new RegExp(`${label} \\d`)) !== null, `${profile} ${label}`).toBe(!unmeasured.includes(label));
      if (unmeasured.length) expect(o.get('[data-testid="cycles-not-measured"]').text(), profile).toBe(`· not measured here: ${unmeasured.join(', ')}`);
      else expect(o.find('[data-testid="cycles-not-measured"]').exists()).toBe(false);
      await new Promise((r) => setTimeout(r, 60));
      await flushPromises();
      const stacked = o.findAll('[data-testid="cycles-chart"] .legend-item').map((x) => x.text().trim());
      for (const label of unmeasured) expect(stacked, `${profile} ${label}`).not.toContain(label);
      expect(stacked, profile).toContain('Idle');
      o.unmount();
      const w = mount(SideCoresView);
      await flushPromises();
      await new Promise((r) => setTimeout(r, 60));
      expect(w.get('[data-core="7"] [data-col="empty-polls"]').text(), profile).toMatch(measured ? /^\d+(\.\d)? %$/ : /^not measured$/);
      expect(names(), profile).toContain('core 7 busy');
      if (measured) expect(names(), profile).toContain('core 7 empty polls');
      else expect(names().some((n) => n.includes('empty polls')), profile).toBe(false);
      w.unmount();
    }
  });

  it('the Decisions charts draw no exits, score or 0-µs latency the host did not measure', async () => {
    const names = (): string[] => lineOptions().flatMap((o) => (o.series as { name?: string }[]).map((x) => x.name ?? ''));
    const p99Points = (): unknown[] => lineOptions().flatMap((o) => (o.series as { name?: string; data?: unknown[] }[]).filter((x) => x.name === 'p99 latency').flatMap((x) => x.data ?? []));
    for (const profile of ['qemu', 'ovs'] as const) {
      setOptions.splice(0);
      await agentHost(profile);
      const w = mount(DecisionsTimeline);
      await flushPromises();
      // (charts are drawn in the next frame)
      await new Promise((r) => setTimeout(r, 60));
      expect(names(), profile).toContain('Requests/s');
      expect(names(), profile).not.toContain('Score');
      expect(names(), profile).not.toContain('Exits/s');
      expect(w.text()).toContain('this host does not measure exits');
      w.unmount();
    }
    // An agent host's intervals with no latency measure (0) are left out of the p99 line.
    setOptions.splice(0);
    const { m } = await agentHost('qemu');
    m.emit('telemetry', { stream: 'live', sessionId: 's1', batch: { snapshots: [3, 4].map((i) => { const x = makeSnapshot({ cores: 8, side: [7], vms: 4, seq: i }); return { ...x, totals: { ...x.totals, latencyUs: { p50: 0, p99: 0, p999: 0 } } }; }), events: [] } });
    const w = mount(DecisionsTimeline);
    await flushPromises();
    await new Promise((r) => setTimeout(r, 60));
    expect(p99Points().length).toBeGreaterThan(0);
    expect(p99Points().every((p) => Array.isArray(p) && (p[1] as number) > 0)).toBe(true);
    w.unmount();
    // An OVS host measures neither: the latency chart says so instead of drawing an empty axis.
    await agentHost('ovs', true);
    const o = mount(DecisionsTimeline);
    await flushPromises();
    expect(o.text()).toContain('This host measures neither request latency nor exits.');
    o.unmount();
    setOptions.splice(0);
    await agentHost('full');
    const f = mount(DecisionsTimeline);
    await flushPromises();
    await new Promise((r) => setTimeout(r, 60));
    expect(names()).toContain('Exits/s');
    f.unmount();
  });

  it('the core map\'s legend lists only the cycle categories the host measures, live and in a replay of an agent session (review 9 item 8)', async () => {
    const legend = (w: ReturnType<typeof mount>) => w.findAll('.legend [data-cycle]').map((x) => x.text().trim());
    const expected = {
      qemu: ['Guest', 'Host busy (not split)', 'Idle'],
      ovs: ['Guest', 'Host busy (not split)', 'Empty polls', 'Idle'],
      full: ['Guest', 'Exits', 'I/O work', 'Empty polls', 'Ctx switch', 'Idle'],
    };
    for (const profile of ['qemu', 'ovs', 'full'] as const) {
      await agentHost(profile);
      for (const view of [HostOverview, ControlsView]) {
        const w = mount(view);
        await flushPromises();
        expect(legend(w), `${profile} ${view === HostOverview ? 'overview' : 'controls'}`).toEqual(expected[profile]);
        w.unmount();
      }
    }
    // A replay of a qemu agent session on a console whose live host is the model: the session's profile.
    const info = { ...makeInfo(8, 4), source: 'agent' as const, observability: observabilityOf('qemu') };
    const summary = { id: 'a3', host: 'kvm-a', source: 'agent' as const, scenario: 'agent', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 0, parentId: null };
    const replayed = { ...makeState(8, 4), replay: { sessionId: 'a3', t0: 0, t1: 10_000, t: 5000, playing: false, speed: 1 } };
    const { m, store, tel } = await setup({ ...sessionApi(summary), getSession: async () => ok({ ...summary, policyConfig: {}, info, appVersion: '0.1.0', t0: 0, t1: 10_000 }) }, replayed);
    await store.start();
    await useReplayStore().load('a3');
    tel.show('replay', 'a3');
    m.emit('telemetry', { stream: 'replay', sessionId: 'a3', batch: { snapshots: [makeSnapshot({ cores: 8, side: [7], vms: 4, seq: 50 })], events: [] } });
    for (const view of [HostOverview, ControlsView]) {
      const w = mount(view);
      await flushPromises();
      expect(w.findAll('[data-core]'), 'the replayed snapshot is shown').toHaveLength(8);
      expect(legend(w), view === HostOverview ? 'overview' : 'controls').toEqual(expected.qemu);
      w.unmount();
    }
  });

  it('shows the model\'s exits on a model host (its truth), whatever its profile', async () => {
    const { m, store } = await setup();
    await store.start();
    feed(m, 3);
    const o = mount(HostOverview);
    await flushPromises();
    expect(o.get('[data-stat="exits"]').text()).toMatch(/^\d.*\/s$/);
  });
});

describe('VmsQueuesView', () => {
  it('sorts, filters and opens a detail panel', async () => {
    const { m } = await setup();
    feed(m, 5);
    const w = mount(VmsQueuesView);
    await flushPromises();
    const names = () => w.findAll('tbody tr[data-vm]').map((r) => r.attributes('data-vm'));
    // opens busiest first
    expect(names()[0]).toBe('vm-2'); // (2*7)%5 = 4 → highest
    const rps = w.findAll('tbody tr[data-vm] td:nth-child(3)').map((td) => td.text());
    expect(rps.length).toBe(4);
    await w.get('[data-sort="name"]').trigger('click');
    expect([...names()].sort()).toEqual(['vm-0', 'vm-1', 'vm-2', 'vm-3']);
    await w.get('[data-testid="vm-filter"]').setValue('db');
    expect(names()).toEqual(expect.arrayContaining(['vm-1', 'vm-3']));
    expect(names()).toHaveLength(2);
    await w.get('tr[data-vm="vm-1"]').trigger('click');
    expect(w.get('[data-testid="vm-detail"]').text()).toContain('vm-1');
    expect(w.get('[data-testid="vm-detail"]').text()).toContain('side core 7');
    expect(w.findAll('svg.sparkline polyline').length).toBeGreaterThan(0);
  });
  it('names what serves a queue no side core owns: the vhost thread of a net queue, the I/O thread of a block one (review 6)', async () => {
    const { m } = await setup();
    const snap = makeSnapshot({ cores: 8, side: [], vms: 4, seq: 0 });
    const vm1 = snap.queues.filter((q) => q.vm === 1);
    expect(vm1.length).toBeGreaterThan(0);
    const blk = { ...snap, queues: snap.queues.map((q) => (q.vm === 1 ? { ...q, kind: 'blk' as const, owner: null } : { ...q, owner: null })) };
    m.emit('telemetry', { stream: 'live', sessionId: 's1', batch: { snapshots: [blk], events: [] } });
    const w = mount(VmsQueuesView);
    await flushPromises();
    await w.get('tr[data-vm="vm-1"]').trigger('click');
    const detail = w.get('[data-testid="vm-detail"]').text();
    expect(detail).toContain('I/O thread');
    expect(detail).not.toContain('vhost thread');
    await w.get('tr[data-vm="vm-0"]').trigger('click');
    expect(w.get('[data-testid="vm-detail"]').text()).toContain('vhost thread');
  });
  it('an agent host\'s VM with no vCPU threads found (vcpus 0) says so instead of 0 / 0 cycles; the others show their run / wait', async () => {
    const state = makeState(8, 4);
    state.connection = { kind: 'agent', url: 'ws://127.0.0.1:7878/agent', name: 'ovs-a' };
    // As the OVS driver reports it: vm-1's port is served by no QEMU with vCPU threads (testpmd, say).
    state.host = { ...state.host!, source: 'agent', observability: observabilityOf('ovs'), vms: state.host!.vms.map((v) => ({ ...v, vcpus: v.id === 1 ? 0 : 2 })) };
    const { m, store } = await setup({}, state);
    await store.start();
    const snap = makeSnapshot({ cores: 8, side: [7], vms: 4, seq: 0 });
    const snaps = [{ ...snap, vms: snap.vms.map((v) => (v.id === 1 ? { ...v, vcpuRunCycles: 0, vcpuWaitCycles: 0 } : { ...v, vcpuRunCycles: 1.5e9, vcpuWaitCycles: 2e8 })) }];
    m.emit('telemetry', { stream: 'live', sessionId: 's1', batch: { snapshots: snaps, events: [] } });
    const w = mount(VmsQueuesView);
    await flushPromises();
    await w.get('tr[data-vm="vm-1"]').trigger('click');
    expect(w.get('[data-testid="vm-vcpu"]').text()).toBe('no vCPU threads found');
    await w.get('tr[data-vm="vm-2"]').trigger('click');
    expect(w.get('[data-testid="vm-vcpu"]').text()).toBe('1.50 G / 200 M cycles');
    w.unmount();
    // A model host's VM is never "not found": its counters are its truth.
    const model = makeState(8, 4);
    model.host = { ...model.host!, vms: model.host!.vms.map((v) => ({ ...v, vcpus: 0 })) };
    const s2 = await setup({}, model);
    await s2.store.start();
    s2.m.emit('telemetry', { stream: 'live', sessionId: 's1', batch: { snapshots: snaps, events: [] } });
    const w2 = mount(VmsQueuesView);
    await flushPromises();
    await w2.get('tr[data-vm="vm-1"]').trigger('click');
    expect(w2.get('[data-testid="vm-vcpu"]').text()).toBe('0.00 / 0.00 cycles');
    w2.unmount();
  });
  it('opens a VM from the keyboard: its name is a button in the row', async () => {
    const { m } = await setup();
    feed(m, 5);
    const w = mount(VmsQueuesView, { attachTo: document.body });
    await flushPromises();
    const open = w.get('[data-open-vm="vm-3"]');
    expect(open.element.tagName).toBe('BUTTON');
    (open.element as HTMLButtonElement).focus();
    expect(document.activeElement).toBe(open.element);
    await open.trigger('click');
    expect(w.get('[data-testid="vm-detail"]').text()).toContain('vm-3');
    expect(open.attributes('aria-pressed')).toBe('true');
    w.unmount();
  });
});

describe('SideCoresView and DecisionsTimeline', () => {
  it('lists side cores with their queues and explains when there are none', async () => {
    const { m } = await setup();
    const w = mount(SideCoresView);
    feed(m, 5, []);
    await flushPromises();
    expect(w.text()).toContain('No side cores in force');
    feed(m, 5, [6, 7], 5);
    await flushPromises();
    expect(w.findAll('[data-testid="side-core-table"] tr[data-core]').map((r) => r.attributes('data-core'))).toEqual(['6', '7']);
  });

  it('in a replay, a seek\'s one snapshot of 2 side cores: the chart panel says there is not enough history yet, never "No side cores" above the table (review 9 item 9)', async () => {
    const summary = { id: 'a4', host: 'kvm-a', source: 'model' as const, scenario: 'mixed', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 0, parentId: null };
    const replayed = { ...makeState(8, 4), replay: { sessionId: 'a4', t0: 0, t1: 10_000, t: 9900, playing: false, speed: 1 } };
    const { m, store, tel } = await setup(sessionApi(summary), replayed);
    await store.start();
    await useReplayStore().load('a4');
    tel.show('replay', 'a4'); // as App does when the state says a replay is open
    const w = mount(SideCoresView);
    const panel = () => w.get('.chart-panel .empty').text();
    await flushPromises();
    expect(panel()).toBe('Waiting for data…');
    // the seek to the end: one snapshot
    m.emit('telemetry', { stream: 'replay', sessionId: 'a4', batch: { snapshots: [makeSnapshot({ cores: 8, side: [6, 7], vms: 4, seq: 99 })], events: [] } });
    await flushPromises();
    expect(w.findAll('[data-testid="side-core-table"] tr[data-core]').map((r) => r.attributes('data-core'))).toEqual(['6', '7']);
    expect(panel()).toMatch(/^Not enough history for a chart yet: .* The table below shows the 2 side cores at the replay position\.$/);
    expect(w.text()).not.toContain('No side cores');
    // played on: the chart draws
    m.emit('telemetry', { stream: 'replay', sessionId: 'a4', batch: { snapshots: [makeSnapshot({ cores: 8, side: [6, 7], vms: 4, seq: 100 })], events: [] } });
    await flushPromises();
    expect(w.find('.chart-panel .empty').exists()).toBe(false);
    w.unmount();
    // a replay position with no side cores says so of that position, not "in force"
    const { m: m2, store: store2, tel: tel2 } = await setup(sessionApi(summary), replayed);
    await store2.start();
    await useReplayStore().load('a4');
    tel2.show('replay', 'a4');
    const v = mount(SideCoresView);
    m2.emit('telemetry', { stream: 'replay', sessionId: 'a4', batch: { snapshots: [makeSnapshot({ cores: 8, side: [], vms: 4, seq: 99 })], events: [] } });
    await flushPromises();
    expect(v.get('.chart-panel .empty').text()).toBe('No side cores at the replay position: every queue is served by vhost threads.');
    expect(v.get('[data-testid="no-side-cores"]').text()).toBe('No side cores at the replay position.');
    v.unmount();
  });

  it('live, one snapshot of a side core: not enough history for the chart yet, and the table lists it', async () => {
    const { m } = await setup();
    const w = mount(SideCoresView);
    feed(m, 1, [7]);
    await flushPromises();
    expect(w.get('.chart-panel .empty').text()).toBe('Not enough history for a chart yet: it draws from the second snapshot. The table below shows the side core in force.');
    expect(w.findAll('[data-testid="side-core-table"] tr[data-core]')).toHaveLength(1);
  });

  it('lists decisions and overrides but hides quiet stays unless asked', async () => {
    const { m } = await setup();
    const w = mount(DecisionsTimeline);
    feed(m, 5);
    await flushPromises();
    const kinds = () => w.findAll('[data-testid="event-list"] tbody tr').map((r) => r.text());
    expect(kinds()).toHaveLength(2);
    expect(kinds().join()).toContain('idle I/O capacity');
    expect(kinds().join()).toContain('idle I/O capacity 0.05 cores');
    await w.get('input[type="checkbox"]').setValue(true);
    expect(kinds()).toHaveLength(3);
  });

  it('lists the recorded session\'s earlier decisions too, not only those the live rings still hold', async () => {
    // after a page load the rings hold the last minute; the session decided long before
    const early = { t: 900, source: 'policy' as const, kind: 'decision' as const, message: 'change: settle on 0 side cores', data: { policy: 'iocm', decision: { kind: 'change', actions: [], reason: 'r', metrics: {} }, applied: [] } };
    const { m, store } = await setup({ getSessionEvents: async ({ sessionId }) => ok(sessionId === 's1' ? [early] : []) });
    await store.start();
    const w = mount(DecisionsTimeline);
    m.emit('telemetry', { stream: 'live', sessionId: 's1', batch: { snapshots: [0, 1, 2].map((i) => makeSnapshot({ cores: 8, side: [7], vms: 4, seq: 600 + i })), events: [] } });
    await flushPromises();
    const rows = w.findAll('[data-testid="event-list"] tbody tr').map((r) => r.text());
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('settle on 0 side cores');
    expect(w.text()).not.toContain('No decisions or overrides yet');
  });
});

describe('ControlsView', () => {
  it('validates thresholds before sending and shows the host’s field errors', async () => {
    const { m, store } = await setup({
      setPolicy: async ({ config }) =>
        (config.window as number) > 50 ? err('invalid-argument', 'Window must be at most 50 epochs for this policy.', 'config.window') : ok({ ...makeState().loop!, policy: 'iocm', config }),
    });
    await store.start();
    const w = mount(ControlsView);
    await flushPromises();
    expect((w.get('[data-field="addThreshold"]').element as HTMLInputElement).value).toBe('0.12');
    await w.get('[data-field="addThreshold"]').setValue('1.5');
    await w.get('form.fields').trigger('submit');
    await flushPromises();
    expect(w.text()).toContain('Add threshold must be at most 1');
    expect(m.calls.some((c) => c.method === 'setPolicy')).toBe(false);
    await w.get('[data-field="addThreshold"]').setValue('0.2');
    await w.get('[data-field="window"]').setValue('60');
    await w.get('form.fields').trigger('submit');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'setPolicy')?.args).toEqual({ name: 'iocm', config: { addThreshold: 0.2, window: 60 } });
    expect(w.text()).toContain('Window must be at most 50 epochs');
    await w.get('[data-field="window"]').setValue('30');
    await w.get('form.fields').trigger('submit');
    await flushPromises();
    expect(w.text()).toContain('Policy iocm in force');
    expect(w.get('[data-testid="audit-log"]').text()).toContain('pin core 2');
  });

  it('pauses the loop and locks the count', async () => {
    const state = makeState();
    const { store } = await setup({
      pauseLoop: async () => ok({ ...state.overrides, paused: true }),
      lockSideCoreCount: async ({ min, max }) => ok({ ...state.overrides, countLock: [min, max] as [number, number] }),
    });
    await store.start();
    const w = mount(ControlsView);
    await flushPromises();
    await w.get('[data-testid="pause-toggle"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="loop-state"]').text()).toBe('Paused by operator');
    expect(w.get('[data-testid="pause-toggle"]').text()).toBe('Resume loop');
    await w.get('input[aria-label="minimum side cores"]').setValue('2');
    await w.get('input[aria-label="maximum side cores"]').setValue('3');
    await w.get('[data-testid="lock-form"]').trigger('submit');
    await flushPromises();
    expect(w.text()).toContain('Locked to 2–3 side cores');
  });

  it('the lock form sends only what was typed, explains mistakes in words and resyncs after a refusal', async () => {
    const state = makeState();
    const { m, store } = await setup({
      lockSideCoreCount: async ({ min, max }) =>
        max === 5 ? err('refused', 'Refused: the model cannot run 5 side cores now.') : ok({ ...state.overrides, countLock: [min, max] as [number, number] }),
    });
    await store.start();
    feed(m, 3);
    const w = mount(ControlsView);
    await flushPromises();
    const min = w.get('input[aria-label="minimum side cores"]');
    const max = w.get('input[aria-label="maximum side cores"]');
    const submit = async () => {
      await w.get('[data-testid="lock-form"]').trigger('submit');
      await flushPromises();
    };
    const lockCalls = () => m.calls.filter((c) => c.method === 'lockSideCoreCount');
    // empty min: nothing sent, the field named in words
    await max.setValue('2');
    await submit();
    expect(lockCalls()).toHaveLength(0);
    expect(w.get('[data-testid="lock-error"]').text()).toBe('Enter the minimum number of side cores.');
    // min above max: words, not API names
    await min.setValue('3');
    await submit();
    expect(lockCalls()).toHaveLength(0);
    expect(w.get('[data-testid="lock-error"]').text()).toBe('The minimum (3) is above the maximum (2).');
    // a valid lock: preview, then exactly what was typed is sent
    await min.setValue('1');
    expect(w.get('[data-testid="lock-preview"]').text()).toContain('The policy chooses between 1 and 2 side cores');
    await submit();
    expect(lockCalls().at(-1)?.args).toEqual({ min: 1, max: 2 });
    expect(w.get('[data-testid="lock-state"]').text()).toContain('Locked to 1–2');
    // a refusal: the message in words, and the inputs back to the lock in force
    await min.setValue('4');
    await max.setValue('5');
    await submit();
    expect(w.text()).toContain('The lock was refused: Refused: the model cannot run 5 side cores now.');
    expect((min.element as HTMLInputElement).value).toBe('1');
    expect((max.element as HTMLInputElement).value).toBe('2');
  });
  it('does not send a lock the pins in force rule out, and says why', async () => {
    const base = makeState();
    const { m, store } = await setup({}, { ...base, overrides: { ...base.overrides, pinned: [5] } });
    await store.start();
    feed(m, 3);
    const w = mount(ControlsView);
    await flushPromises();
    await w.get('input[aria-label="minimum side cores"]').setValue('0');
    await w.get('input[aria-label="maximum side cores"]').setValue('0');
    // no preview of a change the host would refuse
    expect(w.find('[data-testid="lock-preview"]').exists()).toBe(false);
    await w.get('[data-testid="lock-form"]').trigger('submit');
    await flushPromises();
    expect(m.calls.filter((c) => c.method === 'lockSideCoreCount')).toHaveLength(0);
    expect(w.get('[data-testid="lock-error"]').text()).toContain('1 core is pinned as side cores (5), more than a maximum of 0');
  });
});

describe('SessionsView', () => {
  it('searches, opens a session and drives the replay', async () => {
    const replay = { sessionId: 's1', t0: 0, t1: 10_000, t: 0, playing: false, speed: 1 };
    const summary = { id: 's1', host: 'h', source: 'model' as const, scenario: 'mixed', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 3, parentId: null };
    const { m, store } = await setup({
      listSessions: async ({ search }) => ok(search && !'mixed'.includes(search) ? [] : [summary]),
      getSession: async () => ok({ ...summary, policyConfig: {}, info: null, appVersion: '0.1.0', t0: 0, t1: 10_000 }),
      querySeries: async ({ series }) => ok({ t: [0, 5000, 10_000], series: series.map((key) => ({ key, values: [1, 2, 3] })), resolutionMs: 5000 }),
      openReplay: async () => ok(replay),
      replaySeek: async ({ t }) => ok({ ...replay, t }),
      replayPlay: async () => ok({ ...replay, playing: true }),
    });
    await store.start();
    const w = mount(SessionsView);
    await flushPromises();
    expect(w.findAll('[data-session]')).toHaveLength(1);
    await w.get('[data-session="s1"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="session-detail"]').text()).toContain('mixed · iocm');
    await w.get('[data-testid="open-replay"]').trigger('click');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'openReplay')?.args).toEqual({ sessionId: 's1' });
    const scrub = w.get('[data-testid="scrubber"]');
    await scrub.setValue('5000');
    await scrub.trigger('change');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'replaySeek')?.args).toEqual({ t: 5000 });
    m.emit('telemetry', { stream: 'replay', sessionId: 's1', batch: { snapshots: [makeSnapshot({ cores: 8, side: [7], vms: 4, seq: 49 })], events: [] } });
    await flushPromises();
    expect(w.get('[data-testid="replay-values"]').text()).toContain('score 149');
    await w.get('[data-testid="play"]').trigger('click');
    await flushPromises();
    expect(w.find('[data-testid="pause"]').exists()).toBe(true);
    // a model session offers a what-if re-run
    expect(w.find('[data-testid="run-whatif"]').exists()).toBe(true);
    expect(w.find('[data-testid="whatif-unavailable"]').exists()).toBe(false);
  });

  it('the replay position of an agent session follows its recorded host: its objective, not a 0.00 score, and "—" for a latency it did not measure (review 8 item 9)', async () => {
    const replay = { sessionId: 'a2', t0: 0, t1: 10_000, t: 0, playing: false, speed: 1 };
    const summary = { id: 'a2', host: 'kvm-a', source: 'agent' as const, scenario: 'agent', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 3, parentId: null };
    const info = { ...makeInfo(8, 4), source: 'agent' as const, observability: observabilityOf('qemu') };
    const { m, store } = await setup({
      ...sessionApi(summary),
      getSession: async () => ok({ ...summary, policyConfig: {}, info, appVersion: '0.1.0', t0: 0, t1: 10_000 }),
      openReplay: async () => ok(replay),
    });
    await store.start();
    const w = mount(SessionsView);
    await flushPromises();
    await w.get('[data-session="a2"]').trigger('click');
    await flushPromises();
    await w.get('[data-testid="open-replay"]').trigger('click');
    await flushPromises();
    const x = makeSnapshot({ cores: 8, side: [7], vms: 4, seq: 600 });
    // what a qemu agent sends: no truth score, no latency percentiles
    const snap = { ...x, totals: { ...x.totals, score: 0, latencyUs: { p50: 0, p99: 0, p999: 0 } } };
    m.emit('telemetry', { stream: 'replay', sessionId: 'a2', batch: { snapshots: [snap], events: [] } });
    await flushPromises();
    const line = w.get('[data-testid="replay-values"]').text().replace(/\s+/g, ' ');
    expect(line).toContain(`objective ${si(objectiveOf(snap, info))}`);
    expect(line).toContain('block time (mean) — ·');
    expect(line).not.toMatch(/score|0\.0 µs/);
  });

  it("marks the session's decisions and overrides on its history chart, with wall-clock time on the axis", async () => {
    const summary = { id: 's5', host: 'h', source: 'model' as const, scenario: 'mixed', policy: 'iocm', startedAt: Date.UTC(2026, 0, 1, 12, 0, 0), recordedFrom: Date.UTC(2026, 0, 1, 12, 0, 0), endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 1, parentId: null };
    const decision = { t: 4000, source: 'policy' as const, kind: 'decision' as const, message: 'add a side core', data: {} };
    const override = { t: 7000, source: 'operator' as const, kind: 'override' as const, message: 'pin core 2', data: {} };
    const { store } = await setup({
      ...sessionApi(summary),
      getSessionEvents: async () => ok([decision, override]),
    });
    await store.start();
    setOptions.length = 0;
    const w = mount(SessionsView);
    await flushPromises();
    await w.get('[data-session="s5"]').trigger('click');
    await flushPromises();
    await new Promise((r) => setTimeout(r, 60)); // charts draw in the next frame
    const opt = lineOptions().filter((o) => (o.series as { name: string }[])[0].name === 'Score').at(-1)!;
    const marks = ((opt.series as { markLine?: { data: { xAxis: number }[] } }[])[0].markLine?.data ?? []).map((d) => d.xAxis);
    expect(marks).toEqual([4000, 7000]);
    const label = (opt.xAxis as { axisLabel: { formatter: (v: number) => string } }).axisLabel.formatter(4000);
    expect(label).toContain(wallTime(summary.startedAt, 4000).slice(0, 5));
    w.unmount();
  });

  it('opens a session from the keyboard: its start time is a button in the row', async () => {
    const summary = { id: 's9', host: 'h', source: 'model' as const, scenario: 'mixed', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 3, parentId: null };
    const { store } = await setup({
      ...sessionApi(summary),
    });
    await store.start();
    const w = mount(SessionsView, { attachTo: document.body });
    await flushPromises();
    const open = w.get('[data-open-session="s9"]');
    expect(open.element.tagName).toBe('BUTTON');
    expect(open.attributes('aria-label')).toContain('mixed, iocm');
    (open.element as HTMLButtonElement).focus();
    expect(document.activeElement).toBe(open.element);
    await open.trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="session-detail"]').text()).toContain('mixed · iocm');
    expect(open.attributes('aria-pressed')).toBe('true');
    w.unmount();
  });

  it('follows a session being recorded: its length and counts are re-read every 5 s', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      let snapshots = 100;
      const live = () => ({ id: 'r1', host: 'h', source: 'model' as const, scenario: 'mixed', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: null, durationMs: snapshots * 100, snapshots, decisions: 3, parentId: null });
      const { m, store } = await setup({
        listSessions: async () => ok([live()]),
        getSession: async () => ok({ ...live(), policyConfig: {}, info: null, appVersion: '0.1.0', t0: 0, t1: snapshots * 100 }),
        querySeries: async ({ series }) => ok({ t: [0, 5000], series: series.map((key) => ({ key, values: [1, 2] })), resolutionMs: 5000 }),
      });
      await store.start();
      const w = mount(SessionsView);
      await flushPromises();
      await w.get('[data-session="r1"]').trigger('click');
      await flushPromises();
      expect(w.get('[data-testid="session-detail"]').text()).toContain('100 snapshots');
      snapshots = 250;
      const calls = m.calls.filter((c) => c.method === 'getSession').length;
      vi.advanceTimersByTime(5000);
      await flushPromises();
      expect(w.get('[data-testid="session-detail"]').text()).toContain('250 snapshots');
      expect(w.get('[data-session="r1"]').text()).toContain('0:25');
      expect(m.calls.filter((c) => c.method === 'getSession').length).toBe(calls + 1);
      w.unmount();
    } finally {
      vi.useRealTimers();
    }
  });

  it('turns replay, export and what-if off while the console server is lost, and back on with it', async () => {
    const summary = { id: 's3', host: 'h', source: 'model' as const, scenario: 'mixed', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 3, parentId: null };
    const { store } = await setup({
      ...sessionApi(summary),
    });
    await store.start();
    const w = mount(SessionsView);
    await flushPromises();
    await w.get('[data-session="s3"]').trigger('click');
    await flushPromises();
    await w.get('[data-testid="whatif-policy"]').setValue(store.policies[0].name);
    const buttons = ['open-replay', 'export-csv', 'export-csv-wide', 'export-json', 'export-sqlite', 'run-whatif'];
    const off = (): boolean[] => buttons.map((b) => w.get(`[data-testid="${b}"]`).attributes('disabled') !== undefined);
    expect(off()).toEqual(buttons.map(() => false));
    expect(w.find('[data-testid="sessions-offline"]').exists()).toBe(false);
    store.setLink('reconnecting');
    await flushPromises();
    expect(off()).toEqual(buttons.map(() => true));
    expect(w.get('[data-testid="sessions-offline"]').text()).toContain('cannot be reached');
    store.setLink('open');
    await flushPromises();
    expect(off()).toEqual(buttons.map(() => false));
  });

  it('what-if takes the count of static:K (checked before sending, sent as config.k) and shows a refused count under its field (review 8 item 3)', async () => {
    const summary = { id: 's4', host: 'h', source: 'model' as const, scenario: 'mixed', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 3, parentId: null };
    const STATIC = {
      name: 'static',
      description: 'A fixed number K of side cores',
      defaults: { k: 1 },
      fields: [{ key: 'k', label: 'Side cores', description: 'Fixed number of side cores', type: 'integer' as const, min: 0, max: 1024 }],
    };
    const asked: { policy: string; config?: Record<string, unknown> }[] = [];
    const comparison = { base: { sessionId: 's4', policy: 'iocm' }, other: { sessionId: 'w4', policy: 'static:3' }, rows: [{ metric: 'score', phase: 'total', base: 100, other: 90, unit: '' }] };
    const { store } = await setup({
      ...sessionApi(summary),
      listPolicies: async () => ok([POLICY, { name: 'vhost', description: 'no side cores', defaults: {}, fields: [] }, STATIC]),
      whatIf: async (a) => {
        asked.push(a);
        const k = a.config?.k as number;
        return k > 7 ? err('invalid-argument', 'static:K: K must be at most 7 on a 8-core host (at least one VM core), got 9', 'config.k') : ok(comparison);
      },
    });
    await store.start();
    const w = mount(SessionsView);
    await flushPromises();
    await w.get('[data-session="s4"]').trigger('click');
    await flushPromises();
    // a policy without a count shows no count field
    await w.get('[data-testid="whatif-policy"]').setValue('vhost');
    expect(w.find('[data-testid="whatif-form"] [data-field="k"]').exists()).toBe(false);
    await w.get('[data-testid="whatif-policy"]').setValue('static');
    const k = w.get('[data-testid="whatif-form"] [data-field="k"]');
    expect((k.element as HTMLInputElement).value).toBe('1');
    expect(w.get('label[for="wf-k"]').text()).toBe('Side cores');
    // a mistake is explained under the field and nothing is sent
    await k.setValue('two');
    await w.get('[data-testid="run-whatif"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-field-error="k"]').text()).toBe('Side cores must be a number');
    expect(asked).toEqual([]);
    await k.setValue('3');
    expect(w.find('[data-field-error="k"]').exists()).toBe(false);
    await w.get('[data-testid="whatif-form"]').trigger('submit'); // Enter in the field
    await flushPromises();
    expect(asked).toEqual([expect.objectContaining({ sessionId: 's4', policy: 'static', config: { k: 3 } })]);
    expect(w.get('[data-testid="comparison"]').text()).toContain('iocm vs static:3');
    // the host's refusal of the count lands under the count, not as a loose error
    await k.setValue('9');
    await w.get('[data-testid="run-whatif"]').trigger('click');
    await flushPromises();
    expect(asked.at(-1)).toMatchObject({ policy: 'static', config: { k: 9 } });
    expect(w.get('[data-field-error="k"]').text()).toContain('K must be at most 7 on a 8-core host');
    expect(w.get('[data-testid="whatif-form"] [data-field="k"]').attributes('aria-invalid')).toBe('true');
    // a policy with settings: they are there, and only what was changed is sent
    await w.get('[data-testid="whatif-policy"]').setValue('iocm');
    expect(w.find('[data-field-error="k"]').exists()).toBe(false);
    expect(w.get('[data-testid="whatif-settings"]').text()).toContain('Settings (2');
    await w.get('[data-testid="whatif-settings"] [data-field="window"]').setValue('30');
    await w.get('[data-testid="run-whatif"]').trigger('click');
    await flushPromises();
    expect(asked.at(-1)).toEqual(expect.objectContaining({ policy: 'iocm', config: { window: 30 } }));
  });

  it('labels a session by the policies it ran and its operator overrides, and says a what-if base was that mix (review 8 item 13)', async () => {
    const control = { policies: ['iocm', 'static:2', 'static:15', 'iocm'], policyChanges: 3, overrides: 2 };
    const mixed = { id: 'm1', host: 'h', source: 'model' as const, scenario: 'mixed', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 3, parentId: null, control };
    const plain = { ...mixed, id: 'p1', control: { policies: ['vhost'], policyChanges: 0, overrides: 0 }, policy: 'vhost' };
    const comparison = { base: { sessionId: 'm1', policy: 'iocm' }, other: { sessionId: 'w1', policy: 'vhost' }, rows: [{ metric: 'score', phase: 'total', base: 100, other: 90, unit: '' }] };
    const { store } = await setup({
      ...sessionApi(mixed),
      listSessions: async () => ok([mixed, plain]),
      whatIf: async () => ok(comparison),
    });
    await store.start();
    const w = mount(SessionsView);
    await flushPromises();
    const cell = (id: string) => w.get(`[data-session="${id}"] [data-col="policy"]`).text().replace(/\s+/g, ' ');
    expect(cell('m1')).toBe('iocm → static:2 → static:15 → iocm (3 policy changes, 2 operator overrides)');
    expect(cell('p1')).toBe('vhost');
    await w.get('[data-session="m1"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="session-detail"] h3').text()).toBe('mixed · iocm → static:2 → static:15 → iocm');
    expect(w.get('[data-testid="session-control"]').text().replace(/\s+/g, ' ')).toContain('3 policy changes, 2 operator overrides');
    await w.get('[data-testid="whatif-policy"]').setValue('vhost');
    await w.get('[data-testid="run-whatif"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="comparison"] h3').text()).toBe('iocm (as recorded, mixed) vs vhost');
    expect(w.get('[data-testid="whatif-base-note"]').text().replace(/\s+/g, ' ')).toBe(
      'The recorded session did not run iocm throughout: iocm → static:2 → static:15 → iocm (3 policy changes, 2 operator overrides). The base is the session as recorded; the re-run runs vhost throughout, with no operator overrides.',
    );
  });

  it('offers what-if on a session recorded from a real host, says it runs an inferred scenario, and shows the replica against the recording', async () => {
    const summary = { id: 'a1', host: 'kvm-a', source: 'agent' as const, scenario: 'agent', policy: 'iocm', startedAt: 0, recordedFrom: 0, endedAt: 1, durationMs: 10_000, snapshots: 100, decisions: 3, parentId: null };
    const asked: unknown[] = [];
    const comparison = {
      base: { sessionId: 'r1', policy: 'replica' },
      other: { sessionId: 'w1', policy: 'vhost' },
      rows: [{ metric: 'score', phase: 'total', base: 100, other: 90, unit: '' }],
      replica: {
        sessionId: 'r1',
        recordedSessionId: 'a1',
        fidelity: [{ group: 'web', metric: 'requests/s', recorded: 1000, model: 980, unit: '/s' }],
        notes: ['offered work is what the host delivered in each interval'],
      },
    };
    const { store } = await setup({
      ...sessionApi(summary),
      whatIf: async (a: unknown) => (asked.push(a), ok(comparison)),
    });
    await store.start();
    const w = mount(SessionsView);
    await flushPromises();
    await w.get('[data-session="a1"]').trigger('click');
    await flushPromises();
    expect(w.find('[data-testid="whatif-unavailable"]').exists()).toBe(false);
    expect(w.get('[data-testid="whatif-inferred"]').text()).toContain('Recorded from a real host (agent), which reports no scenario');
    await w.get('[data-testid="whatif-policy"]').setValue('vhost');
    await w.get('[data-testid="run-whatif"]').trigger('click');
    await flushPromises();
    expect(asked).toEqual([expect.objectContaining({ sessionId: 'a1', policy: 'vhost' })]);
    const rep = w.get('[data-testid="whatif-replica"]');
    expect(rep.text()).toContain('inferred from session a1');
    expect(rep.text()).toMatch(/web\s*requests\/s\s*1(\.00)? k\/s\s*980 \/s\s*-2\.0 %/);
    expect(rep.text()).toContain('What the inference assumed (1)');
  });
});

describe('ConnectView and App', () => {
  it('connects an agent beside the other hosts with address, password token, certificate and name; errors in words', async () => {
    const { m, store } = await setup({ connectAgent: async () => err('not-ready', 'Could not connect to the agent at ws://10.0.0.1:7878: connection refused.', 'url') });
    await store.start();
    const w = mount(ConnectView);
    await flushPromises();
    expect(w.text()).toContain('mixed');
    expect(w.get('[data-testid="agent-token"]').attributes('type')).toBe('password');
    expect(w.get('[data-testid="connect-agent"]').attributes('disabled')).toBeDefined();
    await w.get('[data-testid="agent-url"]').setValue(' ws://10.0.0.1:7878 ');
    await w.get('[data-testid="agent-token"]').setValue('s3cret-token');
    await w.get('[data-testid="agent-name"]').setValue('kvm-7');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    await w.get('[data-testid="agent-ca"]').setValue(pem);
    await w.get('[data-testid="agent-form"]').trigger('submit');
    await flushPromises();
    // an agent joins the hosts: no recording ends, so nothing to confirm
    expect(w.find('[data-testid="confirm-end-recording"]').exists()).toBe(false);
    const call = m.calls.find((c) => c.method === 'connectAgent');
    expect(call?.args).toEqual({ url: 'ws://10.0.0.1:7878', token: 's3cret-token', ca: pem, name: 'kvm-7' });
    expect(w.get('.connect-view [role="alert"]').text()).toContain('connection refused');
    // a certificate file that is too large is refused before it is read
    const input = w.get('[data-testid="agent-ca-file"]');
    const big = new File(['x'.repeat(70 * 1024)], 'huge.pem');
    Object.defineProperty(input.element, 'files', { value: [big], configurable: true });
    await input.trigger('change');
    await flushPromises();
    expect(w.text()).toContain('huge.pem is 70 KiB: a certificate file is at most 64 KiB of PEM text.');
    const small = new File([pem], 'ca.pem');
    Object.defineProperty(input.element, 'files', { value: [small], configurable: true });
    await w.get('[data-testid="agent-ca"]').setValue('');
    await input.trigger('change');
    await flushPromises();
    expect((w.get('[data-testid="agent-ca"]').element as HTMLTextAreaElement).value).toBe(pem);
  });

  it('asks before the model replaces a recorded host, and adds a model beside the others without asking', async () => {
    const { m, store } = await setup({ connectModel: async () => ok(makeState(8, 4)) });
    await store.start();
    const w = mount(ConnectView);
    await flushPromises();
    await w.get('[data-testid="connect-model"]').trigger('click');
    await flushPromises();
    expect(m.calls.some((c) => c.method === 'connectModel')).toBe(false);
    expect(w.get('[data-testid="confirm-end-recording"]').text()).toContain('ends the session being recorded now (s1)');
    await w.get('[data-testid="cancel-connect"]').trigger('click');
    expect(w.find('[data-testid="confirm-end-recording"]').exists()).toBe(false);
    await w.get('[data-testid="add-model"]').setValue(true);
    expect(w.get('[data-testid="connect-model"]').text()).toBe('Add model');
    await w.get('[data-testid="connect-model"]').trigger('click');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'connectModel')?.args).toEqual({ scenario: 'fixture', seed: 1, speed: 1, add: true });
  });

  it('checks seed and speed before asking or sending: an empty seed is not sent as 0, speed 0 is explained', async () => {
    const { m, store } = await setup({ connectModel: async () => ok(makeState(8, 4)) });
    await store.start();
    const w = mount(ConnectView);
    await flushPromises();
    expect(w.get('#speed-hint').text()).toContain('Speed 0 runs the model as fast as this machine can');
    const seed = w.get('input[aria-label="seed"]');
    const speed = w.get('input[aria-label="speed"]');
    for (const [field, value, words] of [
      [seed, '', 'Seed: enter a whole number'],
      [seed, '1.5', 'Seed: enter a whole number'],
      [speed, '0.1', 'Speed: enter 0'],
      [speed, '100', 'Speed: enter 0'],
    ] as const) {
      await seed.setValue('1');
      await speed.setValue('1');
      await field.setValue(value);
      await w.get('[data-testid="connect-model"]').trigger('click');
      await flushPromises();
      // no "End recording?" question for a form that cannot be sent, and nothing sent
      expect(w.find('[data-testid="confirm-end-recording"]').exists(), `${value}`).toBe(false);
      expect(w.get('[data-testid="connect-form-error"]').text()).toContain(words);
      expect(m.calls.some((c) => c.method === 'connectModel')).toBe(false);
    }
    await speed.setValue('1');
    await seed.setValue('0');
    expect(w.find('[data-testid="connect-form-error"]').exists()).toBe(false);
    await speed.setValue('0');
    await w.get('[data-testid="connect-model"]').trigger('click');
    await flushPromises();
    await w.get('[data-testid="confirm-connect"]').trigger('click');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'connectModel')?.args).toEqual({ scenario: 'fixture', seed: 0, speed: 0 });
  });

  it('lists the connected hosts with their link, and disconnects one after confirming', async () => {
    const rows = [fleetRow('h1', 'model-a', true), { ...fleetRow('h2', 'kvm-b', false), kind: 'agent' as const, address: 'wss://kvm-b:7878', link: { state: 'reconnecting' as const, since: 0, attempts: 3, error: 'connection refused' } }];
    const { m, store } = await setup({ listHosts: async () => ok(rows), disconnectHost: async () => ok(makeState(8, 4)), selectHost: async () => ok(makeState(8, 4)) });
    await store.start();
    const w = mount(ConnectView);
    await flushPromises();
    const list = w.get('[data-testid="host-list"]');
    expect(list.findAll('tbody tr')).toHaveLength(2);
    expect(list.get('[data-host="h2"] [data-col="link"]').text()).toBe('reconnecting · 3 attempts · connection refused');
    expect(list.get('[data-host="h2"]').text()).toContain('wss://kvm-b:7878');
    await list.get('[data-disconnect="h2"]').trigger('click');
    await flushPromises();
    expect(m.calls.some((c) => c.method === 'disconnectHost')).toBe(false);
    expect(w.get('[data-testid="confirm-disconnect"]').text()).toContain('Disconnect kvm-b?');
    await w.get('[data-testid="confirm-disconnect-yes"]').trigger('click');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'disconnectHost')?.args).toEqual({ hostId: 'h2' });
    await w.get('[data-select="h2"]').trigger('click');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'selectHost')?.args).toEqual({ hostId: 'h2' });
  });

  it('switches hosts from the header and stops/starts recording after confirming', async () => {
    const rows = [fleetRow('h1', 'model-a', true), fleetRow('h2', 'model-b', false)];
    const stopped = { ...makeState(8, 4), recording: { sessionId: null, dbPath: '/tmp/x.db', error: null } };
    const { m, store } = await setup({
      listHosts: async () => ok(rows),
      selectHost: async ({ hostId }) => ok({ ...makeState(8, 4), hostId }),
      recordStop: async () => ok(stopped),
      recordStart: async () => ok({ ...makeState(8, 4), recording: { sessionId: 's2', dbPath: '/tmp/x.db', error: null } }),
    });
    await store.start();
    const w = mount(App);
    await flushPromises();
    const sw = w.get('[data-testid="host-switcher"]');
    expect(sw.attributes('aria-label')).toBe('Host shown in every view');
    expect(sw.findAll('option').map((o) => o.text())).toEqual(['model-a · model', 'model-b · model']);
    await sw.setValue('h2');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'selectHost')?.args).toEqual({ hostId: 'h2' });
    expect(store.hostId).toBe('h2');
    expect(w.get('[data-testid="recording-chip"]').text()).toBe('● recording');
    await w.get('[data-testid="record-stop"]').trigger('click');
    expect(m.calls.some((c) => c.method === 'recordStop')).toBe(false);
    expect(w.get('[data-testid="confirm-stop-recording"]').text()).toContain('This ends session s1');
    await w.get('[data-testid="confirm-record-stop"]').trigger('click');
    await flushPromises();
    expect(m.calls.some((c) => c.method === 'recordStop')).toBe(true);
    expect(w.get('[data-testid="recording-chip"]').text()).toBe('not recording');
    await w.get('[data-testid="record-start"]').trigger('click');
    await flushPromises();
    expect(m.calls.some((c) => c.method === 'recordStart')).toBe(true);
    expect(w.get('[data-testid="recording-chip"]').text()).toBe('● recording');
  });

  it('navigates between views and shows the connection', async () => {
    const { store } = await setup();
    await store.start();
    const w = mount(App);
    await flushPromises();
    expect(w.get('[data-testid="connection"]').text()).toContain('Model · fixture');
    // Views other than the overview are lazy chunks: wait for their import.
    const appear = async (sel: string): Promise<boolean> => {
      for (let i = 0; i < 50 && !w.find(sel).exists(); i++) {
        await flushPromises();
        await new Promise((r) => setTimeout(r, 10));
      }
      return w.find(sel).exists();
    };
    await w.get('[data-view="vms"]').trigger('click');
    expect(await appear('[data-testid="vm-table"]')).toBe(true);
    await w.get('[data-view="connect"]').trigger('click');
    expect(await appear('[data-testid="scenario-list"]')).toBe(true);
  });
  it('says the console server is lost, drops the live status and turns the controls off until it is back', async () => {
    const { m, store } = await setup();
    await store.start();
    feed(m, 3);
    history.replaceState(null, '', '#/overview');
    const w = mount(App, { props: { connectionState: 'open' } });
    await flushPromises();
    expect(w.find('[data-testid="server-lost"]').exists()).toBe(false);
    expect(w.find('[data-testid="loop-chip"]').exists()).toBe(true);
    expect(w.findAll('.core-tile:not([disabled])').length).toBeGreaterThan(0);
    await w.setProps({ connectionState: 'reconnecting' });
    await flushPromises();
    const banner = w.get('[data-testid="server-lost"]');
    expect(banner.attributes('role')).toBe('alert');
    expect(banner.text()).toContain('Lost the connection to the console server at');
    expect(banner.text()).toContain('not live');
    // no "running" / "recording" chips that read as live
    expect(w.find('[data-testid="loop-chip"]').exists()).toBe(false);
    expect(w.find('[data-testid="recording-chip"]').exists()).toBe(false);
    expect(store.connected).toBe(false);
    // the core map no longer offers pins
    expect(w.findAll('.core-tile:not([disabled])')).toHaveLength(0);
    await w.setProps({ connectionState: 'unauthorized' });
    expect(w.get('[data-testid="server-lost"]').text()).toContain("refused this page's token");
    expect(w.text()).toContain('Access refused: the link token is wrong or expired.');
    // A page opened with no token at all is told that, and where to get a link with one.
    await w.setProps({ connectionState: 'no-token' });
    const none = w.get('[data-testid="server-lost"]').text();
    expect(none).toContain('This page was opened without its token');
    expect(none).toContain('npm run serve');
    expect(none).toContain('#token=…');
    expect(none).not.toContain('refused');
    expect(w.text()).toContain('No access: the link carries no token.');
    expect(w.text()).not.toContain('wrong or expired');
    await w.setProps({ connectionState: 'open' });
    await flushPromises();
    expect(w.find('[data-testid="server-lost"]').exists()).toBe(false);
    expect(store.connected).toBe(true);
  });
});

describe('FleetView', () => {
  it('shows one row per host, sorts by a column, follows the fleet stream, and opens a host', async () => {
    const a = { ...fleetRow('h1', 'alpha', true), objective: 500, sideCores: 2 };
    const b = { ...fleetRow('h2', 'bravo', false), kind: 'agent' as const, address: 'wss://bravo:7878', cores: 32, objective: 2500, alerts: { refusals: 2, errors: 0, latency: 'runnable vCPUs wait 80 % of their run time for a core (ceiling 50 %)', last: 'refused: pin core 9' }, link: { state: 'connected' as const, since: 0, attempts: 0, error: null } };
    const { m, store } = await setup({ listHosts: async () => ok([a, b]), selectHost: async ({ hostId }) => ok({ ...makeState(8, 4), hostId }) });
    await store.start();
    const w = mount(FleetView);
    await flushPromises();
    const names = () => w.findAll('tbody tr').map((r) => r.attributes('data-host'));
    // opens with the hosts that need attention first (alerts, descending)
    expect(names()).toEqual(['h2', 'h1']);
    expect(w.get('[data-host="h2"] [data-col="alerts"]').text()).toBe('2 refusals · latency: runnable vCPUs wait 80 % of their run time for a core (ceiling 50 %)');
    expect(w.get('[data-host="h1"] [data-col="alerts"]').text()).toBe('none');
    expect(w.get('[data-host="h1"] [data-col="link"]').text()).toBe('embedded model');
    expect(w.get('[data-host="h2"] [data-col="objective"]').text()).toBe('2.50 k');
    await w.get('[data-sort="name"]').trigger('click');
    expect(names()).toEqual(['h1', 'h2']);
    expect(w.get('th[aria-sort="ascending"]').text()).toContain('Host');
    await w.get('[data-sort="name"]').trigger('click');
    expect(names()).toEqual(['h2', 'h1']);
    // the fleet stream replaces the rows
    m.emit('fleet', [a, { ...b, link: { state: 'reconnecting', since: 0, attempts: 4, error: 'timed out' } }]);
    await flushPromises();
    expect(w.get('[data-host="h2"] [data-col="link"]').text()).toBe('reconnecting · 4 attempts · timed out');
    await w.get('[data-open="h2"]').trigger('click');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'selectHost')?.args).toEqual({ hostId: 'h2' });
    expect(location.hash).toBe('#/overview');
  });

  it('an agent whose link is down shows its side cores and objective as last known, with when, not as current', async () => {
    const seen = new Date(2026, 0, 2, 12, 3, 4).getTime();
    const up = { ...fleetRow('h2', 'kvm-a', false), kind: 'agent' as const, address: 'ws://127.0.0.1:7878', sideCores: 3, objective: 2500, lastSnapshotAt: seen, link: { state: 'connected' as const, since: 0, attempts: 0, error: null } };
    const model = { ...fleetRow('h1', 'model', true), sideCores: 1, objective: 500 };
    const { m, store } = await setup({ listHosts: async () => ok([model, up]) });
    await store.start();
    const w = mount(FleetView);
    await flushPromises();
    expect(w.get('[data-host="h2"] [data-col="side"]').text()).toBe('3');
    expect(w.get('[data-host="h2"] [data-col="objective"]').text()).toBe('2.50 k');
    const latency = 'busiest side core 97 % busy with I/O work (ceiling 85 %)';
    const down = { ...up, stale: true, alerts: { ...up.alerts, latency }, link: { state: 'reconnecting' as const, since: seen + 2000, attempts: 3, error: 'connection refused' } };
    m.emit('fleet', [model, down]);
    await flushPromises();
    const side = w.get('[data-host="h2"] [data-col="side"]');
    expect(side.text()).toBe('—last 3 at 12:03:04');
    expect(side.get('[data-last]').text()).toBe('last 3 at 12:03:04');
    expect(side.attributes('title')).toMatch(/link to this host is down: this is the last value it reported, not what is in force now/);
    expect(w.get('[data-host="h2"] [data-col="objective"] [data-last]').text()).toBe('last 2.50 k at 12:03:04');
    expect(w.get('[data-host="h2"] [data-col="alerts"]').text()).toBe(`latency at 12:03:04: ${latency}`);
    expect(w.get('[data-host="h2"] [data-col="link"]').text()).toBe('reconnecting · 3 attempts · connection refused');
    // the model's row is current as before
    expect(w.get('[data-host="h1"] [data-col="side"]').text()).toBe('1');
    // sorted by side cores or objective, the host whose values are unknown now comes last (descending)
    await w.get('[data-sort="sideCores"]').trigger('click');
    expect(w.findAll('tbody tr').map((r) => r.attributes('data-host'))).toEqual(['h1', 'h2']);
    await w.get('[data-sort="objective"]').trigger('click');
    expect(w.findAll('tbody tr').map((r) => r.attributes('data-host'))).toEqual(['h1', 'h2']);
    // back up: current values again
    m.emit('fleet', [model, { ...up, lastSnapshotAt: seen + 9000 }]);
    await flushPromises();
    expect(w.get('[data-host="h2"] [data-col="side"]').text()).toBe('3');
    expect(w.find('[data-host="h2"] [data-last]').exists()).toBe(false);
  });

  it('says so when no host is connected', async () => {
    const { store } = await setup({ listHosts: async () => ok([]) });
    await store.start();
    const w = mount(FleetView);
    await flushPromises();
    expect(w.get('[data-testid="fleet-empty"]').text()).toContain('No host is connected');
  });
});

describe('link gaps on the overview', () => {
  it('marks the interval a remote host was unreachable on the charts and names it for screen readers', async () => {
    const { m, store } = await setup();
    await store.start();
    const w = mount(HostOverview);
    const snaps = (from: number, n: number) => Array.from({ length: n }, (_, i) => makeSnapshot({ cores: 8, side: [7], vms: 4, seq: from + i }));
    m.emit('telemetry', { stream: 'live', sessionId: 's1', hostId: 'h1', batch: { snapshots: snaps(0, 20), events: [] } });
    m.emit('telemetry', {
      stream: 'live',
      sessionId: 's1',
      hostId: 'h1',
      batch: { snapshots: [], events: [{ t: 2000, source: 'system', kind: 'disconnect', message: 'Lost the link to kvm-a; reconnecting', data: { gap: 'start' } }] },
    });
    m.emit('telemetry', {
      stream: 'live',
      sessionId: 's1',
      hostId: 'h1',
      batch: { snapshots: snaps(80, 20), events: [{ t: 8100, source: 'system', kind: 'connect', message: 'The link to kvm-a is back after 6.1 s', data: { gap: 'end', durationMs: 6100 } }] },
    });
    await flushPromises();
    // the chart is drawn (and its gap named) in the next frame
    await new Promise((r) => setTimeout(r, 60));
    await flushPromises();
    const perf = w.get('[data-testid="perf-chart"]');
    expect(perf.attributes('data-gaps')).toBe('1');
    expect(perf.get('[role="img"]').attributes('aria-label')).toContain('One interval without data: the link to the host was down');
    // the series has a null point in the gap: no line drawn across it
    const opt = lineOptions().at(-1) as { series: { data: [number, number | null][] }[] };
    expect(opt.series[0].data.some((p) => p[1] === null)).toBe(true);
  });
});

describe('CoreActionDialog', () => {
  it('keeps the count-lock option when focus moves to "Clear override", and locks with the release', async () => {
    const state = makeState(8, 4);
    const pinned = { pinned: [7], released: [], countLock: null, paused: false };
    state.overrides = pinned;
    const { m, store } = await setup(
      {
        releaseCore: async () => ok({ ...pinned, pinned: [], released: [7] }),
        lockSideCoreCount: async ({ min, max }) => ok({ pinned: [], released: [7], countLock: [min, max] as [number, number], paused: false }),
      },
      state,
    );
    await store.start();
    feed(m, 2, [6, 7]);
    await flushPromises();
    const w = mount(CoreActionDialog, { props: { core: 7, isSide: true }, attachTo: document.body });
    await flushPromises();
    await w.get('[data-action="clear"]').trigger('focus');
    expect(w.get('[data-testid="override-preview"]').text()).toContain('Clear:');
    // the option belongs to the release and stays while "Clear override" has the focus
    const hold = w.get('[data-testid="hold-count"]');
    expect(hold.element.parentElement!.textContent).toMatch(/When I release, also lock the count to 1 side core so/);
    await hold.setValue(true);
    await w.get('[data-action="release"]').trigger('focus');
    expect(w.find('[data-testid="hold-count"]').exists()).toBe(true);
    await w.get('[data-action="release"]').trigger('click');
    await flushPromises();
    expect(m.calls.find((c) => c.method === 'releaseCore')?.args).toEqual({ core: 7 });
    expect(m.calls.find((c) => c.method === 'lockSideCoreCount')?.args).toEqual({ min: 1, max: 1 });
    w.unmount();
  });
});
