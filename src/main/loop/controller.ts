/**
 * The IOcm loop as a simulation controller (src/main/sim): one IocmLoop per
 * run, fed every snapshot; reports each non-quiet decision (applied actions,
 * reason) to the driver. Also registers the loop's policies in the sim's
 * policy registry (see register.ts).
 */
import type { HostEvent, Overrides, PolicyConfig, SafetyLimits } from '../../shared/policy.ts';
import type { HostModelApi } from '../model/api.ts';
import type { Controller, Decision, PolicyContext } from '../sim/controller.ts';
import { IocmLoop } from './loop.ts';

/** Options of a loop-backed controller. */
export interface LoopControllerOptions {
  config?: PolicyConfig;
  epochMs?: number;
  limits?: Partial<SafetyLimits>;
  overrides?: Partial<Overrides>;
  /** Every loop event (decisions, audits, phases). */
  onEvent?: (e: HostEvent) => void;
}

/** A controller running the IOcm loop with policy `spec` (e.g. 'iocm', 'static:2'). */
export function loopController(spec: string, _ctx: PolicyContext, opts: LoopControllerOptions = {}): Controller & { readonly loop: IocmLoop | null } {
  let loop: IocmLoop | null = null;
  let reported = 0;
  const ensure = (host: HostModelApi): IocmLoop => {
    loop ??= new IocmLoop({ control: host, policy: spec, config: opts.config, epochMs: opts.epochMs, limits: opts.limits, overrides: opts.overrides, onEvent: opts.onEvent });
    return loop;
  };
  return {
    name: spec,
    get loop() {
      return loop;
    },
    start(host) {
      ensure(host);
      return undefined;
    },
    onSnapshot(snapshot, host) {
      const l = ensure(host);
      l.onSnapshot(snapshot);
      l.drainEvents();
      const ds = l.decisions;
      if (ds.length === reported) return undefined;
      const out: Decision[] = [];
      for (; reported < ds.length; reported++) out.push({ kind: ds[reported].kind, actions: ds[reported].actions, reason: ds[reported].reason });
      return out;
    },
  };
}
