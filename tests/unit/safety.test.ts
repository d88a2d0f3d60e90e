import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deletionVerdict, replacementProblem } from '../../src/lib/safety';
import type { ClusterInfo } from '../../src/lib/ports';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../src/lib/tags';

const config = { PROTECTED_CLUSTER_PATTERN: 'prod', DELETION_ALLOW_LIST: ['legacy-staging'] };
const cluster = (over: Partial<ClusterInfo> = {}): ClusterInfo => ({
  clusterId: 'aurora-staging',
  clusterArn: 'arn:aws:rds:us-west-2:123456789012:cluster:aurora-staging',
  region: 'us-west-2',
  status: 'available',
  engine: 'aurora-postgresql',
  deletionProtection: false,
  members: [],
  tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE },
  ...over,
});

describe('deletion safety rules', () => {
  it('allows a managed cluster and an allow-listed one', () => {
    expect(deletionVerdict(cluster(), config)).toEqual({ allowed: true });
    expect(deletionVerdict(cluster({ clusterId: 'legacy-staging', tags: {} }), config)).toEqual({ allowed: true });
  });

  it("an allow-listed cluster (no tag): allowed only when every instance is named <cluster>-… (IAM grants those names only); the list is case-insensitive", () => {
    const legacy = (members: string[]) => cluster({ clusterId: 'legacy-staging', tags: {}, members });
    expect(deletionVerdict(legacy(['legacy-staging-instance-1', 'legacy-staging-reader']), config)).toEqual({ allowed: true });
    const refused = deletionVerdict(legacy(['legacy-staging-writer', 'old-reader']), config);
    expect(refused).toMatchObject({ allowed: false, reason: expect.stringContaining('old-reader') });
    expect(refused.allowed === false && refused.reason).toContain('not named legacy-staging-');
    // A managed cluster's instances are covered by their tag, whatever their names.
    expect(deletionVerdict(cluster({ members: ['whatever'] }), config)).toEqual({ allowed: true });
    expect(deletionVerdict(cluster({ clusterId: 'Legacy-Staging', tags: {} }), config)).toEqual({ allowed: true });
  });

  it('refuses an unmanaged cluster, deletion protection, and a protected name', () => {
    expect(deletionVerdict(cluster({ tags: {} }), config)).toMatchObject({ allowed: false, reason: expect.stringContaining('managed-by') });
    expect(deletionVerdict(cluster({ tags: { [MANAGED_BY_TAG]: 'someone-else' } }), config).allowed).toBe(false);
    expect(deletionVerdict(cluster({ deletionProtection: true }), config)).toMatchObject({ allowed: false, reason: expect.stringContaining('deletion protection') });
    expect(deletionVerdict(cluster({ clusterId: 'orders-PROD-copy' }), config)).toMatchObject({ allowed: false, reason: expect.stringContaining('protected') });
  });

  it('no combination of tags, allow-list or flags deletes a protected name or a protected cluster', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }).map((s) => `x${s.replace(/[^a-z0-9-]/gi, '')}prod`),
        fc.boolean(),
        fc.dictionary(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 })),
        fc.boolean(),
        (id, protectedFlag, tags, allowListed) => {
          const c = cluster({ clusterId: id, tags: { ...tags, [MANAGED_BY_TAG]: MANAGED_BY_VALUE }, deletionProtection: protectedFlag });
          const cfg = { ...config, DELETION_ALLOW_LIST: allowListed ? [id] : [] };
          expect(deletionVerdict(c, cfg).allowed).toBe(false);
          expect(replacementProblem(c, true, cfg)?.code).toBe('DeletionRefused');
        },
      ),
    );
  });

  it('an existing target is never replaced unless the request asks', () => {
    expect(replacementProblem(cluster(), false, config)?.code).toBe('TargetExists');
    expect(replacementProblem(cluster(), true, config)).toBeUndefined();
  });
});
