import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli';

/** Bad flags: exit code 2 and a message naming the flag the user typed (never the request field); nothing started. */
const run = runCli;

const GOOD = ['--source-cluster', 'aurora-prod', '--source-region', 'us-east-1', '--target-region', 'us-west-2', '--target-cluster', 'aurora-staging'];

/** One bad flag value and the request field the error must name. */
const badFlag = fc.oneof(
  fc.record({ flag: fc.constant('--target-cluster'), field: fc.constant('targetClusterId'), value: fc.constantFrom('"; DROP TABLE users; --', "it's", 'клaстер', '-x', 'a--b', `a${'b'.repeat(70)}`, '1abc') }),
  fc.record({ flag: fc.constant('--source-cluster'), field: fc.constant('sourceClusterId'), value: fc.constantFrom('"; DROP', 'a b', '🦄') }),
  fc.record({ flag: fc.constant('--target-region'), field: fc.constant('targetRegion'), value: fc.constantFrom('mars-north-1', 'US-EAST-1', 'us-east-9') }),
  fc.record({ flag: fc.constant('--source-region'), field: fc.constant('sourceRegion'), value: fc.constantFrom('mars-north-1', 'eu-west') }),
  fc.record({ flag: fc.constant('--snapshot-date'), field: fc.constant('snapshotDate'), value: fc.constantFrom('2026-02-30', '2025-02-29', '2026-13-01', 'yesterday', '24/11/2026') }),
  fc.record({ flag: fc.constant('--instance-class'), field: fc.constant('instanceClass'), value: fc.constantFrom('r6g.large', 'db.r6g', '"; DROP') }),
  fc.record({ flag: fc.constant('--subnet-group'), field: fc.constant('subnetGroup'), value: fc.constantFrom("a'; DROP TABLE x; --", 'a;b', `a${'b'.repeat(300)}`) }),
  fc.record({ flag: fc.constant('--security-group-ids'), field: fc.constant('securityGroupIds'), value: fc.constantFrom('sg-xyz', 'sg-0a1b2c3d,"; DROP', 'sg-1') }),
);

describe('start with one bad flag value', () => {
  it('exits 2 naming the field, before anything is put on a bus (--aws: no AWS call is made)', async () => {
    await fc.assert(
      fc.asyncProperty(badFlag, async ({ flag, field, value }) => {
        const argv = ['start', '--aws', ...GOOD.filter((_, i, a) => a[i] !== flag && a[i - 1] !== flag), flag, value];
        const r = await run(argv);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^error: ${flag}: `, 'm'));
        expect(r.stderr).not.toContain(field);
        expect(r.stdout).toBe('');
      }),
      { numRuns: 60 },
    );
  });

  it('locally: exits 2 naming the field and records no operation', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aurora-cli-bad-'));
    // each local start opens the whole local runtime: one example here, the --aws property covers the rest
    const r = await run(['start', '--data-dir', dataDir, '--target-cluster', '"; DROP TABLE users; --']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --target-cluster: /m);
    const list = await run(['list', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(list.stdout)).toEqual([]);
  }, 60_000);

  it('unknown flags, a bad time window and a missing scenario file are named', async () => {
    const unknown = await run(['start', '--target-clustr', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--target-clustr');
    const window = await run(['replay', '--from', '2026-02-30T25:00:00Z', '--to', '2026-11-24T03:00:00Z']);
    expect(window.code).toBe(2);
    expect(window.stderr).toContain('--from');
    const scenario = await run(['start', '--scenario', join(tmpdir(), 'no-such-scenario.json')]);
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toContain('--scenario');
  }, 30_000);
});
