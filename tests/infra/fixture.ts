/**
 * The stage every tests/infra file checks, packaged offline with osls + serverless-esbuild (no AWS
 * credentials, no profile) ONCE per test file (vitest runs each file in its own process; the promise
 * is kept for the file's lifetime): the pipeline service (serverless.yml) with the fuller parameter
 * set in PIPELINE_REGION, and the cross-region forwarder (serverless.forwarder.yml) in TARGET_REGION.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

export const root = resolve(import.meta.dirname, '../..');
export const STAGE = 'citest';
export const PIPELINE_REGION = 'us-east-1';
export const TARGET_REGION = 'us-west-2';
export const ACCOUNT = '123456789012';
export const KMS_KEY = `arn:aws:kms:${PIPELINE_REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
export const TARGET_KEY = `arn:aws:kms:${TARGET_REGION}:${ACCOUNT}:key/66666666-7777-8888-9999-000000000000`;
export const SOURCE_KEY = `arn:aws:kms:${PIPELINE_REGION}:${ACCOUNT}:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee`;
/** Given in mixed case on purpose: RDS stores identifiers lowercase, so the IAM ARNs must be lowercase. */
export const ALLOW_LISTED = 'Legacy-Staging';
/** The live cluster clone / point-in-time requests may use (mixed case on purpose, as ALLOW_LISTED). */
export const CLONE_SOURCE = 'Aurora-Dev-Source';
export const NIGHTLY = {
  sourceClusterId: 'aurora-prod',
  sourceRegion: 'us-east-1',
  targetRegion: 'us-east-1',
  targetClusterId: 'aurora-staging',
  deleteExisting: true,
};

/** The stage parameters, as `serverless … --param=NAME=value` takes them. */
export const PARAMS: Record<string, string> = {
  KMS_KEY_ID: KMS_KEY,
  TARGET_KMS_KEYS: `${TARGET_REGION}=${TARGET_KEY}`,
  SOURCE_KMS_KEYS: SOURCE_KEY,
  TARGET_REGIONS: TARGET_REGION,
  DELETION_ALLOW_LIST: ALLOW_LISTED,
  CLONE_SOURCE_CLUSTERS: CLONE_SOURCE,
  NIGHTLY_SCHEDULE: 'cron(0 2 * * ? *)',
  NIGHTLY_REQUEST: JSON.stringify(NIGHTLY),
  NIGHTLY_PROFILES: 'staging-orders=cron(0 2 * * ? *);staging-billing=rate(1 day)',
  HOOK_SOURCES: 'aurora-restore-hooks/staging/',
};

/** The forwarder's parameters, as the documented deploy command gives them in TARGET_REGION. */
export const FORWARDER_PARAMS: Record<string, string> = {
  PIPELINE_REGION,
  TARGET_REGIONS: PARAMS.TARGET_REGIONS!,
  TARGET_KMS_KEYS: PARAMS.TARGET_KMS_KEYS!,
};

export type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: unknown };
export interface Template {
  AWSTemplateFormatVersion?: string;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, unknown>;
}
export interface Packaged {
  /** The folder holding both packages and the esbuild output (removed by `cleanUp`). */
  dir: string;
  pipelineTemplatePath: string;
  pipeline: Template;
  state: { service: { functions: Record<string, { name: string; handler: string; package?: { artifact?: string } }> } };
  forwarderTemplatePath: string;
  /** The forwarder stack of TARGET_REGION (serverless.forwarder.yml). */
  forwarder: Template;
}

const run = promisify(execFile);

/** Runs `serverless package` offline; `extra` are more arguments (config file, region, params). */
export async function slsPackage(dir: string, out: string, extra: string[]): Promise<void> {
  await run(join(root, 'node_modules', '.bin', 'serverless'), ['package', '--stage', STAGE, '--package', out, ...extra], {
    cwd: root,
    timeout: 280_000,
    // No AWS credentials and no profile: packaging must not need an account.
    env: { PATH: process.env.PATH, HOME: dir, SLS_TELEMETRY_DISABLED: '1', AURORA_RESTORE_ESBUILD_DIR: relative(root, join(dir, 'esbuild')) },
  });
}

export const paramArgs = (params: Record<string, string>) => Object.entries(params).map(([k, v]) => `--param=${k}=${v}`);

let packaging: Promise<Packaged> | undefined;

/** Packages the pipeline and the forwarder once for this test file. */
export function packaged(): Promise<Packaged> {
  packaging ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aurora-restore-package-'));
    const pipelineOut = join(dir, 'package');
    const forwarderOut = join(dir, 'forwarder');
    await Promise.all([
      slsPackage(dir, pipelineOut, ['--region', PIPELINE_REGION, ...paramArgs(PARAMS)]),
      slsPackage(dir, forwarderOut, ['--config', 'serverless.forwarder.yml', '--region', TARGET_REGION, ...paramArgs({ ...FORWARDER_PARAMS })]),
    ]);
    const forwarderTemplatePath = join(forwarderOut, 'cloudformation-template-update-stack.json');
    const pipelineTemplatePath = join(pipelineOut, 'cloudformation-template-update-stack.json');
    return {
      dir,
      pipelineTemplatePath,
      pipeline: JSON.parse(readFileSync(pipelineTemplatePath, 'utf8')),
      state: JSON.parse(readFileSync(join(pipelineOut, 'serverless-state.json'), 'utf8')),
      forwarderTemplatePath,
      forwarder: JSON.parse(readFileSync(forwarderTemplatePath, 'utf8')),
    };
  })();
  return packaging;
}

export async function cleanUp(): Promise<void> {
  if (!packaging) return;
  const p = await packaging.catch(() => undefined);
  if (p && existsSync(p.dir)) rmSync(p.dir, { recursive: true, force: true });
}
