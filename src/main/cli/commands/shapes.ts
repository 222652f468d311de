/**
 * `iocm shapes`: the published shapes report (src/main/model/shapes.ts) on the shipped scenarios
 * under the costs in force (defaults, or `--costs FILE` with a scenario `host.costs` block): which
 * shapes hold and which do not, with the measured figures.
 */
import type { CliIO } from '../iocm.ts';
import { UsageError } from '../errors.ts';
import { parseFlags, flagHelp, listFlag, type FlagSpec } from '../args.ts';
import { loadScenario } from '../../scenario/load.ts';
import { COSTS_FILE_HELP, readCostsFile } from '../costs-file.ts';
import { SHAPE_IDS, SHAPE_SCENARIOS, shapesMarkdown, shapesReport, type ShapeId } from '../../model/shapes.ts';
import type { Scenario } from '../../../shared/scenario.ts';

const FLAGS: Record<string, FlagSpec> = {
  seconds: { type: 'number', value: 'N', above: 0, max: 100, help: 'simulated seconds per static run (default: 1)' },
  seed: { type: 'integer', value: 'S', min: 0, max: 2 ** 32 - 1, help: 'RNG seed (default: 7)' },
  only: { type: 'string', value: 'LIST', help: `comma-separated shape ids (default: all: ${SHAPE_IDS.join(', ')})` },
  costs: { type: 'string', value: 'FILE', help: COSTS_FILE_HELP },
  json: { type: 'boolean', help: 'print one JSON document' },
};

const USAGE = `usage: iocm shapes [--seconds N] [--seed S] [--only LIST] [--costs FILE] [--json]\n\n${flagHelp(FLAGS)}\n`;

/** Entry point of `iocm shapes`. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, help } = parseFlags(argv, FLAGS);
  if (help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const only = listFlag(values.only, 'only', SHAPE_IDS);
  for (const id of only) if (!(SHAPE_IDS as readonly string[]).includes(id)) throw new UsageError(`--only: unknown shape '${id}' (known: ${SHAPE_IDS.join(', ')})`);
  const costs = values.costs === undefined ? undefined : readCostsFile(values.costs as string);
  const scenarios: Record<string, Scenario> = {};
  for (const id of only) scenarios[SHAPE_SCENARIOS[id as ShapeId]] ??= loadScenario(SHAPE_SCENARIOS[id as ShapeId]);
  const results = shapesReport(scenarios, {
    only: only as ShapeId[],
    seconds: values.seconds as number | undefined,
    seed: values.seed as number | undefined,
    costs,
  });
  if (values.json === true) {
    io.stdout.write(JSON.stringify({ costs: costs ?? {}, results }, null, 2) + '\n');
    return 0;
  }
  io.stdout.write(shapesMarkdown(results));
  const held = results.filter((r) => r.holds).length;
  io.stdout.write(`\n${held} of ${results.length} shapes hold${costs ? ' under the given costs' : ' under the default (sourced) costs'}.\n`);
  return 0;
}
