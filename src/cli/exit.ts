/**
 * The CLI's exit codes (documented in the README's CLI section, checked by tests/cli/help-readme.test.ts)
 * and the one error type commands throw: a message of one line, naming the flag the user typed.
 */
import { isTerminal } from '../schemas/operation-state';

export const EXIT = {
  /** The command did its job; for an operation: it SUCCEEDED. */
  OK: 0,
  /** The operation FAILED, or the command could not do its job (AWS refused, the data folder is in use, ...). */
  FAILED: 1,
  /** Bad usage: an unknown or bad flag, a bad request, a scenario that does not match the data folder. */
  USAGE: 2,
  /** No such operation (or no data folder yet). */
  NOT_FOUND: 3,
  /** The operation is still running, or the command was interrupted (Ctrl-C): resume with `watch ID`. */
  RUNNING: 4,
} as const;

/** The exit code table of the README: code, meaning. */
export const EXIT_MEANINGS: [number, string][] = [
  [EXIT.OK, 'succeeded (an operation SUCCEEDED; `start --aws`: the request was put on the bus)'],
  [EXIT.FAILED, 'failed (an operation FAILED, or AWS, the data folder or the environment refused)'],
  [EXIT.USAGE, 'usage: a bad or unknown flag, an invalid request, a scenario that does not match the data folder'],
  [EXIT.NOT_FOUND, 'not found: no such operation, or no data folder yet'],
  [EXIT.RUNNING, 'still running, or interrupted (Ctrl-C): resume with `aurora-restore watch ID`'],
];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.USAGE);
export const notFound = (message: string) => new CliError(message, EXIT.NOT_FOUND);
export const failure = (message: string) => new CliError(message, EXIT.FAILED);

/** The exit code of a command that reports an operation: 0 SUCCEEDED, 1 FAILED, 4 still running. */
export function exitForStatus(status: string): number {
  if (status === 'SUCCEEDED') return EXIT.OK;
  if (status === 'FAILED') return EXIT.FAILED;
  return isTerminal(status as never) ? EXIT.FAILED : EXIT.RUNNING;
}
