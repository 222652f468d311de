/**
 * Registers the loop's policies in the simulation's policy registry
 * (src/main/sim/policies.ts) so `simulate`, `sweep`, `evaluate` and `whatif`
 * accept them: iocm, iocm-classic, ovs-auto-lb[:K], spdk-dynamic.
 * Import this module for its side effect.
 */
import { registerPolicy, PolicyError } from '../sim/policies.ts';
import type { PolicyContext } from '../sim/controller.ts';
import { POLICY_REGISTRY, PolicyConfigError, resolvePolicyConfig } from '../policy/registry.ts';
import { loopController } from './controller.ts';

const LOOP_POLICIES: { name: string; usage: string; arg: 'none' | 'optional' }[] = [
  { name: 'iocm', usage: 'iocm', arg: 'none' },
  { name: 'iocm-classic', usage: 'iocm-classic', arg: 'none' },
  { name: 'ovs-auto-lb', usage: 'ovs-auto-lb[:K]', arg: 'optional' },
  { name: 'spdk-dynamic', usage: 'spdk-dynamic', arg: 'none' },
];

for (const p of LOOP_POLICIES) {
  registerPolicy({
    name: p.name,
    usage: p.usage,
    summary: POLICY_REGISTRY[p.name].description,
    arg: p.arg,
    prepare(arg, cores) {
      const spec = arg === undefined ? p.name : `${p.name}:${arg}`;
      try {
        const { config } = resolvePolicyConfig(spec);
        if (typeof config.k === 'number' && config.k > cores - 1) throw new PolicyError(`${p.usage}: K must be at most ${cores - 1} on a ${cores}-core host, got ${config.k}`);
      } catch (err) {
        if (err instanceof PolicyConfigError) throw new PolicyError(err.message);
        throw err;
      }
      return (ctx: PolicyContext) => loopController(spec, ctx);
    },
  });
}
