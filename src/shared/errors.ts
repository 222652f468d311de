/**
 * Errors every layer may raise and every shell understands. `UsageError` is bad input — an
 * argument, a file, a policy name or config — in words the user understands; shells report it
 * as such (the CLI with exit code 2, the API as a 'invalid' error) and never with a stack trace.
 * It lives in src/shared so core code needs no shell's module to raise it. Pure TS.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
