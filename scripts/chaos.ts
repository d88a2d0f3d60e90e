/**
 * npm run chaos -- --operations 500 --seed 1 --profile hostile [--seed 2 ...] [--out DIR]
 * Runs N concurrent restores under a fault profile (one run per --seed), checks every invariant and
 * writes chaos.md and chaos.json into --out (default .aurora-restore/reports, outside the tracked reports/:
 * `--out reports` refreshes the committed report deliberately). Exit code 1 when an invariant is violated.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { profileNamed, PROFILES } from '../src/chaos/profiles';
import { chaosMarkdown } from '../src/chaos/report';
import { runChaos, type ChaosReport } from '../src/chaos/runner';

const integer = (name: string, min: number, max: number) => (value: string, previous?: number[] | number) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return Array.isArray(previous) ? [...previous, n] : n;
};

const program = new Command('chaos')
  .description('Concurrent restores under injected faults, with invariants checked and a report written')
  .option('--operations <n>', 'restores to run at once', integer('--operations', 1, 5000), 500)
  .option('--seed <n...>', 'seed(s) of every random source; one run per seed', (v: string, prev: number[] | undefined) => integer('--seed', 0, 2 ** 31 - 1)(v, prev ?? []) as number[])
  .option('--profile <name>', `fault profile: ${Object.keys(PROFILES).join(', ')}`, 'hostile')
  .option('--out <dir>', 'folder for chaos.md and chaos.json (the committed report: --out reports)', '.aurora-restore/reports')
  .exitOverride();

try {
  program.parse(process.argv);
} catch (e) {
  process.exit((e as { exitCode?: number }).exitCode === 0 ? 0 : 2);
}
const opts = program.opts<{ operations: number; seed?: number[]; profile: string; out: string }>();
let profile;
try {
  profile = profileNamed(opts.profile);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}

const runs: ChaosReport[] = [];
for (const seed of opts.seed ?? [1]) {
  const report = await runChaos({ operations: opts.operations, seed, profile, log: (l) => console.log(`[seed ${seed}] ${l}`) });
  runs.push(report);
  console.log(`[seed ${seed}] ${report.ok ? 'every invariant holds' : 'INVARIANTS VIOLATED'} — wall ${(report.wallMs / 1000).toFixed(1)} s`);
  for (const i of report.invariants) console.log(`  ${i.ok ? 'ok  ' : 'FAIL'} ${i.name} (${i.checked} checked)${i.ok ? '' : `: ${i.violations.slice(0, 5).join(' | ')}`}`);
}
await mkdir(opts.out, { recursive: true });
const command = `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim();
await writeFile(join(opts.out, 'chaos.md'), chaosMarkdown(runs, command));
await writeFile(join(opts.out, 'chaos.json'), `${JSON.stringify({ command, runs }, null, 2)}\n`);
console.log(`wrote ${join(opts.out, 'chaos.md')} and ${join(opts.out, 'chaos.json')}`);
process.exit(runs.every((r) => r.ok) ? 0 : 1);
