/**
 * `iocm scenarios [--json]`: list the shipped scenarios.
 * `iocm scenarios validate <file|name>`: validate one (exit 2 with every schema and cross-field
 * problem if invalid; the model's own limits are checked once those pass).
 * `iocm scenarios schema`: print the JSON Schema.
 */
import type { CliIO } from '../io.ts';
import { UsageError } from '../errors.ts';
import { parseFlags, flagHelp, type FlagSpec } from '../args.ts';
import { table, fixed } from '../format.ts';
import { listScenarios, loadScenario, scenarioSeconds, scenariosDir, scenarioSchema, ScenarioError } from '../../scenario/load.ts';
import { plural } from '../../../shared/words.ts';

const FLAGS: Record<string, FlagSpec> = {
  json: { type: 'boolean', help: 'print JSON instead of a table' },
};

const USAGE = `usage: iocm scenarios [--json]                 list shipped scenarios
       iocm scenarios validate <file|name>   validate a scenario file (exit 2 if invalid)
       iocm scenarios schema                 print the scenario JSON Schema

${flagHelp(FLAGS)}
`;

/** Entry point of `iocm scenarios`. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals, help } = parseFlags(argv, FLAGS, 2);
  if (help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const json = values.json === true;
  const [verb, target] = positionals;
  if (verb === undefined || verb === 'list') {
    if (target !== undefined) throw new UsageError(`unexpected argument '${target}'`);
    return list(io, json);
  }
  if (verb === 'validate') {
    if (target === undefined) throw new UsageError('validate needs a scenario file or name: iocm scenarios validate <file|name>');
    return validate(target, io, json);
  }
  if (verb === 'schema') {
    if (target !== undefined) throw new UsageError(`unexpected argument '${target}'`);
    io.stdout.write(JSON.stringify(scenarioSchema, null, 2) + '\n');
    return 0;
  }
  throw new UsageError(`unknown action '${verb}'; expected list, validate or schema`);
}

function list(io: CliIO, json: boolean): number {
  const items = listScenarios();
  if (json) {
    io.stdout.write(JSON.stringify({ dir: scenariosDir(), scenarios: items }, null, 2) + '\n');
    return items.some((s) => s.error) ? 1 : 0;
  }
  if (items.length === 0) {
    io.stdout.write(`no scenarios in ${scenariosDir()}\n`);
    return 0;
  }
  const rows = [['name', 'cores', 'VMs', 'seconds', 'description']];
  for (const s of items) {
    rows.push(s.error ? [s.name, '-', '-', '-', `INVALID: ${s.error}`] : [s.name, String(s.cores), String(s.vms), fixed(s.seconds ?? 0), clip(s.description, 100)]);
  }
  io.stdout.write(table(rows, { left: [0, 4] }));
  return items.some((s) => s.error) ? 1 : 0;
}

function validate(target: string, io: CliIO, json: boolean): number {
  try {
    const s = loadScenario(target);
    const vms = s.vms.reduce((a, g) => a + g.count, 0);
    if (json) {
      io.stdout.write(JSON.stringify({ ok: true, name: s.name, groups: s.vms.length, vms, phases: s.phases.length, seconds: scenarioSeconds(s) }) + '\n');
    } else {
      io.stdout.write(
        `ok: ${target}: scenario '${s.name}', ${s.host.cores} cores, ${plural(s.vms.length, 'group')}, ${plural(vms, 'VM')}, ${plural(s.phases.length, 'phase')}, ${fixed(scenarioSeconds(s))} s\n`,
      );
    }
    return 0;
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    if (json) io.stdout.write(JSON.stringify({ ok: false, file: e.file, error: e.message, issues: e.issues }) + '\n');
    // First line: the error; further lines: the other problems found.
    io.stderr.write(`iocm scenarios: ${e.message}\n`);
    for (const i of e.issues.slice(1)) io.stderr.write(`  ${e.file}: ${i.path || '/'}: ${i.message}\n`);
    return 2;
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}
