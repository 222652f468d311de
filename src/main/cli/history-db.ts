/**
 * The history database a command works on: `--db FILE` or the default (`$IOCM_DB` or the
 * per-user data folder). Opening a history database creates it when it is missing, which is
 * right for the commands that record (simulate --record, sessions import) and wrong for every
 * other: a mistyped `--db` would leave an empty new file and report "no session" instead of the
 * typo. Those commands ask for the path through {@link existingDbPath}.
 */
import { existsSync } from 'node:fs';
import { UsageError } from './errors.ts';
import { clip } from './format.ts';
import { defaultDbPath, defaultDbProblem } from '../history/paths.ts';
import { VALID_ID_RULE, isValidSessionId } from '../history/types.ts';

/**
 * `--session ID` checked by the rule every stored id follows (a UsageError, exit 2, otherwise):
 * a command never looks up, nor echoes whole, an argument that cannot be a session id. `sub`
 * (a subcommand) starts the message when given.
 */
export function sessionIdArg(id: string, sub?: string): string {
  if (isValidSessionId(id)) return id;
  throw new UsageError(`${sub === undefined ? '' : `${sub}: `}--session '${clip(id)}' is not a session id (${VALID_ID_RULE}; see \`iocm sessions list\`)`);
}

/**
 * The default database path (`$IOCM_DB` or the per-user file) of a command given no `--db`: an
 * `$IOCM_DB` whose folder does not exist is a UsageError (exit 2) naming IOCM_DB and the folder,
 * as a `--db` in a missing folder is; the per-user folder is created when the database is opened.
 * `sub` (a subcommand, e.g. "import") starts the message when given.
 */
export function defaultDb(sub?: string): string {
  const problem = defaultDbProblem();
  if (problem) throw new UsageError(`${sub === undefined ? '' : `${sub}: `}${problem}`);
  return defaultDbPath();
}

/**
 * The database path of a command that needs an existing database. Throws a UsageError (exit 2),
 * creating nothing, when it is missing: naming `--db` when the flag gave the path, else saying
 * there is no database yet. `sub` (a subcommand, e.g. "show") starts the message when given.
 */
export function existingDbPath(db: string | undefined, sub?: string): string {
  const path = db ?? defaultDb(sub);
  if (existsSync(path)) return path;
  const pre = sub === undefined ? '' : `${sub}: `;
  if (db !== undefined) throw new UsageError(`${pre}no history database at ${path} (--db)`);
  throw new UsageError(`${pre}there is no history database yet (${path}): record a session first`);
}
