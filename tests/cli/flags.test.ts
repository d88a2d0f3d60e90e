import { describe, expect, it } from 'vitest';
import { parseRequest, requestFromFlags } from '../../src/cli/flags';

/** `start`'s flags over the scenario's request: each choice a flag makes replaces the scenario's, never merges with it. */
const SCENARIO = { sourceClusterId: 'aurora-prod', snapshotDate: '2026-11-24', sourceRegion: 'us-east-1', targetRegion: 'us-west-2', targetClusterId: 'aurora-staging' };

describe('requestFromFlags', () => {
  it.each([
    [{ snapshotId: 'snap-1' }, { snapshotId: 'snap-1', sourceClusterId: undefined, snapshotDate: undefined }],
    [{ sourceCluster: 'other' }, { sourceClusterId: 'other', snapshotDate: undefined }],
    [{ snapshotDate: '2026-11-23' }, { sourceClusterId: 'aurora-prod', snapshotDate: '2026-11-23' }],
    [{ source: 'clone', targetRegion: 'us-east-1' }, { source: 'clone', sourceClusterId: 'aurora-prod', snapshotDate: undefined }],
    [{ strategy: 'swap' }, { strategy: 'swap', sourceClusterId: 'aurora-prod', snapshotDate: '2026-11-24' }],
    [{ source: 'point-in-time', restoreTime: '2026-11-24T01:00:00Z', targetRegion: 'us-east-1', strategy: 'swap' }, { source: 'point-in-time', strategy: 'swap', restoreTime: '2026-11-24T01:00:00Z', snapshotDate: undefined }],
  ])('%j', (flags, expected) => {
    const draft = requestFromFlags(flags, SCENARIO, 'scenario request');
    const request = parseRequest(draft);
    expect(request).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)));
    for (const [k, v] of Object.entries(expected)) if (v === undefined) expect(request[k as keyof typeof request]).toBeUndefined();
  });

  it('a snapshot flag over a scenario that clones makes it a snapshot restore again', () => {
    const draft = requestFromFlags({ snapshotId: 'snap-1' }, { ...SCENARIO, snapshotDate: undefined, source: 'point-in-time', restoreTime: '2026-11-24T01:00:00Z', targetRegion: 'us-east-1' }, 'scenario request');
    const request = parseRequest(draft);
    expect(request).toMatchObject({ snapshotId: 'snap-1', source: 'snapshot' });
    expect(request.restoreTime).toBeUndefined();
  });

  it('errors name the flag typed, or the scenario field the value came from', () => {
    expect(() => parseRequest(requestFromFlags({ targetCluster: 'a--b' }, SCENARIO, 'scenario request'))).toThrow(/^--target-cluster: expected an RDS identifier/);
    expect(() => parseRequest(requestFromFlags({}, { ...SCENARIO, targetClusterId: 'a--b' }, 'scenario request'))).toThrow(/^scenario request\.targetClusterId \(or --target-cluster\): /);
    expect(() => parseRequest(requestFromFlags({ securityGroupIds: 'sg-0a1b2c3d,nope' }, SCENARIO, 'scenario request'))).toThrow(/^--security-group-ids: "nope": /);
    expect(() => parseRequest(requestFromFlags({ strategy: 'rename' }, SCENARIO, 'scenario request'))).toThrow(/^--strategy: /);
    // A point-in-time copy or a clone stays in the source's region; clone takes no time.
    expect(() => parseRequest(requestFromFlags({ source: 'point-in-time' }, { ...SCENARIO, snapshotDate: undefined }, 'scenario request'))).toThrow(/region/);
    expect(() => parseRequest(requestFromFlags({ source: 'clone', restoreTime: '2026-11-24T01:00:00Z', targetRegion: 'us-east-1' }, SCENARIO, 'scenario request'))).toThrow(/--restore-time|restoreTime/);
    // --aws has no defaults: a missing value names its flag.
    expect(() => parseRequest(requestFromFlags({ sourceCluster: 'a', sourceRegion: 'us-east-1', targetRegion: 'us-east-1' }))).toThrow(/--target-cluster: required/);
  });
});
