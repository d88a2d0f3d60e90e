/**
 * Stage parameters checked when the template is built: PROTECTED_CLUSTER_PATTERN turned into the ARN
 * wildcards of the explicit Deny (or refused, naming the parameter), TARGET_REGIONS, and how a bad value
 * reaches the operator through `serverless package` (one line naming the parameter, no stack trace).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StageParamsError } from '../../src/infra/params';
import { globMatches, protectedNames } from '../../src/infra/protected';
import { buildInfrastructure, ids } from '../../src/infra/template';
import { CLONE_SOURCE, KMS_KEY, PARAMS, slsPackage } from './fixture';

const BASE = { VPC_ID: 'vpc-00000000', SUBNET_IDS: 'subnet-00000001', SECURITY_GROUP_IDS: 'sg-00000000', ...PARAMS, KMS_KEY_ID: KMS_KEY };
const problemsOf = (params: Record<string, string>, region = 'us-east-1'): string[] => {
  try {
    buildInfrastructure({ stage: 'unit', region, params: { ...BASE, ...params } });
    return [];
  } catch (e) {
    if (e instanceof StageParamsError) return e.problems;
    throw e;
  }
};

describe('PROTECTED_CLUSTER_PATTERN as ARN wildcards', () => {
  it.each([
    ['prod', ['*prod*'], ['*prod*']],
    ['PROD', ['*prod*'], ['*prod*']],
    ['prod|live', ['*prod*', '*live*'], ['*prod*', '*live*']],
    ['^prod', ['prod*'], ['prod*']],
    ['prod$', ['*prod'], ['*prod', '*prod-*']],
    ['^prod$|live', ['prod', '*live*'], ['prod', 'prod-*', '*live*']],
    ['^(prod|live)$', ['prod', 'live'], ['prod', 'prod-*', 'live', 'live-*']],
    ['(prod|live)', ['*prod*', '*live*'], ['*prod*', '*live*']],
    ['prod\\-eu', ['*prod-eu*'], ['*prod-eu*']],
  ])('%s → clusters %j, instances %j', (pattern, clusters, instances) => {
    expect(protectedNames(pattern)).toEqual({ clusters, instances });
  });

  it.each(['pr.d', 'prod.*', 'prod|', '', '^$', '(a|(b))', 'prod[0-9]', 'a+', 'prod_x'])('refuses %j, naming the parameter', (pattern) => {
    expect(() => protectedNames(pattern)).toThrow(/^PROTECTED_CLUSTER_PATTERN: cannot be turned into IAM ARN wildcards/);
  });

  it('denies exactly the cluster names the regular expression matches (case-insensitively; RDS names are lowercase)', () => {
    const part = fc.stringMatching(/^[a-z0-9]{1,4}$/);
    const alt = fc.record({ start: fc.boolean(), lit: part, end: fc.boolean() }).map((a) => `${a.start ? '^' : ''}${a.lit}${a.end ? '$' : ''}`);
    const pattern = fc.array(alt, { minLength: 1, maxLength: 3 }).map((alts) => alts.join('|'));
    const name = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
    fc.assert(
      fc.property(pattern, fc.array(name, { minLength: 1, maxLength: 20 }), (p, names) => {
        const { clusters } = protectedNames(p);
        for (const n of names) expect(clusters.some((g) => globMatches(g, n)), `${p} ~ ${n}`).toBe(new RegExp(p, 'i').test(n));
      }),
      { numRuns: 300 },
    );
  });

  it('a pattern that cannot be translated fails building the template, naming the parameter', () => {
    expect(problemsOf({ PROTECTED_CLUSTER_PATTERN: 'pr.d' })).toEqual([expect.stringMatching(/^PROTECTED_CLUSTER_PATTERN: /)]);
    expect(problemsOf({ PROTECTED_CLUSTER_PATTERN: 'prod|live' })).toEqual([]);
  });
});

describe('TARGET_REGIONS and SOURCE_KMS_KEYS', () => {
  it('refuses the pipeline region among the target regions, and keys that are not key ARNs, naming the parameter', () => {
    expect(problemsOf({ TARGET_REGIONS: 'us-west-2,us-east-1' })).toEqual([expect.stringMatching(/^TARGET_REGIONS: lists us-east-1/)]);
    expect(problemsOf({ TARGET_REGIONS: 'us-east-1' }, 'eu-west-1')).toEqual([]);
    expect(problemsOf({ SOURCE_KMS_KEYS: 'alias/mine' })).toEqual([expect.stringMatching(/^SOURCE_KMS_KEYS: /)]);
  });

  it('passes them to the functions', () => {
    const infra = buildInfrastructure({ stage: 'unit', params: BASE });
    const env = (infra.functions.restoreSnapshot as { environment: Record<string, unknown> }).environment;
    expect(env).toMatchObject({ TARGET_REGIONS: PARAMS.TARGET_REGIONS, SOURCE_KMS_KEYS: PARAMS.SOURCE_KMS_KEYS });
  });
});

describe('CLONE_SOURCE_CLUSTERS', () => {
  it('reaches the functions that check it (snapshot-check refuses clone / point-in-time sources not on it)', () => {
    const infra = buildInfrastructure({ stage: 'unit', params: BASE });
    const envOf = (fn: string) => (infra.functions[fn] as { environment: Record<string, unknown> }).environment;
    expect(PARAMS.CLONE_SOURCE_CLUSTERS).toBe(CLONE_SOURCE);
    expect(envOf('snapshotCheck').CLONE_SOURCE_CLUSTERS).toBe(CLONE_SOURCE);
    expect(envOf('restoreSnapshot').CLONE_SOURCE_CLUSTERS).toBe(CLONE_SOURCE);
  });

  it("scopes restore-snapshot's RestoreDBClusterToPointInTime on clusters to the listed sources (none when empty) and to unprotected names", () => {
    const pitrStatements = (params: Record<string, string>) => {
      const infra = buildInfrastructure({ stage: 'unit', params: { ...BASE, ...params } });
      const role = infra.resources.Resources[ids.role('restore-snapshot')] as { Properties: { Policies: { PolicyDocument: { Statement: Record<string, any>[] } }[] } };
      return role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement).filter((st) => [st.Action].flat().includes('rds:RestoreDBClusterToPointInTime'));
    };
    const subOf = (x: unknown) => (x as { 'Fn::Sub': string })['Fn::Sub'];
    const listed = pitrStatements({ CLONE_SOURCE_CLUSTERS: 'Aurora-Dev,qa-live', PROTECTED_CLUSTER_PATTERN: 'prod|live' });
    expect(listed).toHaveLength(2);
    expect(listed[0]!.Resource.map(subOf)).toEqual(['arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster:aurora-dev', 'arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster:qa-live']);
    expect(listed[0]!.Condition).toBeUndefined();
    // The new cluster (and subnet, parameter and option groups): any resource but a protected cluster, with the pipeline's tags.
    expect(listed[1]!.Resource).toBeUndefined();
    expect(listed[1]!.NotResource.map(subOf)).toEqual(['arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster:*prod*', 'arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster:*live*']);
    expect(listed[1]!.Condition.StringEquals).toBeDefined();
    const none = pitrStatements({ CLONE_SOURCE_CLUSTERS: '' });
    expect(none).toHaveLength(1);
    expect(none[0]!.NotResource).toBeDefined();
  });

  it('RENAME_RECHECK_SECONDS (swap-out / swap-in re-checks) reaches the functions too', () => {
    const infra = buildInfrastructure({ stage: 'unit', params: { ...BASE, RENAME_RECHECK_SECONDS: '120' } });
    expect((infra.functions.swapOut as { environment: Record<string, unknown> }).environment.RENAME_RECHECK_SECONDS).toBe('120');
  });
});

describe('NIGHTLY_PROFILES: one schedule per saved refresh profile', () => {
  const schedulesOf = (params: Record<string, string>) => {
    const infra = buildInfrastructure({ stage: 'unit', params: { ...BASE, ...params } });
    return Object.values(infra.resources.Resources as Record<string, { Type: string; Properties: Record<string, any> }>).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
  };

  it('deploys each entry as its own schedule invoking the nightly function with {"profile": NAME}, beside NIGHTLY_SCHEDULE', () => {
    const schedules = schedulesOf({ NIGHTLY_PROFILES: 'staging-orders=cron(0 2 * * ? *); staging-billing=rate(1 day)' });
    expect(schedules.map((s) => [s.Properties.Name, s.Properties.ScheduleExpression, JSON.parse(s.Properties.Target.Input)])).toEqual([
      ['aurora-restore-unit-nightly', PARAMS.NIGHTLY_SCHEDULE, JSON.parse(PARAMS.NIGHTLY_REQUEST!)],
      ['aurora-restore-unit-nightly-staging-orders', 'cron(0 2 * * ? *)', { profile: 'staging-orders' }],
      ['aurora-restore-unit-nightly-staging-billing', 'rate(1 day)', { profile: 'staging-billing' }],
    ]);
    // Profiles alone (no NIGHTLY_SCHEDULE) still deploy their schedules and the role that invokes the function.
    const alone = schedulesOf({ NIGHTLY_SCHEDULE: '', NIGHTLY_REQUEST: '', NIGHTLY_PROFILES: 'staging-orders=cron(0 2 * * ? *)' });
    expect(alone.map((s) => s.Properties.Name)).toEqual(['aurora-restore-unit-nightly-staging-orders']);
    expect(schedulesOf({ NIGHTLY_SCHEDULE: '', NIGHTLY_REQUEST: '', NIGHTLY_PROFILES: '' })).toEqual([]);
  });

  it('names a long profile within Scheduler\'s 64 characters, distinct per profile', () => {
    const long = `${'a'.repeat(60)}-x`;
    const names = schedulesOf({ NIGHTLY_PROFILES: `${long}=rate(1 day);${long}y=rate(1 day)` }).map((s) => s.Properties.Name as string).slice(1);
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(/^[0-9a-zA-Z_.-]{1,64}$/);
    expect(new Set(names).size).toBe(2);
  });

  it('refuses a bad entry, naming it', () => {
    expect(problemsOf({ NIGHTLY_PROFILES: 'staging-orders' })).toEqual([expect.stringMatching(/^NIGHTLY_PROFILES: "staging-orders": expected NAME=cron/)]);
    expect(problemsOf({ NIGHTLY_PROFILES: 'Staging=cron(0 2 * * ? *)' })).toEqual([expect.stringMatching(/^NIGHTLY_PROFILES: "Staging": expected a profile name/)]);
    expect(problemsOf({ NIGHTLY_PROFILES: 'staging-orders=at(2026-01-01T00:00:00)' })).toEqual([expect.stringMatching(/^NIGHTLY_PROFILES: staging-orders: expected cron\(\.\.\.\) or rate/)]);
    expect(problemsOf({ NIGHTLY_PROFILES: 'a=rate(1 day);a=rate(2 days)' })).toEqual(['NIGHTLY_PROFILES: a: listed twice']);
  });
});

describe('NIGHTLY_REQUEST and saved refresh profiles', () => {
  it('takes a request, or {"profile": NAME} (the profile is read from Parameter Store when the schedule fires), naming what is wrong', () => {
    expect(problemsOf({ NIGHTLY_REQUEST: JSON.stringify({ profile: 'staging-orders' }) })).toEqual([]);
    expect(problemsOf({ NIGHTLY_REQUEST: JSON.stringify({ profile: 'staging-orders', targetClusterId: 'aurora-dev' }) })).toEqual([]);
    expect(problemsOf({ NIGHTLY_REQUEST: JSON.stringify({ profile: 'Staging Orders' }) })).toEqual([expect.stringMatching(/^NIGHTLY_REQUEST: profile: \(root\): expected a profile name/)]);
    expect(problemsOf({ NIGHTLY_REQUEST: JSON.stringify({ targetClusterId: 'aurora-dev' }) })).toEqual([expect.stringMatching(/^NIGHTLY_REQUEST: sourceRegion: /)]);
  });

  it('passes HOOK_SOURCES and PROFILES_PATH to the functions', () => {
    const infra = buildInfrastructure({ stage: 'unit', params: { ...BASE, PROFILES_PATH: '/teams/orders/profiles/' } });
    const env = (infra.functions.api as { environment: Record<string, unknown> }).environment;
    expect(env).toMatchObject({ HOOK_SOURCES: PARAMS.HOOK_SOURCES, PROFILES_PATH: '/teams/orders/profiles/' });
    expect(problemsOf({ PROFILES_PATH: 'profiles' })).toEqual([expect.stringMatching(/^PROFILES_PATH: expected a parameter path/)]);
  });
});

describe('serverless package with a bad stage parameter', () => {
  it('fails with one line naming the parameter and no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aurora-restore-bad-param-'));
    try {
      const err = (await slsPackage(dir, join(dir, 'p'), ['--param=PROTECTED_CLUSTER_PATTERN=pr.d']).then(
        () => undefined,
        (e: { stdout: string; stderr: string }) => e,
      ))!;
      expect(err, 'packaging should fail').toBeDefined();
      const output = `${err.stdout}\n${err.stderr}`;
      expect(output).toMatch(/PROTECTED_CLUSTER_PATTERN: cannot be turned into IAM ARN wildcards \("pr\.d" is not a literal name part\)/);
      expect(output).not.toMatch(/\n\s+at parseStageParams/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
