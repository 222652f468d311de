/**
 * Console store: mirrors the host side's ConsoleState (connection, host info,
 * config, loop status, overrides, limits, recording, replay) via getState +
 * the `status` stream, and carries out the operator's commands. Each command
 * keeps its own error so a view shows it where it happened.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import type { ApiError, AuditEntry, ConsoleState, FleetRow, Notice, PolicyConfig, PolicyInfo, Result, ScenarioSummary } from '../../shared/api.ts';
import { useApi } from '../api-client.ts';

/** Names under which command errors are kept. */
export type ActionKey = 'load' | 'connect' | 'agent' | 'core' | 'lock' | 'pause' | 'policy' | 'audit' | 'speed' | 'hosts' | 'record';

export const useConsoleStore = defineStore('console', () => {
  const state = shallowRef<ConsoleState | null>(null);
  const scenarios = ref<ScenarioSummary[]>([]);
  const policies = ref<PolicyInfo[]>([]);
  const audit = ref<AuditEntry[]>([]);
  const notices = ref<Notice[]>([]);
  /** One row per connected host (listHosts, then the `fleet` stream). */
  const hosts = shallowRef<FleetRow[]>([]);
  const errors = reactive<Partial<Record<ActionKey, ApiError | null>>>({});
  const busy = reactive<Partial<Record<ActionKey, boolean>>>({});
  let unsubs: (() => void)[] = [];

  const host = computed(() => state.value?.host ?? null);
  const loop = computed(() => state.value?.loop ?? null);
  const overrides = computed(() => state.value?.overrides ?? { pinned: [], released: [], countLock: null, paused: false });
  const limits = computed(() => state.value?.limits ?? null);
  /**
   * The link to the console server (headless mode's WebSocket state; always 'open' in the desktop
   * app), and when it was lost (unix ms, null while open): while it is down, the state shown is
   * from then and commands cannot reach the host.
   */
  const link = ref<string>('open');
  const linkLostAt = ref<number | null>(null);
  function setLink(s: string): void {
    if (s === link.value) return;
    if (s !== 'open' && link.value === 'open') linkLostAt.value = Date.now();
    if (s === 'open') linkLostAt.value = null;
    link.value = s;
  }
  /** A host is connected and the server can be reached (commands can be sent). */
  const connected = computed(() => link.value === 'open' && !!state.value && state.value.connection.kind !== 'none');
  const replaying = computed(() => !!state.value?.replay);
  const hostId = computed(() => state.value?.hostId ?? null);
  /** The selected host's fleet row. */
  const selectedRow = computed(() => hosts.value.find((h) => h.hostId === hostId.value) ?? null);

  async function run<T>(key: ActionKey, call: () => Promise<Result<T>>): Promise<Result<T>> {
    busy[key] = true;
    errors[key] = null;
    try {
      const r = await call();
      if (!r.ok) errors[key] = r.error;
      return r;
    } finally {
      busy[key] = false;
    }
  }

  /** Apply a state pushed by the host (or returned by a command). */
  function applyState(s: ConsoleState): void {
    state.value = s;
  }

  function patchOverrides(o: ConsoleState['overrides']): void {
    if (state.value) state.value = { ...state.value, overrides: o };
  }

  /** Load everything and subscribe to status and notices. */
  async function start(): Promise<void> {
    const api = useApi();
    stop();
    unsubs.push(api.onStatus(applyState));
    unsubs.push(
      api.onFleet((rows) => {
        hosts.value = rows;
      }),
    );
    unsubs.push(
      api.onNotice((n) => {
        notices.value = [...notices.value.slice(-19), n];
      }),
    );
    const [s, sc, pol, hs] = await Promise.all([api.getState(), api.listScenarios(), api.listPolicies(), api.listHosts()]);
    if (hs.ok) hosts.value = hs.value;
    if (s.ok) applyState(s.value);
    else errors.load = s.error;
    if (sc.ok) scenarios.value = sc.value;
    else errors.load = sc.error;
    if (pol.ok) policies.value = pol.value;
    else errors.load = pol.error;
  }

  /** Unsubscribe from the host. */
  function stop(): void {
    for (const u of unsubs) u();
    unsubs = [];
  }

  /** Refresh the fleet rows now (after a host came or went). */
  async function loadHosts() {
    const r = await useApi().listHosts();
    if (r.ok) hosts.value = r.value;
    return r;
  }
  async function connectModel(scenario: string, seed: number, speed: number, add = false) {
    const r = await run('connect', () => useApi().connectModel({ scenario, seed, speed, ...(add ? { add } : {}) }));
    if (r.ok) {
      applyState(r.value);
      void loadHosts();
    }
    return r;
  }
  /** Connect a remote agent beside the other hosts (empty certificate and name are left out). */
  async function connectAgent(url: string, token: string, ca = '', name = '') {
    const r = await run('agent', () => useApi().connectAgent({ url: url.trim(), token, ...(ca.trim() ? { ca } : {}), ...(name.trim() ? { name: name.trim() } : {}) }));
    if (r.ok) {
      applyState(r.value);
      void loadHosts();
    }
    return r;
  }
  async function selectHost(id: string) {
    const r = await run('hosts', () => useApi().selectHost({ hostId: id }));
    if (r.ok) {
      applyState(r.value);
      hosts.value = hosts.value.map((h) => ({ ...h, selected: h.hostId === id }));
    }
    return r;
  }
  async function disconnectHost(id: string) {
    const r = await run('hosts', () => useApi().disconnectHost({ hostId: id }));
    if (r.ok) {
      applyState(r.value);
      void loadHosts();
    }
    return r;
  }
  /** Start or stop recording the selected host. */
  async function setRecording(on: boolean) {
    const api = useApi();
    const r = await run('record', () => (on ? api.recordStart({}) : api.recordStop({})));
    if (r.ok) {
      applyState(r.value);
      void loadHosts();
    }
    return r;
  }
  async function setSpeed(speed: number) {
    const r = await run('speed', () => useApi().setLiveSpeed({ speed }));
    if (r.ok) applyState(r.value);
    return r;
  }
  async function pinCore(core: number) {
    const r = await run('core', () => useApi().pinCore({ core }));
    if (r.ok) patchOverrides(r.value);
    return r;
  }
  async function releaseCore(core: number) {
    const r = await run('core', () => useApi().releaseCore({ core }));
    if (r.ok) patchOverrides(r.value);
    return r;
  }
  async function clearCore(core: number) {
    const r = await run('core', () => useApi().clearCoreOverride({ core }));
    if (r.ok) patchOverrides(r.value);
    return r;
  }
  async function lockCount(min: number, max: number) {
    const r = await run('lock', () => useApi().lockSideCoreCount({ min, max }));
    if (r.ok) patchOverrides(r.value);
    return r;
  }
  async function unlockCount() {
    const r = await run('lock', () => useApi().unlockSideCoreCount());
    if (r.ok) patchOverrides(r.value);
    return r;
  }
  async function setPaused(paused: boolean) {
    const api = useApi();
    const r = await run('pause', () => (paused ? api.pauseLoop() : api.resumeLoop()));
    if (r.ok) patchOverrides(r.value);
    return r;
  }
  async function setPolicy(name: string, config: PolicyConfig) {
    const r = await run('policy', () => useApi().setPolicy({ name, config }));
    if (r.ok && state.value) state.value = { ...state.value, loop: r.value };
    return r;
  }
  async function loadAudit(limit = 200) {
    const r = await run('audit', () => useApi().getAuditLog({ limit }));
    if (r.ok) audit.value = r.value;
    return r;
  }
  function dismissNotice(i: number): void {
    notices.value = notices.value.filter((_, k) => k !== i);
  }

  return {
    state,
    scenarios,
    policies,
    audit,
    notices,
    hosts,
    hostId,
    selectedRow,
    errors,
    busy,
    host,
    loop,
    overrides,
    limits,
    connected,
    link,
    linkLostAt,
    setLink,
    replaying,
    start,
    stop,
    applyState,
    connectModel,
    connectAgent,
    loadHosts,
    selectHost,
    disconnectHost,
    setRecording,
    setSpeed,
    pinCore,
    releaseCore,
    clearCore,
    lockCount,
    unlockCount,
    setPaused,
    setPolicy,
    loadAudit,
    dismissNotice,
  };
});
