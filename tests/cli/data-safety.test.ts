/**
 * Items 1-4 and 8 of "The CLI as a daily tool": what an operator meets in the first hour must never
 * lose data or give a wrong result. Each test fails on the CLI before the fix.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO } from '../../src/lib/local/scenario';
import { runCli, runCliProcess } from './run-cli';

const fresh = () => mkdtempSync(join(tmpdir(), 'aurora-cli-safety-'));

/** Every file of a folder with its bytes and mtime: a read-only command must leave all of them as they were. */
function folderImage(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const s = statSync(p);
    out[f] = s.isDirectory() ? `dir ${s.mtimeMs}` : `${s.mtimeMs} ${readFileSync(p, 'utf8')}`;
  }
  return out;
}

function scenarioFile(dir: string, patch: (s: any) => void = () => {}): string {
  const s = structuredClone(DEFAULT_SCENARIO) as any;
  patch(s);
  const file = join(dir, `world-${Math.random().toString(36).slice(2, 8)}.json`);
  writeFileSync(file, JSON.stringify(s));
  return file;
}

describe('1. read-only commands never wipe (or write) the data folder', () => {
  it('list / status without --scenario use the folder\'s scenario; a different --scenario is refused, naming --reset; nothing is written', async () => {
    const dir = fresh();
    const data = join(dir, 'd');
    const world = scenarioFile(dir, (s) => (s.durations.copyMinutes = 7));
    const started = await runCli(['start', '--json', '--scenario', world, '--data-dir', data]);
    expect(started.code).toBe(0);
    const id = JSON.parse(started.stdout).operation_id as string;
    const before = folderImage(data);

    const list = await runCli(['list', '--json', '--data-dir', data]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((o: { operation_id: string }) => o.operation_id)).toEqual([id]);
    const status = await runCli(['status', id, '--json', '--data-dir', data]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).status).toBe('SUCCEEDED');

    const other = scenarioFile(dir, (s) => (s.durations.copyMinutes = 8));
    const refused = await runCli(['list', '--scenario', other, '--data-dir', data]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: --scenario: .*--reset/m);
    const refusedStart = await runCli(['start', '--scenario', other, '--data-dir', data]);
    expect(refusedStart.code).toBe(2);
    expect(refusedStart.stderr).toMatch(/--scenario: .*--reset/);

    expect(folderImage(data)).toEqual(before);
    const again = await runCli(['status', id, '--json', '--data-dir', data]);
    expect(JSON.parse(again.stdout).operation_id).toBe(id);
  });

  it('start --reset starts the folder afresh with the new scenario', async () => {
    const dir = fresh();
    const data = join(dir, 'd');
    const first = await runCli(['start', '--json', '--data-dir', data]);
    expect(first.code).toBe(0);
    const other = scenarioFile(dir, (s) => (s.durations.copyMinutes = 3));
    const second = await runCli(['start', '--json', '--reset', '--scenario', other, '--data-dir', data]);
    expect(second.code).toBe(0);
    const ids = JSON.parse((await runCli(['list', '--json', '--data-dir', data])).stdout).map((o: { operation_id: string }) => o.operation_id);
    expect(ids).toEqual([JSON.parse(second.stdout).operation_id]);
  });
});

describe('2. two commands on one data folder', () => {
  it('never lose an operation: each start that reports success can be found; the other says the folder is in use', async () => {
    const data = join(fresh(), 'd');
    const [a, b] = await Promise.all([runCliProcess(['start', '--json', '--data-dir', data]), runCliProcess(['start', '--json', '--data-dir', data])]);
    const ok = [a, b].filter((r) => r.code === 0);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of ok) {
      const id = JSON.parse(r.stdout).operation_id as string;
      const s = await runCli(['status', id, '--json', '--data-dir', data]);
      expect(s.code, `operation ${id} reported SUCCEEDED but status cannot find it`).toBe(0);
    }
    for (const r of [a, b].filter((x) => x.code !== 0)) expect(r.stderr).toMatch(/--data-dir: .* in use by/);
  });
});

describe('3. --snapshot-id replaces the scenario\'s snapshot choice', () => {
  it('start --snapshot-id on the built-in world restores that snapshot', async () => {
    const r = await runCli(['start', '--json', '--snapshot-id', 'rds:aurora-prod-2026-11-23-00-05', '--data-dir', join(fresh(), 'd')]);
    expect(r.stderr).not.toMatch(/not both/);
    expect(r.code).toBe(0);
    const state = JSON.parse(r.stdout);
    expect(state.parameters.source_snapshot_id).toBe('rds:aurora-prod-2026-11-23-00-05');
    expect(state.snapshot_details.source_snapshot_id).toBe('rds:aurora-prod-2026-11-23-00-05');
  });
});

describe('4. scenario faults apply to every command in a data folder', () => {
  it('a reloaded simulator keeps throttling', async () => {
    const dir = fresh();
    const data = join(dir, 'd');
    const world = scenarioFile(dir, (s) => (s.faults = { ...s.faults, throttleRate: 0.3 }));
    for (let run = 1; run <= 2; run++) {
      const r = await runCli(['start', '--json', '--scenario', world, '--data-dir', data]);
      const state = JSON.parse(r.stdout);
      expect(state.metrics.retry_count, `run ${run}`).toBeGreaterThan(0);
    }
  });
});

describe('6. a target the safety rules would protect (CLI)', () => {
  it('start --target-cluster staging-from-prod exits 2 naming the flag and the rule', async () => {
    const r = await runCli(['start', '--target-cluster', 'staging-from-prod', '--data-dir', join(fresh(), 'd')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --target-cluster: .*PROTECTED_CLUSTER_PATTERN/m);
  });
});

describe('8. an interrupted start', () => {
  it('prints the operation id at once; on SIGINT it saves, says how to resume and exits 4; watch resumes it to its end', async () => {
    const data = join(fresh(), 'd');
    let sent = false;
    const r = await runCli(['start', '--data-dir', data], {
      onStdout: (text) => {
        if (!sent && text.includes('check-copy-status')) {
          sent = true;
          process.emit('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    const id = /operation (restore-\S+)/.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    expect(r.stdout.indexOf(`operation ${id}`)).toBeLessThan(r.stdout.indexOf('snapshot-check'));
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`interrupted — resume with \`aurora-restore watch ${id}`);

    const status = await runCli(['status', id!, '--json', '--data-dir', data]);
    expect(status.code).toBe(4); // still running
    expect(JSON.parse(status.stdout).status).not.toMatch(/SUCCEEDED|FAILED/);

    const watch = await runCli(['watch', id!, '--data-dir', data]);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toMatch(/status\s+SUCCEEDED/);
    expect(JSON.parse((await runCli(['status', id!, '--json', '--data-dir', data])).stdout).status).toBe('SUCCEEDED');
  });

  it('a real SIGINT to the process: the operation is kept and can be resumed', async () => {
    const data = join(fresh(), 'd');
    let killed = false;
    const r = await runCliProcess(['start', '--data-dir', data], {
      onLine: (line, child) => {
        if (!killed && line.includes('copy-snapshot')) {
          killed = true;
          child.kill('SIGINT');
        }
      },
    });
    const id = /operation (restore-\S+)/.exec(r.stdout)?.[1];
    expect(id, r.stdout + r.stderr).toBeDefined();
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(`watch ${id}`);
    const watch = await runCli(['watch', id!, '--data-dir', data]);
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toMatch(/status\s+SUCCEEDED/);
  });
});
