/**
 * Run summaries (see CONTEXT.md). The simulation driver is src/main/loop/simulation.ts; policies
 * come from the one registry, src/main/policy/registry.ts.
 */
export { SummaryBuilder, type Summary, type PhaseSummary, type Metrics } from './summary.ts';
export { LatencyMerge } from './latency.ts';
