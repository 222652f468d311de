/** Errors the CLI reports to the user (exit code 2): bad arguments or bad input files. */
export class UsageError extends Error {
  override name = 'UsageError';
}
