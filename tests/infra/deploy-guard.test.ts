import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/** src/infra/deploy-guard.cjs: `serverless deploy` refuses the placeholder KMS key; packaging is not concerned. */
const DeployGuard = createRequire(import.meta.url)('../../src/infra/deploy-guard.cjs') as {
  new (sls: unknown): { hooks: Record<string, () => void> };
  PLACEHOLDER_KMS_KEY: string;
};

const sls = (key?: string) => ({
  service: { functions: { snapshotCheck: { environment: key ? { KMS_KEY_ID: key } : {} }, watchdog: { environment: key ? { KMS_KEY_ID: key } : {} } } },
  classes: { Error },
});

describe('deploy guard', () => {
  it('refuses to deploy with the placeholder KMS key (or none), naming the parameter', () => {
    for (const key of [DeployGuard.PLACEHOLDER_KMS_KEY, 'arn:aws:kms:eu-west-1:000000000000:key/abc', undefined]) {
      const guard = new DeployGuard(sls(key));
      expect(() => guard.hooks['before:deploy:deploy']!()).toThrow(/KMS_KEY_ID .*--param="KMS_KEY_ID=/);
      expect(() => guard.hooks['before:deploy:function:initialize']!()).toThrow(/KMS_KEY_ID/);
    }
  });

  it('lets a real key through, and hooks nothing into packaging', () => {
    const guard = new DeployGuard(sls('arn:aws:kms:us-east-1:123456789012:key/1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b'));
    expect(() => guard.hooks['before:deploy:deploy']!()).not.toThrow();
    expect(Object.keys(guard.hooks).some((h) => h.includes('package'))).toBe(false);
  });

  it('the placeholder is the one serverless.yml ships', async () => {
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')).toContain(`KMS_KEY_ID: ${DeployGuard.PLACEHOLDER_KMS_KEY}`);
  });
});
