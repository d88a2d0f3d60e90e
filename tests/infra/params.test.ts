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
import { buildInfrastructure } from '../../src/infra/template';
import { KMS_KEY, PARAMS, slsPackage } from './fixture';

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
