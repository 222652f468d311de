/**
 * The simulation driver, summaries and the policy registry (see CONTEXT.md).
 */
export { runSimulation, intervalsFor, type SimulationOptions, type SimulationResult } from './driver.ts';
export { SummaryBuilder, type Summary, type PhaseSummary, type Metrics } from './summary.ts';
export { LatencyMerge } from './latency.ts';
export type { Controller, ControllerFactory, ControllerReport, Decision, PolicyContext } from './controller.ts';
export { reportedDecisions } from './controller.ts';
export {
  parsePolicy,
  registerPolicy,
  listPolicies,
  policyUsages,
  parseSideCoreCount,
  PolicyError,
  type PolicyDefinition,
  type ParsedPolicy,
} from './policies.ts';
export { staticController, staticActions, staticSideCores } from './static.ts';
