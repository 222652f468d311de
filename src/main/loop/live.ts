/**
 * LiveRunner: the host model + IOcm loop in a worker thread, paced at real
 * time × speed (0.25 … 64, or 0 = as fast as possible), posting
 * TelemetryBatches a few times per second and taking operator commands.
 * Structurally implements the services' LiveHost (src/main/services/live.ts).
 * Protocol: ./live-protocol.ts and CONTEXT.md.
 */
import type { Worker } from 'node:worker_threads';
import type { HostConfig, HostInfo } from '../../shared/control.ts';
import type { ConfigError, LoopStatus, OverrideCommand, OverrideResult, PolicyConfig, SafetyLimits, TelemetryBatch } from '../../shared/policy.ts';
import type { Scenario } from '../../shared/scenario.ts';
import { checkSpeed } from './live-core.ts';
import type { LiveCommand, LiveEvent, LiveStartOptions } from './live-protocol.ts';
import { spawnWorker } from '../util/worker.ts';

/** Omit over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The live worker's entry: the .ts source under tsx, or the bundled workers/live-worker.js. */
export function liveWorkerEntry(): URL {
  return /\.ts$/.test(new URL(import.meta.url).pathname) ? new URL('./live-worker.ts', import.meta.url) : new URL('./workers/live-worker.js', import.meta.url);
}

/** A running live host in a worker thread. */
export class LiveRunner {
  private worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly batchSubs = new Set<(b: TelemetryBatch) => void>();
  private readonly statusSubs = new Set<(s: LoopStatus) => void>();
  private readonly errorSubs = new Set<(message: string) => void>();
  private infoV: HostInfo;
  private configV: HostConfig;
  private statusV: LoopStatus;
  private opts: LiveStartOptions;
  private stopped = false;

  private constructor(worker: Worker, ready: Extract<LiveEvent, { type: 'ready' }>, opts: LiveStartOptions) {
    this.worker = worker;
    this.infoV = ready.info;
    this.configV = ready.config;
    this.statusV = ready.status;
    this.opts = opts;
    worker.on('message', (m: LiveEvent) => this.onMessage(m));
    worker.on('error', (e) => this.fail(`live worker crashed: ${e.message}`));
    worker.on('exit', (code) => {
      if (!this.stopped) this.fail(`live worker exited (code ${code})`);
    });
  }

