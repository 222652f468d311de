/** Scenario loading and validation (see CONTEXT.md). */
export {
  loadScenario,
  parseScenario,
  validateScenario,
  listScenarios,
  scenarioNames,
  scenariosDir,
  scenarioSeconds,
  isScenarioPath,
  scenarioSchema,
  ScenarioError,
  type ScenarioIssue,
  type ScenarioListing,
} from './load.ts';
export { locateJsonError, parseJsonText, JsonSyntaxError, type JsonSyntaxProblem } from './json-locate.ts';
