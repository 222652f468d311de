/**
 * The observed objective: what IOcm's policies optimise, computed from observed fields only
 * ({@link ObservedSnapshot}), never from the model's truth score.
 *
 *   objective = Σ over VM groups of weight × observed progress rate
 *
 * where a group's progress rate is, by the workload class the operator declared for it:
 * - byte-moving classes (`net-stream`, `blk`): MB/s through its devices (tap / block statistics);
 * - request classes (`net-rr`, `kv`, `web`): completed requests per second through its devices;
 * - `cpu`: vCPU progress, Gcycles/s its vCPU threads ran (schedstat run time).
 * Weights and classes are configuration (the scenario's groups on a model host; the agent's
 * host configuration on a real one), not measurements. The truth score (src/main/model/score.ts)
 * differs in what it counts for `cpu` groups: application cycles, which no host can see; vCPU run
 * time also counts the guest's own I/O handling. docs/policies.md, "The objective".
 * Shared layer: pure TS.
 */
import type { ObservedSnapshot } from './observe.ts';

/** A VM group as the objective needs it. */
export interface ObjectiveGroup {
  name: string;
  /** Operator's value of one unit of this group's progress (default 1). */
  weight: number;
  /** Workload class: 'net-stream' | 'blk' | 'net-rr' | 'kv' | 'web' | 'cpu' (others count requests). */
  workload: string;
}

/** Unit of a workload class's progress rate. */
export function progressUnit(workload: string): 'MB/s' | 'req/s' | 'Gcycles/s' {
  if (workload === 'net-stream' || workload === 'blk') return 'MB/s';
  if (workload === 'cpu') return 'Gcycles/s';
  return 'req/s';
}

/**
 * The objective of one observed snapshot. `groups` in any order; VMs of groups not listed count
 * with weight 1 as request workloads. Allocation-free apart from a small map per call.
 */
export function observedObjective(o: ObservedSnapshot, groups: readonly ObjectiveGroup[]): number {
  const byName = new Map<string, ObjectiveGroup>();
  for (const g of groups) byName.set(g.name, g);
  const perSec = 1000 / o.intervalMs;
  let sum = 0;
  for (const v of o.vms) {
    const g = byName.get(v.group);
    const w = g ? g.weight : 1;
    const unit = progressUnit(g ? g.workload : 'web');
    if (unit === 'MB/s') sum += (w * v.bytesPerSec) / 1e6;
    else if (unit === 'Gcycles/s') sum += (w * v.vcpuRunCycles * perSec) / 1e9;
    else sum += w * v.requestsPerSec;
  }
  return sum;
}
