/**
 * The host model's public surface: the model factory and class, the defaults
 * (workloads and costs) and the score definition. Docs: docs/model.md.
 */
export { createHostModel, HostModel } from './host-model.ts';
export type { HostModelApi, ModelOptions, CreateHostModel, IntervalHistograms } from './api.ts';
export {
  WORKLOAD_DEFAULTS, COST_DEFAULTS, COST_SOURCES, COST_UNITS, HOST_DEFAULTS, KNOB_DEFAULTS, resolveKnobs, applyDefaults, resolveWorkload, resolveCosts, checkScenario, maxSideCores,
} from './defaults.ts';
export type { CostParams, CostSource, CostBasis, ResolvedWorkload, ResolvedKnobs } from './defaults.ts';
export { workRate, workRateUnit, groupScore, hostScore } from '../../shared/score.ts';
export type { WorkRateInput } from '../../shared/score.ts';
export { LatencyHistogram } from './histogram.ts';
export { Rng } from './rng.ts';
export { EventHeap } from './heap.ts';
