/**
 * Following a restore on AWS with the CLI (item 9 of "The CLI as a daily tool"): `start --aws` puts the
 * request on the stage's bus (named from --stage, as deployed), the real handlers run it on moto, and
 * `watch --aws` (live, while it runs), `status --aws` and `list --aws` show the operation and its step
 * timeline from the deployed state and audit tables. `replay --aws --operation` with an unknown id exits 3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../src/lib/tags';
import { runCli } from '../cli/run-cli';
import { motoAvailable, motoSdkEnvironment, motoSkipReason, startMoto, useMotoEnvironment, type MotoServer } from './moto-server';
import { MotoPipeline, startClusterPostgres } from './pipeline';
import { describeRegion, seedCluster, seedManualSnapshot } from './rds-world';
import { MOTO_STAGE } from './stack';

if (motoSkipReason) console.warn(motoSkipReason);

const REGION = 'us-east-1';
const SOURCE = 'orders-prod';
const SNAPSHOT = `${SOURCE}-2026-11-24-00-05`;
const AWS = ['--aws', '--region', REGION, '--stage', MOTO_STAGE];

describe.skipIf(!motoAvailable)('start / watch / status / list --aws on a deployed-like stack (moto)', () => {
  let moto: MotoServer;
  let restoreEnv: () => void;
  let p: MotoPipeline;

  beforeAll(async () => {
    const postgres = startClusterPostgres();
    moto = await startMoto();
    restoreEnv = useMotoEnvironment({ ...motoSdkEnvironment(moto.endpoint, REGION), EVENT_BUS_NAME: '' });
    p = await MotoPipeline.open({ moto, region: REGION, regions: [REGION], postgres });
    await seedCluster({ region: REGION, clusterId: SOURCE, kmsKeyId: p.keys.byRegion[REGION], instances: [`${SOURCE}-1`] });
    await seedManualSnapshot(REGION, SOURCE, SNAPSHOT);
    await seedCluster({ region: REGION, clusterId: 'orders-staging', tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE }, instances: ['orders-staging-a'] });
    await p.baseline();
  });
  afterAll(async () => {
    await p?.close();
    restoreEnv?.();
    await moto?.stop();
  });

  it('plan --aws: what the restore would do, from Describe calls only (nothing changes)', async () => {
    const before = await describeRegion(REGION);
    const r = await runCli(['plan', ...AWS, '--json', '--snapshot-id', SNAPSHOT, '--source-region', REGION, '--target-region', REGION, '--target-cluster', 'orders-staging', '--delete-existing']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.refusal).toBeUndefined();
    const actions = plan.actions.map((a: { action: string; resource: string; verdict?: string }) => `${a.action} ${a.resource}${a.verdict ? ` ${a.verdict}` : ''}`);
    expect(actions).toEqual(
      expect.arrayContaining([`use snapshot ${SNAPSHOT} (${REGION})`, 'copy nothing', 'delete instance orders-staging-a allowed', 'create cluster orders-staging (us-east-1)', 'create instance orders-staging-writer']),
    );
    const refused = await runCli(['plan', ...AWS, '--snapshot-id', SNAPSHOT, '--source-region', REGION, '--target-region', REGION, '--target-cluster', SOURCE, '--delete-existing']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/verdict\s+would FAIL: TargetProtected|verdict\s+would FAIL: DeletionRefused/);
    const after = await describeRegion(REGION);
    expect([...after.clusters.keys()].sort()).toEqual([...before.clusters.keys()].sort());
    expect([...after.instances.keys()].sort()).toEqual([...before.instances.keys()].sort());
    expect([...after.snapshots.keys()].sort()).toEqual([...before.snapshots.keys()].sort());
  });

  it('start --aws, then watch --aws follows it live to SUCCEEDED; status and list show it with its timeline', async () => {
    const started = await runCli(['start', ...AWS, '--json', '--snapshot-id', SNAPSHOT, '--source-region', REGION, '--target-region', REGION, '--target-cluster', 'orders-staging', '--delete-existing']);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const { operationId, eventBusName } = JSON.parse(started.stdout) as { operationId: string; eventBusName: string };
    expect(eventBusName).toBe(p.stack.busName);

    // watch runs while the handlers work the operation (it polls the deployed tables), and ends with it.
    const [watch, run] = await Promise.all([runCli(['watch', operationId, ...AWS, '--json', '--poll-seconds', '0.2']), p.runUntilTerminal(operationId)]);
    expect(run.state.status, JSON.stringify(run.state.error)).toBe('SUCCEEDED');
    expect(watch.code, watch.stderr).toBe(0);
    const lines = watch.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const actors = lines.filter((l) => l.actor).map((l) => `${l.actor} ${String(l.text).split(' ').slice(0, 2).join(' ')}`);
    expect(actors).toEqual(
      expect.arrayContaining(['snapshot-check ✓ SNAPSHOT_VALIDATED', 'delete-rds ✓ DELETE_STARTED', 'restore-snapshot ✓ RESTORE_STARTED', 'check-restore-status ✓ CLUSTER_AVAILABLE', 'sns-notification ✓ OPERATION_SUCCEEDED']),
    );
    expect(lines.at(-1)?.state?.status).toBe('SUCCEEDED');

    const status = await runCli(['status', operationId, ...AWS, '--json']);
    expect(status.code).toBe(0);
    const state = JSON.parse(status.stdout);
    expect(state).toMatchObject({ operation_id: operationId, status: 'SUCCEEDED' });
    expect(state.audit_trail.map((e: { step: string }) => e.step)).toEqual(expect.arrayContaining(['snapshot-check', 'check-delete-status', 'setup-db-users', 'sns-notification']));
    const text = await runCli(['status', operationId, ...AWS]);
    expect(text.stdout).toMatch(/status\s+SUCCEEDED/);
    expect(text.stdout).toMatch(/check-restore-status\s+✓ CLUSTER_AVAILABLE/);

    const list = await runCli(['list', ...AWS]);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^OPERATION\s+STATUS\s+TARGET/);
    expect(list.stdout).toMatch(new RegExp(`${operationId}\\s+SUCCEEDED\\s+orders-staging`));
  });

  it('an unknown operation is "not found" (exit 3) for status, watch and replay --operation', async () => {
    const id = 'restore-20000101-000000-zzzzzz';
    for (const argv of [['status', id], ['watch', id], ['replay', '--from', '2026-11-24T00:00:00Z', '--to', '2026-11-25T00:00:00Z', '--operation', id]]) {
      const r = await runCli([...argv, ...AWS]);
      expect(r.code, `${argv[0]}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(/^error: <operation-id>: no operation restore-20000101-000000-zzzzzz in table aurora-restore-moto-state/m);
    }
  });

  it('a stage that is not deployed there is one line naming --stage, exit 1', async () => {
    const r = await runCli(['list', '--aws', '--region', REGION, '--stage', 'nosuchstage']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: --stage: table aurora-restore-nosuchstage-state does not exist in us-east-1/);
  });
});
