import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, localEnvironment } from '../../src/schemas/config';
import { mermaidGraph } from '../../src/events/graph';

describe('configuration', () => {
  it("applies the seed's defaults to the optional variables", () => {
    const c = loadConfig(localEnvironment());
    expect(c).toMatchObject({
      LOG_LEVEL: 'SILENT',
      MAX_RETRIES: 3,
      RETRY_INTERVAL_SECONDS: 3,
      RETRY_BACKOFF_RATE: 2,
      STATE_MACHINE_TIMEOUT_SECONDS: 7200,
      LAMBDA_TIMEOUT_SECONDS: 300,
      LAMBDA_MEMORY_SIZE: 256,
      AUDIT_TABLE_NAME: 'aurora-restore-state-audit',
      STATE_TTL_DAYS: 90,
      AUDIT_TTL_DAYS: 365,
    });
    expect(c.SUBNET_IDS).toEqual(['subnet-00000001', 'subnet-00000002']);
  });

  it('names every missing required variable and every bad one', () => {
    const env = { ...localEnvironment(), VPC_ID: 'nope', MAX_RETRIES: 'many' } as Record<string, string | undefined>;
    delete env.SNS_TOPIC_ARN;
    delete env.REGION;
    try {
      loadConfig(env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toMatch(/SNS_TOPIC_ARN: required but not set/);
      expect(problems).toMatch(/REGION: required but not set/);
      expect(problems).toMatch(/VPC_ID: expected a VPC id/);
      expect(problems).toMatch(/MAX_RETRIES/);
    }
  });

  it('parses TARGET_KMS_KEYS pairs and refuses a malformed one', () => {
    expect(loadConfig(localEnvironment({ TARGET_KMS_KEYS: 'eu-west-1=arn:aws:kms:eu-west-1:1:key/a' })).TARGET_KMS_KEYS).toEqual({ 'eu-west-1': 'arn:aws:kms:eu-west-1:1:key/a' });
    expect(() => loadConfig(localEnvironment({ TARGET_KMS_KEYS: 'eu-west-1' }))).toThrow(/TARGET_KMS_KEYS: expected region=keyArn pairs/);
  });

  it('lowercases DELETION_ALLOW_LIST (RDS stores identifiers lowercase) and validates TARGET_REGIONS and SOURCE_KMS_KEYS', () => {
    const c = loadConfig(
      localEnvironment({ DELETION_ALLOW_LIST: 'Legacy-Staging, qa', TARGET_REGIONS: 'us-west-2,eu-west-1', SOURCE_KMS_KEYS: 'arn:aws:kms:us-east-1:123456789012:key/abc-1' }),
    );
    expect(c.DELETION_ALLOW_LIST).toEqual(['legacy-staging', 'qa']);
    expect(c.TARGET_REGIONS).toEqual(['us-west-2', 'eu-west-1']);
    expect(c.SOURCE_KMS_KEYS).toEqual(['arn:aws:kms:us-east-1:123456789012:key/abc-1']);
    expect(() => loadConfig(localEnvironment({ TARGET_REGIONS: 'mars-1' }))).toThrow(/TARGET_REGIONS: expected an AWS region/);
    expect(() => loadConfig(localEnvironment({ SOURCE_KMS_KEYS: 'alias/prod' }))).toThrow(/SOURCE_KMS_KEYS: expected KMS key ARNs/);
  });

  it('takes the RDS call budget (0 turns it off) and names a bad value in one line', () => {
    expect(loadConfig(localEnvironment())).toMatchObject({ RDS_CALLS_PER_SECOND: 8, RDS_BUDGET_WAIT_SECONDS: 5 });
    expect(loadConfig(localEnvironment({ RDS_CALLS_PER_SECOND: '0' })).RDS_CALLS_PER_SECOND).toBe(0);
    for (const [value, reason] of [
      ['-1', 'RDS_CALLS_PER_SECOND: expected 0 (no budget) or more'],
      ['2.5', 'RDS_CALLS_PER_SECOND: expected a whole number'],
      ['fast', 'RDS_CALLS_PER_SECOND: expected a number'],
    ]) {
      expect(() => loadConfig(localEnvironment({ RDS_CALLS_PER_SECOND: value }))).toThrow(`Invalid configuration: ${reason}`);
    }
    expect(() => loadConfig(localEnvironment({ RDS_BUDGET_WAIT_SECONDS: '90' }))).toThrow('Invalid configuration: RDS_BUDGET_WAIT_SECONDS: expected at most 60');
  });

  it('refuses a protected-name pattern that is not a regular expression', () => {
    expect(() => loadConfig(localEnvironment({ PROTECTED_CLUSTER_PATTERN: '(' }))).toThrow(/PROTECTED_CLUSTER_PATTERN: expected a valid regular expression/);
  });
});

describe('README', () => {
  it('shows the pipeline graph generated from the subscription table (no drift)', () => {
    expect(readFileSync('README.md', 'utf8')).toContain(mermaidGraph());
  });
});
