/**
 * `--aws` without what it needs: one clear line and a non-zero exit, never an SDK stack trace (item 9).
 * No AWS is reached: the credential chain and the region are resolved on this machine only.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli';

const CLEAN: Record<string, string | undefined> = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_ENDPOINT_URL: undefined,
  AWS_CONFIG_FILE: '/nonexistent/aurora-restore-test/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aurora-restore-test/credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  AURORA_RESTORE_STAGE: undefined,
};

beforeEach(() => {
  for (const [k, v] of Object.entries(CLEAN)) vi.stubEnv(k, v);
});
afterEach(() => {
  vi.unstubAllEnvs();
  delete process.env.AWS_PROFILE;
});

const oneLine = (stderr: string) => {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('--aws without a region or credentials', () => {
  it.each([['list'], ['status', 'restore-20261124-020000-abcdef'], ['watch', 'restore-20261124-020000-abcdef']])('%s --aws with no region: names --region, exit 2', async (...argv) => {
    const r = await runCli([...argv, '--aws']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --region: no region given; pass --region/);
    oneLine(r.stderr);
  });

  it('list --aws --region with no credentials: one line, exit 1', async () => {
    const r = await runCli(['list', '--aws', '--region', 'us-east-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --aws: no AWS credentials found; pass --profile/);
    oneLine(r.stderr);
  });

  it('a profile that does not exist: one line, exit 1', async () => {
    const r = await runCli(['list', '--aws', '--region', 'us-east-1', '--profile', 'no-such-profile']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --aws: no AWS credentials found/);
    oneLine(r.stderr);
  });

  it('start --aws with no credentials: nothing is sent, one line, exit 1', async () => {
    const r = await runCli(['start', '--aws', '--region', 'us-east-1', '--source-cluster', 'a', '--source-region', 'us-east-1', '--target-region', 'us-east-1', '--target-cluster', 'b']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    oneLine(r.stderr);
  });

  it.each([
    [['--region', 'mars-north-1'], /^error: --region: expected an AWS region/],
    [['--region', 'us-east-1', '--stage', 'a b'], /^error: --stage: expected a stage name/],
  ])('bad %j: exit 2 naming the flag', async (flags, message) => {
    const r = await runCli(['list', '--aws', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
