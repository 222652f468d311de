/** Errors the CLI reports to the user (exit code 2): bad arguments or bad input files. Defined in src/shared so core code raises it without importing the CLI. */
export { UsageError } from '../../shared/errors.ts';
