/**
 * Static controllers: a fixed side-core configuration applied once at start.
 * `vhost` = zero side cores (stock vhost: one notification-driven I/O thread
 * per device on the VM cores); `static:K` = K side cores taken from the
 * highest core ids down, every queue assigned round-robin over them (queue
 * order = queue id; side cores from the highest id down) with polling on.
 */
import type { ControlAction, ControlResult } from '../../shared/control.ts';
import type { HostModelApi } from '../model/api.ts';
import type { Controller, Decision, PolicyContext } from './controller.ts';
import { UsageError } from '../cli/errors.ts';

/** The side cores a static policy uses on a `cores`-core host: the K highest ids, ascending. */
export function staticSideCores(cores: number, k: number): number[] {
  const out: number[] = [];
  for (let c = cores - k; c < cores; c++) out.push(c);
  return out;
}

/** The actions that put a host into the static configuration with K side cores. */
export function staticActions(cores: number, k: number, queueIds: readonly number[]): ControlAction[] {
  const side = staticSideCores(cores, k);
  const actions: ControlAction[] = [{ kind: 'setSideCores', cores: side }];
  if (k === 0) return actions;
  const highFirst = [...side].reverse();
  const queues = [...queueIds].sort((a, b) => a - b);
  queues.forEach((q, i) => {
    actions.push({ kind: 'assignQueue', queue: q, core: highFirst[i % k] });
    actions.push({ kind: 'setPolling', queue: q, on: true });
  });
  return actions;
}

/** A controller that applies a static configuration at start and never changes it. */
export function staticController(name: string, k: number, ctx: PolicyContext): Controller {
  return {
    name,
    start(host: HostModelApi): Decision {
      const actions = staticActions(ctx.cores, k, ctx.info.queues.map((q) => q.id));
      const results: ControlResult[] = [];
      for (const a of actions) {
        const r = host.apply(a);
        if (!r.ok) throw new UsageError(`policy ${name}: the host refused ${a.kind} ${JSON.stringify(a)}: ${r.error}`);
        results.push(r);
      }
      const side = staticSideCores(ctx.cores, k);
      const reason =
        k === 0 ? 'static: no side cores (vhost mode)' : `static: ${k} side core${k > 1 ? 's' : ''} (${side.join(', ')}), ${ctx.info.queues.length} queues round-robin, polling on`;
      return { actions, reason, results };
    },
    onSnapshot() {
      return undefined;
    },
  };
}
