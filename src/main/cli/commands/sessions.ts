/**
 * `iocm sessions list|show|export|import|delete`: recorded sessions in a
 * history database (default: the user's database, the one the desktop app
 * uses; see docs/history.md).
 */
import { createReadStream, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIO } from '../io.ts';
import { UsageError } from '../errors.ts';
import { parseFlags, flagHelp, requireFolderOf, type FlagSpec } from '../args.ts';
import { defaultDb, existingDbPath, sessionIdArg } from '../history-db.ts';
import { table, fixed, printable, ProgressBar } from '../format.ts';
import { HistoryClient } from '../../history/client.ts';
import { HistoryError } from '../../history/schema.ts';
import { defaultDbPath } from '../../history/paths.ts';
import { VALID_ID_RULE, type HistorySession } from '../../history/types.ts';
import { controlNote, policyTrail } from '../../../shared/session-label.ts';
import type { SessionControl } from '../../../shared/api.ts';

const DB: FlagSpec = { type: 'string', value: 'FILE', help: `history database (default: ${'$'}IOCM_DB or the per-user data folder)` };
const SESSION: FlagSpec = { type: 'string', value: 'ID', help: 'session id (see `iocm sessions list`)' };

const SUB: Record<string, { flags: Record<string, FlagSpec>; usage: string }> = {
  list: { flags: { db: DB, json: { type: 'boolean', help: 'print JSON' } }, usage: 'iocm sessions list [--db FILE] [--json]' },
  show: { flags: { db: DB, session: SESSION, json: { type: 'boolean', help: 'print JSON' } }, usage: 'iocm sessions show [--db FILE] --session ID [--json]' },
  export: {
    flags: {
      db: DB,
      session: SESSION,
      format: { type: 'string', value: 'csv|json|sqlite', help: 'CSV, JSON bundle or standalone SQLite session file' },
      out: { type: 'string', value: 'PATH', help: "file to write (must not exist); '-' writes csv or json to standard output" },
      'csv-layout': { type: 'string', value: 'long|wide', help: 'CSV: one row per time and series (long, default) or per time and entity (wide)' },
      progress: { type: 'boolean', help: 'progress bar on stderr' },
    },
    usage: 'iocm sessions export [--db FILE] --session ID --format csv|json|sqlite --out PATH [--csv-layout long|wide] [--progress]',
  },
  import: { flags: { db: DB, in: { type: 'string', value: 'PATH', help: 'JSON bundle or SQLite session file' } }, usage: 'iocm sessions import [--db FILE] --in PATH' },
  delete: { flags: { db: DB, session: SESSION }, usage: 'iocm sessions delete [--db FILE] --session ID' },
};

/** `--out -`: standard output, as for most Unix tools (and not a file named "-" in the current folder). */
const STDOUT = '-';

/**
 * Copy a finished export to `stdout`, honouring backpressure. The file is opened, then its private
 * folder removed, before the copy: a reader that stops early (`| head`) ends the process (EPIPE,
 * bin/iocm.mjs) and must not leave the temporary file behind.
 */
async function copyOut(tmp: string, path: string, stdout: NodeJS.WritableStream): Promise<void> {
  const fd = openSync(path, 'r');
  rmSync(tmp, { recursive: true, force: true });
  for await (const chunk of createReadStream('', { fd })) {
    if (!stdout.write(chunk as Buffer) && typeof stdout.once === 'function') await once(stdout, 'drain');
  }
}

function usage(): string {
  return `usage:\n${Object.values(SUB)
    .map((s) => `  ${s.usage}`)
    .join('\n')}\n`;
}

function need(values: Record<string, unknown>, name: string, sub: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`${sub}: --${name} is required (${SUB[sub].usage})`);
  return v;
}

