/**
 * Consistent output (item 12) and `plan` (item 11): --json on every command, the timeline's columns, the
 * same time format live and in the history, --verbose, and a plan that changes nothing.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO } from '../../src/lib/local/scenario';
import { runCli } from './run-cli';

const fresh = () => mkdtempSync(join(tmpdir(), 'aurora-cli-out-'));
const LINE = /^ {2}( *\+(\d+:)?\d{2}:\d{2})  (\d{2}:\d{2}:\d{2})  (\S+)\s+(.*)$/;

function scenarioFile(dir: string, patch: (s: any) => void): string {
  const s = structuredClone(DEFAULT_SCENARIO) as any;
  patch(s);
  const file = join(dir, 'world.json');
  writeFileSync(file, JSON.stringify(s));
  return file;
}

describe('one finished operation, every read command', () => {
  let data: string;
  let id: string;
  let live: string;
  beforeAll(async () => {
    const dir = fresh();
    data = join(dir, 'd');
    // A copy of more than an hour: the elapsed column grows an hour field.
    const r = await runCli(['start', '--scenario', scenarioFile(dir, (s) => (s.durations.copyMinutes = 75)), '--data-dir', data]);
    expect(r.code).toBe(0);
    live = r.stdout;
    id = /operation (restore-\S+)/.exec(r.stdout)![1]!;
  }, 60_000);

  it('the timeline columns line up, past an hour too, with the same format live and in the history', async () => {
    const history = (await runCli(['status', id, '--data-dir', data])).stdout;
    for (const text of [live, history]) {
      const lines = text.split('\n').filter((l) => LINE.test(l));
      expect(lines.length).toBeGreaterThan(8);
      // The UTC time starts in the same column on every line, whatever the elapsed time.
      expect(new Set(lines.map((l) => l.search(/\d{2}:\d{2}:\d{2}  /)))).toHaveLength(1);
      expect(lines.some((l) => /\+1:\d{2}:\d{2}/.test(l))).toBe(true);
    }
  });

  it('--json: status with its audit trail, list, watch as JSON lines, graph', async () => {
    const status = JSON.parse((await runCli(['status', id, '--json', '--data-dir', data])).stdout);
    expect(status.operation_id).toBe(id);
    expect(status.audit_trail.length).toBeGreaterThan(10);
    expect(status.audit_trail[0]).toMatchObject({ operation_id: id, step: 'snapshot-check' });

    const list = JSON.parse((await runCli(['list', '--json', '--data-dir', data])).stdout);
    expect(list).toEqual([expect.objectContaining({ operation_id: id, status: 'SUCCEEDED', target: 'aurora-staging', target_region: 'us-west-2' })]);

    const watch = await runCli(['watch', id, '--json', '--data-dir', data]);
    expect(watch.code).toBe(0);
    const lines = watch.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ actor: 'snapshot-check', elapsed: '+00:00' });
    expect(lines.at(-1).state.status).toBe('SUCCEEDED');

    expect(JSON.parse((await runCli(['graph', '--json'])).stdout).mermaid).toMatch(/^flowchart TD/);
  });

  it('list has a header; a finished watch exits with the outcome', async () => {
    const list = (await runCli(['list', '--data-dir', data])).stdout.split('\n');
    expect(list[0]).toMatch(/^OPERATION\s+STATUS\s+TARGET\s+REGION\s+STARTED \(UTC\)\s+ERROR$/);
    expect(list[1]).toMatch(new RegExp(`^${id}\\s+SUCCEEDED\\s+aurora-staging\\s+us-west-2\\s+2026-11-24 02:00:00`));
  });

  it('an unknown operation: exit 3 for status and watch', async () => {
    for (const cmd of ['status', 'watch']) {
      const r = await runCli([cmd, 'restore-20261124-020000-nosuch', '--data-dir', data]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^error: <operation-id>: no operation restore-20261124-020000-nosuch in data folder/);
    }
  });
});

describe('--verbose', () => {
  it('shows re-checks and throttling retries; without it, neither', async () => {
    const dir = fresh();
    const world = scenarioFile(dir, (s) => (s.faults = { ...s.faults, throttleRate: 0.3 }));
    const quiet = await runCli(['start', '--scenario', world, '--data-dir', join(dir, 'a')]);
    const verbose = await runCli(['start', '--verbose', '--scenario', world, '--data-dir', join(dir, 'b')]);
    expect(quiet.stdout).not.toMatch(/↻/);
    expect(verbose.stdout).toMatch(/timer\s+↻ re-check copy #1/);
    expect(verbose.stdout).toMatch(/↻ Throttled: retry #1/);
  }, 60_000);
});

describe('plan and start --dry-run', () => {
  it('say what would be used, copied, deleted (with the verdict), created; change nothing', async () => {
    const data = join(fresh(), 'd');
    await runCli(['start', '--data-dir', data]);
    const before = Object.fromEntries(readdirSync(data).map((f) => [f, `${statSync(join(data, f)).mtimeMs}:${readFileSync(join(data, f), 'utf8').length}`]));
    const plan = await runCli(['plan', '--json', '--data-dir', data]);
    expect(plan.code).toBe(0);
    const p = JSON.parse(plan.stdout);
    expect(p.refusal).toBeUndefined();
    const actions = p.actions.map((a: { action: string; resource: string }) => `${a.action} ${a.resource}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'use snapshot rds:aurora-prod-2026-11-24-00-05 (us-east-1)',
        'copy snapshot aurora-restore-xxxxxx-aurora-prod-2026-11-24-00-05 (us-west-2)',
        'delete instance aurora-staging-writer',
        'create cluster aurora-staging (us-west-2)',
        'create instance aurora-staging-writer',
      ]),
    );
    expect(p.actions.find((a: { action: string }) => a.action === 'delete').verdict).toBe('allowed');

    const refused = await runCli(['start', '--dry-run', '--target-cluster', 'analytics', '--data-dir', data]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/delete\s+cluster analytics .*refused: cluster analytics was not created by this pipeline/);
    expect(refused.stdout).toMatch(/verdict\s+would FAIL: DeletionRefused/);
    const after = Object.fromEntries(readdirSync(data).map((f) => [f, `${statSync(join(data, f)).mtimeMs}:${readFileSync(join(data, f), 'utf8').length}`]));
    expect(after).toEqual(before);
  }, 60_000);
});
