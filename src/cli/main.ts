/**
 * The aurora-restore program: one file per command in src/cli/commands, flags in flags.ts, the data folder
 * in data-folder.ts, AWS in aws.ts. Errors end as one line on stderr and a documented exit code (exit.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { core } from '../schemas/zod';
import { describeIssues } from '../schemas/restore-request';
import { ConfigError } from '../schemas/config';
import { CliError, EXIT } from './exit';
import { eventsCommand, completionCommand, graphCommand } from './commands/info';
import { listCommand, statusCommand } from './commands/history';
import { planCommand } from './commands/plan';
import { profilesCommand } from './commands/profiles';
import { replayCommand } from './commands/replay';
import { startCommand } from './commands/start';
import { watchCommand } from './commands/watch';
import { err } from './output';

// The SDK's notice about the Node.js version is noise on an operator's terminal (bin/aurora-restore.mjs sets it too).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The package's version: package.json above this module (the sources, or the bundle in node_modules/.cache). */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'aurora-restore' && pkg.version) return pkg.version;
  }
  return 'unknown';
}
const VERSION = packageVersion();

export function buildProgram(): Command {
  const program = new Command('aurora-restore')
    .description('Restore Amazon Aurora clusters from snapshots, unattended. Runs locally (simulated AWS, virtual clock) unless --aws is given.')
    .version(VERSION, '--version', 'print the version')
    .showHelpAfterError('(add --help for the flags and examples)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(s) })
    .exitOverride();
  for (const cmd of [startCommand(), planCommand(), statusCommand(), listCommand(), watchCommand(), replayCommand(), profilesCommand(), graphCommand(), eventsCommand()]) program.addCommand(cmd);
  program.addCommand(completionCommand(program));
  program.addHelpText(
    'after',
    `
Exit codes: 0 succeeded · 1 failed · 2 usage · 3 not found · 4 still running or interrupted.

Examples:
  aurora-restore start                     # a full local restore on the built-in world
  aurora-restore list                      # operations of the data folder, newest first
  aurora-restore status <operation-id>     # its state and step timeline
  aurora-restore plan --target-cluster analytics
  aurora-restore profiles list               # saved refresh profiles (start --refresh-profile NAME)
  aurora-restore list --aws --stage prod --region us-east-1
`,
  );
  // Every subcommand reports its errors the same way (exitOverride is not inherited by added commands).
  const override = (c: Command): void => {
    c.exitOverride().showHelpAfterError('(add --help for the flags and examples)');
    c.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? EXIT.OK);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed the message; help and version are not errors.
      return ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(e.code) ? EXIT.OK : EXIT.USAGE;
    }
    if (e instanceof CliError) {
      err(`error: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof ConfigError) {
      err(`error: environment: ${e.problems.join('; ')}`);
      return EXIT.USAGE;
    }
    // Any other zod error (the schemas are zod/mini: core errors; classic zod's ZodError is one too).
    if (e instanceof core.$ZodError) {
      err(`error: invalid request: ${describeIssues(e)}`);
      return EXIT.USAGE;
    }
    // Anything else is a bug or an outage: one line, the stack only when asked for.
    err(`error: ${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`);
    if (process.env.AURORA_RESTORE_DEBUG) err(String((e as Error)?.stack));
    return EXIT.FAILED;
  }
}

// Run when executed as the program (bin/aurora-restore.mjs imports this module).
if (process.env.AURORA_RESTORE_NO_MAIN !== '1') {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
