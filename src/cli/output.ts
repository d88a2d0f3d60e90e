/** Where the CLI writes: results on stdout, progress and errors on stderr (with --json, stdout is JSON only). */
export const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
export const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
/** One JSON document, pretty-printed. */
export const printJson = (value: unknown): void => out(JSON.stringify(value, null, 2));
/** One JSON value per line (`watch --json`). */
export const printJsonLine = (value: unknown): void => out(JSON.stringify(value));
