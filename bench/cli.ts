/**
 * The CLI's own latency, as an operator meets it: wall time of `aurora-restore <command>` as a new
 * process (Node start-up and TypeScript loading included), on a data folder holding one finished
 * restore. Read-only commands read the data folder's files and start no simulated AWS; `start` shows its
 * first line before the simulated AWS is up.
 *
 * `npm run bench` adds this section to bench.md/bench.json; `npm run bench:cli -- --out DIR` measures only
 * it and replaces the section of an existing DIR/bench.md (between the cli-latency markers).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../bin/aurora-restore.mjs');

export interface CliLatency {
  command: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface CliLatencyResult {
  machine: string;
  loadAverage: number;
  commands: CliLatency[];
  /** `start`: wall time to its first line, and to its end (a whole local restore). */
  startFirstLineMs: number;
  startTotalMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, AURORA_RESTORE_NO_MAIN: '0' } });
  if (r.status !== 0 && r.status !== 4) throw new Error(`aurora-restore ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return performance.now() - t;
}

/** `start` as a child process: ms to its first line on stdout, and to its exit. */
function timeStart(dataDir: string): Promise<{ firstLineMs: number; totalMs: number }> {
  return new Promise((resolvePromise, reject) => {
    const t = performance.now();
    let first: number | undefined;
    const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AURORA_RESTORE_NO_MAIN: '0' } });
    child.stdout.on('data', () => (first ??= performance.now() - t));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolvePromise({ firstLineMs: first ?? NaN, totalMs: performance.now() - t }) : reject(new Error(`start exited ${code}`))));
  });
}

export async function measureCliLatency(options: { runs?: number } = {}): Promise<CliLatencyResult> {
  const runs = options.runs ?? 7;
  const dir = mkdtempSync(join(tmpdir(), 'aurora-bench-cli-'));
  try {
    const data = join(dir, 'd');
    const start = await timeStart(data);
    const list = spawnSync(process.execPath, [BIN, 'list', '--json', '--data-dir', data], { encoding: 'utf8' });
    const id = (JSON.parse(list.stdout) as { operation_id: string }[])[0]!.operation_id;
    const commands: [string, string[]][] = [
      ['--version', ['--version']],
      ['list', ['list', '--data-dir', data]],
      ['status ID', ['status', id, '--data-dir', data]],
      ['status ID --json', ['status', id, '--json', '--data-dir', data]],
      ['watch ID (finished)', ['watch', id, '--data-dir', data]],
      ['plan', ['plan', '--data-dir', data]],
    ];
    const out: CliLatency[] = [];
    for (const [name, args] of commands) {
      time(args); // warm the file system cache and tsx's transform cache
      const ms = Array.from({ length: runs }, () => time(args));
      out.push({ command: name, runs, medianMs: Math.round(median(ms)), minMs: Math.round(Math.min(...ms)), maxMs: Math.round(Math.max(...ms)) });
    }
    const cpu = cpus();
    return { machine: `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, Node ${process.version}`, loadAverage: Number((await import('node:os')).loadavg()[0]!.toFixed(1)), commands: out, startFirstLineMs: Math.round(start.firstLineMs), startTotalMs: Math.round(start.totalMs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const CLI_MARKERS = ['<!-- cli-latency -->', '<!-- /cli-latency -->'] as const;

export function cliLatencyMarkdown(r: CliLatencyResult): string {
  return [
    CLI_MARKERS[0],
    '## CLI latency',
    '',
    `Wall time of \`aurora-restore <command>\` as a new process (Node start-up and TypeScript loading included), on a data folder holding one finished restore; median of ${r.commands[0]?.runs ?? 0} runs after a warm-up, on ${r.machine} (1-minute load average ${r.loadAverage} while measuring). Read-only commands read the data folder's files and start no simulated AWS. Before (commit e31382e), every command started dynalite and PGlite: \`list\` 7.4 s and \`status ID\` 12.6 s (hyperfine, 5 runs, same machine, 2026-12-01), against 0.38 s and 0.41 s after in that same hyperfine run.`,
    '',
    '| command | median | min | max |',
    '|---|---:|---:|---:|',
    ...r.commands.map((c) => `| \`${c.command}\` | ${c.medianMs} ms | ${c.minMs} ms | ${c.maxMs} ms |`),
    '',
    `\`start\` (a whole local restore of the built-in world): first line after ${r.startFirstLineMs} ms, done after ${(r.startTotalMs / 1000).toFixed(1)} s (PGlite starts only when setup-db-users needs it).`,
    CLI_MARKERS[1],
  ].join('\n');
}

/** Replaces (or appends) the CLI latency section of a bench.md. */
export function withCliSection(markdown: string, section: string): string {
  const [open, close] = CLI_MARKERS;
  const a = markdown.indexOf(open);
  const b = markdown.indexOf(close);
  if (a >= 0 && b > a) return `${markdown.slice(0, a)}${section}${markdown.slice(b + close.length)}`;
  return `${markdown.trimEnd()}\n\n${section}\n`;
}

// `npm run bench:cli -- [--out DIR] [--runs N]`
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const arg = (name: string, def: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1]! : def;
  };
  const outDir = resolve(arg('--out', '.aurora-restore/reports'));
  const result = await measureCliLatency({ runs: Number(arg('--runs', '7')) });
  mkdirSync(outDir, { recursive: true });
  const md = join(outDir, 'bench.md');
  writeFileSync(md, withCliSection(existsSync(md) ? readFileSync(md, 'utf8') : '# Benchmark\n', cliLatencyMarkdown(result)));
  const jsonFile = join(outDir, 'bench.json');
  const json = existsSync(jsonFile) ? JSON.parse(readFileSync(jsonFile, 'utf8')) : {};
  writeFileSync(jsonFile, `${JSON.stringify({ ...json, cliLatency: result }, null, 1)}\n`);
  process.stderr.write(`${cliLatencyMarkdown(result)}\n\nwrote ${md}\n`);
}