  /** Start a live runner; resolves when the worker's model is ready. */
  static async start(options: LiveStartOptions, entry: URL = liveWorkerEntry()): Promise<LiveRunner> {
    const e = checkSpeed(options.speed);
    if (e) throw new RangeError(e);
    const worker = spawnWorker(entry, { workerData: { options } });
    const ready = await new Promise<Extract<LiveEvent, { type: 'ready' }>>((resolve, reject) => {
      const onMsg = (m: LiveEvent): void => {
        if (m.type === 'ready') {
          worker.off('message', onMsg);
          resolve(m);
        } else if (m.type === 'error') {
          worker.off('message', onMsg);
          reject(new Error(m.message));
        }
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`live worker exited before it was ready (code ${code})`)));
    }).catch(async (err) => {
      await worker.terminate();
      throw err;
    });
    return new LiveRunner(worker, ready, options);
  }

  private onMessage(m: LiveEvent): void {
    switch (m.type) {
      case 'ready':
        this.infoV = m.info;
        this.configV = m.config;
        this.setStatus(m.status);
        return;
      case 'batch':
        try {
          this.configV = m.config;
          if (m.batch.status) this.setStatus(m.batch.status);
          for (const cb of [...this.batchSubs]) cb(m.batch);
        } finally {
          // Taken (even if a subscriber threw): the worker may post the next batch.
          if (!this.stopped) this.worker.postMessage({ type: 'ack' } satisfies LiveCommand);
        }
        return;
      case 'reply': {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.error) w.reject(new Error(m.error));
        else w.resolve(m.result);
        return;
      }
      case 'error':
        for (const cb of [...this.errorSubs]) cb(m.message);
        return;
    }
  }

  private setStatus(s: LoopStatus): void {
    this.statusV = s;
    for (const cb of [...this.statusSubs]) cb(s);
  }

  private fail(message: string): void {
    for (const w of this.waiting.values()) w.reject(new Error(message));
    this.waiting.clear();
    for (const cb of [...this.errorSubs]) cb(message);
  }

  private request<T>(cmd: DistributiveOmit<Extract<LiveCommand, { id: number }>, 'id'>): Promise<T> {
    if (this.stopped) return Promise.reject(new Error('the live runner is stopped'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...cmd, id } as LiveCommand);
    });
  }

  /** Static description of the host (refreshed on restart). */
  get info(): HostInfo {
    return this.infoV;
  }
  /** The scenario running (as of the last successful start or restart). */
  get scenario(): Scenario {
    return this.opts.scenario;
  }
  /** The model's seed (as of the last successful start or restart). */
  get seed(): number {
    return this.opts.seed;
  }
  /** Pacing: × real time, 0 = as fast as possible. */
  get speed(): number {
    return this.opts.speed;
  }
  /** The host's I/O configuration as of the last batch. */
  config(): HostConfig {
    return this.configV;
  }
  /** The loop's status as of the last batch or reply. */
  status(): LoopStatus {
    return this.statusV;
  }

  /** Apply an operator override (pin, release, clear, lock, unlock, pause, resume). */
  override(cmd: OverrideCommand): Promise<OverrideResult> {
    return this.request<OverrideResult>({ type: 'override', cmd });
  }

  /** Switch policy; resolves to per-field errors (empty = accepted). */
  setPolicy(name: string, config: PolicyConfig): Promise<ConfigError[]> {
    return this.request<ConfigError[]>({ type: 'setPolicy', name, config });
  }

  /** Change the safety limits; resolves to per-field errors (empty = accepted). */
  setLimits(limits: Partial<SafetyLimits>): Promise<ConfigError[]> {
    return this.request<ConfigError[]>({ type: 'setLimits', limits });
  }

  /** Change pacing: 0.25 … 64 × real time or 0 (as fast as possible). Throws RangeError on a bad value. */
  setSpeed(speed: number): void {
    const e = checkSpeed(speed);
    if (e) throw new RangeError(e);
    this.opts = { ...this.opts, speed };
    void this.request({ type: 'setSpeed', speed }).catch(() => undefined);
  }

  /** Fresh status from the worker. */
  async refreshStatus(): Promise<LoopStatus> {
    const s = await this.request<LoopStatus>({ type: 'status' });
    this.setStatus(s);
    return s;
  }

  /** Restart the model (same policy and options) with another scenario and/or seed; resolves when ready, rejects when the new model fails to start. */
  restart(change: { scenario?: Scenario; seed?: number } = {}): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the live runner is stopped'));
    return new Promise<void>((resolve, reject) => {
      const onMsg = (m: LiveEvent): void => {
        if (m.type !== 'ready' && m.type !== 'error') return;
        this.worker.off('message', onMsg);
        if (m.type === 'ready') {
          this.opts = { ...this.opts, ...change };
          resolve();
        } else reject(new Error(`restart failed: ${m.message}`));
      };
      this.worker.on('message', onMsg);
      this.worker.postMessage({ type: 'restart', ...change } as LiveCommand);
    });
  }

  /** Subscribe to telemetry batches; returns the unsubscribe function. */
  onBatch(cb: (b: TelemetryBatch) => void): () => void {
    this.batchSubs.add(cb);
    return () => this.batchSubs.delete(cb);
  }
  /** Subscribe to loop status updates; returns the unsubscribe function. */
  onStatus(cb: (s: LoopStatus) => void): () => void {
    this.statusSubs.add(cb);
    return () => this.statusSubs.delete(cb);
  }
  /** Subscribe to host failures (model or loop threw, worker died); returns the unsubscribe function. */
  onError(cb: (message: string) => void): () => void {
    this.errorSubs.add(cb);
    return () => this.errorSubs.delete(cb);
  }

  /** Stop: the last batch is delivered, then the worker ends. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.request({ type: 'stop' }).catch(() => undefined);
    this.stopped = true;
    await this.worker.terminate();
  }
}
