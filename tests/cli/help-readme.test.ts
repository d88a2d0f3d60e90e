/**
 * The README's CLI section matches the program: every command, each of its flags, and the exit codes.
 * The program's side is what `<command> --help` prints.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_MEANINGS } from '../../src/cli/exit';
import { runCli } from './run-cli';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

function tableAfter(marker: string): string[][] {
  const start = readme.indexOf(marker);
  expect(start, `README.md: ${marker}`).toBeGreaterThan(0);
  const lines = readme.slice(start).split('\n').slice(1);
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

/** The long flags `--help` lists (without --help itself). */
function helpFlags(help: string): string[] {
  const options = help.split(/^Options:$/m)[1]?.split(/\n\n/)[0] ?? '';
  return [...options.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!).filter((f) => f !== '--help');
}

const rows = tableAfter('<!-- cli-commands');
const documented = Object.fromEntries(rows.map(([cmd, , flags]) => [cmd!.match(/^`([a-z]+)/)![1]!, flags ?? '']));

describe('README CLI section against the program', () => {
  it('documents every command of `aurora-restore --help`, and no other', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    const commands = [...r.stdout.split(/^Commands:$/m)[1]!.split(/\n\n/)[0]!.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(Object.keys(documented).sort()).toEqual(commands.sort());
  });

  it.each(Object.keys(documented))('%s: the flags of `--help` are those of the README row', async (command) => {
    const r = await runCli([command, '--help']);
    expect(r.code).toBe(0);
    const fromHelp = helpFlags(r.stdout);
    let cell = documented[command]!;
    if (cell.includes('the request flags of `start`')) cell += ` ${documented.start}`.replace(/`--(reset|dry-run|verbose)`/g, '');
    const fromReadme = [...new Set([...cell.matchAll(/`(--[a-z-]+)`/g)].map((m) => m[1]!))];
    expect(fromReadme.sort()).toEqual([...new Set(fromHelp)].sort());
    // Every command with flags beyond --json shows examples.
    if (fromHelp.some((f) => f !== '--json' && f !== '--aws')) expect(r.stdout).toContain('Examples:');
  });

  it('the exit code table is src/cli/exit.ts', () => {
    const table = tableAfter('<!-- cli-exit-codes').map(([code, meaning]) => [Number(code), meaning]);
    expect(table).toEqual(EXIT_MEANINGS);
  });

  it('--version prints the package version; an unknown command is a usage error', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')).version);
    const u = await runCli(['restart']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown command 'restart'/);
  });

  it('completion scripts name every command and flag', async () => {
    const bash = await runCli(['completion', 'bash']);
    expect(bash.code).toBe(0);
    for (const [command, flags] of Object.entries(documented)) {
      expect(bash.stdout).toContain(command);
      for (const [, f] of flags.matchAll(/`(--[a-z-]+)`/g)) expect(bash.stdout).toContain(f);
    }
    expect(bash.stdout).toContain('complete -F _aurora_restore aurora-restore');
    expect((await runCli(['completion', 'zsh'])).stdout).toContain('bashcompinit');
    expect((await runCli(['completion', 'fish'])).code).toBe(2);
  });
});
