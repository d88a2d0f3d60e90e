import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli';

const run = runCli;

afterEach(() => vi.restoreAllMocks());

describe('aurora-restore CLI', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aurora-cli-'));

  it('start --json prints one JSON document (the final state) and exits 0 on SUCCEEDED', async () => {
    const r = await run(['start', '--json', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    const state = JSON.parse(r.stdout);
    expect(state.status).toBe('SUCCEEDED');
    expect(r.stderr).toContain('check-restore-status');

    const status = await run(['status', state.operation_id, '--json', '--data-dir', dataDir]);
    expect(JSON.parse(status.stdout).status).toBe('SUCCEEDED');
    const list = await run(['list', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(list.stdout).map((o: { operation_id: string }) => o.operation_id)).toContain(state.operation_id);
  });

  it('exits 1 on FAILED with the error in the state', async () => {
    const r = await run(['start', '--json', '--target-cluster', 'analytics', '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('DeletionRefused');
  });

  it.each([
    [['start', '--snapshot-date', '2026-02-30'], /^error: --snapshot-date: expected a date that exists/m],
    [['start', '--target-region', 'mars-north-1'], /^error: --target-region: expected an AWS region/m],
    [['start', '--target-cluster', 'bad--name'], /^error: --target-cluster: expected an RDS identifier/m],
    [['start', '--no-such-flag'], /unknown option/],
    [['replay', '--from', 'yesterday', '--to', '2026-11-24T03:00:00Z'], /--from: expected an ISO-8601 time/],
  ])('bad input %j exits 2 naming the field', async (argv, message) => {
    const r = await run([...argv, '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('prints the Mermaid graph and the event JSON Schemas', async () => {
    const g = await run(['graph']);
    expect(g.stdout).toMatch(/^flowchart TD/);
    expect(g.stdout).toContain('check_restore_status');
    const ev = await run(['events']);
    expect(Object.keys(JSON.parse(ev.stdout))).toContain('RestoreRequested');
  });
});