function iso(ms: number | null): string {
  if (ms === null) return '-';
  // A file written by something else may hold a time no date can show: listed as the number, not a crash.
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} ms` : d.toISOString().replace('.000Z', 'Z');
}

/** HistoryErrors about the user's input (missing session, bad file) are usage errors (exit 2). */
function asUsage(err: unknown): unknown {
  if (err instanceof HistoryError && err.code !== 'io' && err.code !== 'full') return new UsageError(err.message);
  return err;
}

/** Entry point of `iocm sessions`. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    io.stdout.write(usage());
    return sub ? 0 : 2;
  }
  const spec = SUB[sub];
  if (!spec) throw new UsageError(`unknown subcommand '${sub}'; expected list, show, export, import or delete`);
  const { values, help } = parseFlags(rest, spec.flags);
  if (help) {
    io.stdout.write(`usage: ${spec.usage}\n\n${flagHelp(spec.flags)}\n`);
    return 0;
  }
  const path = (values.db as string | undefined) ?? defaultDbPath();
  // Validate the required flags before touching any file.
  if (sub === 'show' || sub === 'export' || sub === 'delete') sessionIdArg(need(values, 'session', sub), sub);
  if (sub === 'export') {
    const f = need(values, 'format', sub);
    if (!['csv', 'json', 'sqlite'].includes(f)) throw new UsageError(`export: --format must be csv, json or sqlite, got '${f}'`);
    need(values, 'out', sub);
    if (values.out === STDOUT && f === 'sqlite') throw new UsageError("export: --out - (standard output) is for csv and json; a SQLite session file is binary: name a file to write");
    const l = values['csv-layout'];
    if (l !== undefined && l !== 'long' && l !== 'wide') throw new UsageError(`export: --csv-layout must be long or wide, got '${String(l)}'`);
    if (l !== undefined && f !== 'csv') throw new UsageError('export: --csv-layout applies to --format csv only');
  }
  if (sub === 'import') need(values, 'in', sub);
  // $IOCM_DB in a folder that does not exist: refused as --db would be, whatever the subcommand.
  if (values.db === undefined) defaultDb(sub);
  // Reading never creates a database: a mistyped --db is an error, not an empty new file.
  // Listing the default database before anything was recorded is not an error: there are no sessions.
  if (sub === 'list' && values.db === undefined && !existsSync(path)) {
    io.stdout.write(values.json ? '[]\n' : `no sessions: there is no history database yet (${path})\n`);
    return 0;
  }
  if (sub !== 'import') existingDbPath(values.db as string | undefined, sub);
  if (sub === 'import' && values.db !== undefined) requireFolderOf(path, 'import', `--db ${path}`);
  let client: HistoryClient;
  try {
    client = await HistoryClient.open({ path });
  } catch (err) {
    throw asUsage(err);
  }
  try {
    return await runSub(sub, values, client, io);
  } catch (err) {
    throw asUsage(err);
  } finally {
    await client.close();
  }
}

async function runSub(sub: string, values: Record<string, unknown>, client: HistoryClient, io: CliIO): Promise<number> {
  // Every name here may come from an imported file: never write control characters raw.
  const out = (s: string): void => void io.stdout.write(printable(s));
  switch (sub) {
    case 'list': {
      const listed = await client.listSessions();
      // The policy a session began under, and how control changed after (policies in turn, operator overrides).
      const trails = await client.controlTrails(listed.map((s) => s.id));
      const list = listed.map((s) => (trails[s.id] ? { ...s, control: trails[s.id] } : s));
      if (values.json) {
        out(JSON.stringify(list, null, 2) + '\n');
        return 0;
      }
      if (!list.length) {
        out(`no sessions in ${client.path}\n`);
        return 0;
      }
      const rows = [['id', 'started (UTC)', 'host', 'scenario', 'policy', 'seconds', 'snapshots', 'decisions', 'status', 'parent']];
      for (const s of list) rows.push([s.id, iso(s.recordedFrom), s.host, s.scenario || '-', policyCell(s), fixed(s.durationMs / 1000), String(s.snapshots), String(s.decisions), s.status, s.parentId ?? '']);
      out(table(rows));
      return 0;
    }
    case 'show': {
      const id = values.session as string;
      const control = (await client.controlTrails([id]))[id];
      const s = { ...(await client.getSession(id)), ...(control ? { control } : {}) };
      const loads = await client.loads(id);
      const series = await client.seriesNames(id);
      if (values.json) {
        out(JSON.stringify({ ...s, loads, series }, null, 2) + '\n');
        return 0;
      }
      out(renderShow(s, loads, series.length));
      return 0;
    }
    case 'export': {
      const bar = values.progress || io.stderr.isTTY ? new ProgressBar(io.stderr, 'exporting') : undefined;
      // The history worker writes files only: standard output gets the export through a private
      // temporary folder, removed whatever happens (a failed export leaves no file there either).
      const tmp = values.out === STDOUT ? mkdtempSync(join(tmpdir(), 'iocm-export-')) : null;
      try {
        const r = await client.exportSession(
          {
            sessionId: values.session as string,
            format: values.format as 'csv' | 'json' | 'sqlite',
            out: tmp ? join(tmp, `session.${String(values.format)}`) : (values.out as string),
            csvLayout: values['csv-layout'] as 'long' | 'wide' | undefined,
          },
          bar ? { onProgress: (f) => bar.update(Math.round(f * 1000), 1000) } : {},
        );
        bar?.done();
        if (!tmp) {
          out(`exported session ${String(values.session)} to ${r.path} (${String(values.format)}, ${r.rows} rows)\n`);
          return 0;
        }
        await copyOut(tmp, r.path, io.stdout);
        // Standard output carries the data only: the summary goes to stderr.
        io.stderr.write(printable(`exported session ${String(values.session)} to standard output (${String(values.format)}, ${r.rows} rows)\n`));
        return 0;
      } finally {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    }
    case 'import': {
      const r = await client.importFile(values.in as string);
      for (const s of r.sessions) {
        const why = s.renamed === 'invalid' ? `${JSON.stringify(s.originalId)} is not a valid session id: ${VALID_ID_RULE}` : 'the id was taken; nothing was overwritten';
        out(s.id === s.originalId ? `imported session ${s.id}\n` : `imported session ${s.originalId} as ${s.id} (${why})\n`);
      }
      return 0;
    }
    case 'delete': {
      const s = await client.deleteSession(values.session as string);
      out(`deleted session ${s.id} (${s.host}, ${iso(s.startedAt)}, ${s.snapshots} snapshots)\n`);
      return 0;
    }
  }
  return 2;
}

/** A session's policy for the list: "iocm → static:2 → iocm (2 policy changes, 3 operator overrides)", or its one policy. */
function policyCell(s: { policy: string; control?: SessionControl }): string {
  if (!s.policy) return '-';
  const note = controlNote(s);
  return note ? `${policyTrail(s)} (${note})` : s.policy;
}

function renderShow(s: HistorySession & { control?: SessionControl }, loads: { seq: number; t: number; phase: string; loads: Record<string, number> }[], nSeries: number): string {
  const lines = [
    `session    ${s.id}${s.parentId ? ` (what-if of ${s.parentId})` : ''}`,
    `host       ${s.host} (${s.source})`,
    `scenario   ${s.scenario || '-'}${s.seed !== null ? ` · seed ${s.seed}` : ''}`,
    `policy     ${s.policy || '-'} ${Object.keys(s.policyConfig).length ? JSON.stringify(s.policyConfig) : ''}`.trimEnd(),
    // Only when control changed after it began: the policies in turn and the operator overrides.
    ...(controlNote(s) ? [`control    ${policyTrail(s)} (${controlNote(s)})`] : []),
    // A recording started on a running host: its time is the host's (t = 0 at the host's start).
    s.recordedFrom > s.startedAt ? `started    ${iso(s.recordedFrom)} (session time 0 = ${iso(s.startedAt)}, the host's start)` : `started    ${iso(s.startedAt)}`,
    `ended      ${iso(s.endedAt)} (${s.status}${s.error ? `: ${s.error}` : ''})`,
    `covers     ${fixed(s.t0 / 1000)}–${fixed(s.t1 / 1000)} s · ${s.snapshots} snapshots every ${s.intervalMs ?? '?'} ms`,
    `events     ${s.events} (${s.decisions} decisions)`,
    `series     ${nSeries}`,
    `app        ${s.appVersion || '-'}`,
  ];
  // A real host reports no offered load (its snapshots carry 0): only a model session has one to show.
  if (loads.length && s.source === 'model') {
    lines.push('', 'offered load changes:');
    const rows = [['t (s)', 'phase', 'loads']];
    for (const l of loads.slice(0, 30)) rows.push([fixed(l.t / 1000), l.phase || '-', Object.entries(l.loads).map(([g, v]) => `${g}=${v}`).join(' ')]);
    if (loads.length > 30) rows.push(['…', `${loads.length - 30} more`, '']);
    lines.push(table(rows, { left: [1, 2] }).trimEnd());
  }
  return lines.join('\n') + '\n';
}
