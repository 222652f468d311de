/**
 * `iocm`: our manager (v0 placeholder until calibrated against the model).
 */
import { quietStay } from './baselines.ts';
import { defaultsOf, describeFields, num, validateFields } from './config.ts';
import { chooseSideCores, clampCount, epochMetrics, lptPlacement, placementActions, queueLoads } from './helpers.ts';
import type { FieldSpec, Policy, PolicyEntry, PolicyStep } from './types.ts';

const fields: FieldSpec[] = [
  { key: 'targetBusy', label: 'Target side-core load', description: 'Side cores are sized so their work stays near this fraction', type: 'number', min: 0.1, max: 1, default: 0.7 },
];

/** State of iocm. */
export interface IocmState {
  k: number;
}

/** Registry entry of `iocm`. */
export const iocmEntry: PolicyEntry = {
  name: 'iocm',
  description: 'Ours: estimates I/O work in cores from cycles and jumps to the right side-core count, places queues by work cycles (LPT).',
  defaults: defaultsOf(fields),
  fields: describeFields(fields),
  validate: (c) => validateFields(fields, c),
  create(config): Policy<IocmState> {
    const target = num(config, 'targetBusy');
    return {
      name: 'iocm',
      config,
      init: (host) => ({ k: host.sideCores.length }),
      decide(state, input): PolicyStep<IocmState> {
        const { host, overrides, limits } = input;
        const m = epochMetrics(input.window[input.window.length - 1]);
        const demand = host.sideCores.length > 0 ? m.ioWork : m.vhostIo;
        const want = clampCount(Math.ceil(demand / target), host.cores, overrides, limits);
        const metrics = { ioWork: m.ioWork, vhostCores: m.vhostIo, want };
        if (want === host.sideCores.length) return { state, decision: quietStay(metrics) };
        const cores = chooseSideCores(want, host, overrides);
        const loads = queueLoads(input.window, 5, host.queueOwner.length);
        const owner = cores.length > 0 ? lptPlacement(loads, cores, host.queueOwner) : null;
        return { state: { k: want }, decision: { kind: 'change', actions: placementActions(host, cores, owner), reason: `I/O work ${demand.toFixed(2)} cores → ${want} side cores`, metrics, targetSideCores: want } };
      },
    };
  },
};
