/**
 * `aurora-restore profiles list|show|save` and `start --refresh-profile NAME` (locally the profiles file, with
 * --aws Parameter Store): flags override the profile; an unknown profile or a bad profile field is one line
 * naming the profile and the field, never a stack trace.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'aurora-restore-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const examples = JSON.parse(readFileSync(join(import.meta.dirname, '../../examples/profiles.json'), 'utf8'));
const staging = examples.profiles['staging-orders'];

const oneLine = (stderr: string) => {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
};

function profilesFile(name: string, profiles: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ version: 1, profiles }));
  return file;
}

describe('profiles list|show (local)', () => {
  it('a data folder without its own profiles.json lists the shipped examples', async () => {
    const r = await runCli(['profiles', 'list', '--data-dir', join(dir, 'fresh'), '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows.map((x: { name: string }) => x.name)).toEqual(['qa-billing', 'staging-orders']);
    expect(rows.every((x: { valid: boolean }) => x.valid)).toBe(true);
  });

  it('lists an invalid profile as INVALID with the field, and show refuses it in one line', async () => {
    const file = profilesFile('mixed.json', { good: staging, 'bad-port': { ...staging, request: { ...staging.request, cluster: { port: 80 } } } });
    const list = await runCli(['profiles', 'list', '--profiles-file', file]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^bad-port\s+INVALID: profile bad-port: request\.cluster\.port: expected a port from 1150 to 65535$/m);
    expect(list.stdout).toMatch(/^good\s+aurora-staging \(us-west-2\)/m);
    const show = await runCli(['profiles', 'show', 'bad-port', '--profiles-file', file]);
    expect(show.code).toBe(2);
    expect(show.stderr).toBe('error: profile bad-port: request.cluster.port: expected a port from 1150 to 65535\n');
    const unknown = await runCli(['profiles', 'show', 'nope', '--profiles-file', file]);
    expect(unknown.code).toBe(3);
    oneLine(unknown.stderr);
    expect(unknown.stderr).toMatch(/no saved profile named nope/);
  });

  it('save validates the profile (the file, the field) and writes it next to the examples', async () => {
    const dataDir = join(dir, 'saving');
    const bad = join(dir, 'bad-profile.json');
    writeFileSync(bad, JSON.stringify({ request: { ...staging.request, strategy: 'sideways' } }));
    const refused = await runCli(['profiles', 'save', 'billing-qa', '--file', bad, '--data-dir', dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: --file: profile billing-qa: request\.strategy: expected replace or swap, got "sideways"\n$/);
    const good = join(dir, 'good-profile.json');
    writeFileSync(good, JSON.stringify({ request: { ...staging.request, targetClusterId: 'billing-qa' } }));
    const saved = await runCli(['profiles', 'save', 'billing-qa', '--file', good, '--data-dir', dataDir]);
    expect(saved.code).toBe(0);
    const list = JSON.parse((await runCli(['profiles', 'list', '--data-dir', dataDir, '--json'])).stdout);
    expect(list.map((x: { name: string }) => x.name)).toEqual(['billing-qa', 'qa-billing', 'staging-orders']);
  });
});

describe('start --refresh-profile (local)', () => {
  it('an unknown profile: exit 3, one line naming the flag and the profile', async () => {
    const r = await runCli(['start', '--refresh-profile', 'nope', '--data-dir', join(dir, 'start-unknown')]);
    expect(r.code).toBe(3);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^error: --refresh-profile: no saved profile named nope in .*examples\/profiles\.json/);
  });

  it('a bad profile field: exit 2, one line naming the profile and the field', async () => {
    const file = profilesFile('bad.json', { 'staging-orders': { ...staging, request: { ...staging.request, users: [{ secret: 'aurora-restore/app/x', role: 'owner' }] } } });
    const r = await runCli(['start', '--refresh-profile', 'staging-orders', '--profiles-file', file, '--data-dir', join(dir, 'start-bad')]);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^error: --refresh-profile: profile staging-orders: request\.users\.0\.role: /);
  });

  it('a flag that breaks the profile\'s request names the flag', async () => {
    const r = await runCli(['plan', '--refresh-profile', 'qa-billing', '--instance-class', 'db.r6g.large', '--data-dir', join(dir, 'plan-bad')]);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^error: --instance-class: cluster\.serverless runs every instance as db\.serverless, got db\.r6g\.large/);
  });

  it('plans the profile\'s request with the flags over it', async () => {
    const r = await runCli(['plan', '--refresh-profile', 'staging-orders', '--target-cluster', 'analytics', '--data-dir', join(dir, 'plan'), '--json']);
    expect(r.stderr).toBe('');
    const plan = JSON.parse(r.stdout);
    expect(JSON.stringify(plan)).toContain('analytics');
    expect(JSON.stringify(plan)).not.toContain('aurora-staging');
  });
});

describe('start --aws --refresh-profile: the profile from Parameter Store, the request on the bus', () => {
  const ssm = mockClient(SSMClient);
  const eventBridge = mockClient(EventBridgeClient);
  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('PROFILES_PATH', undefined);
    vi.stubEnv('EVENT_BUS_NAME', undefined);
    ssm.reset();
    eventBridge.reset();
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    ssm.on(GetParameterCommand, { Name: '/teams/orders/profiles/staging-orders' }).resolves({ Parameter: { Name: '/teams/orders/profiles/staging-orders', Type: 'String', Value: JSON.stringify(staging) } });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  });
  afterEach(() => vi.unstubAllEnvs());

  it('reads <path><name> and puts the profile\'s request, flags over it, on the stage\'s bus', async () => {
    const r = await runCli(['start', '--aws', '--region', 'us-east-1', '--stage', 'prod', '--refresh-profile', 'staging-orders', '--profiles-path', '/teams/orders/profiles/', '--target-cluster', 'aurora-dev', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name)).toEqual(['/teams/orders/profiles/staging-orders']);
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ DetailType: 'RestoreRequested', EventBusName: 'aurora-restore-prod' });
    const request = JSON.parse(entries[0]!.Detail!).request;
    expect(request).toMatchObject({ profile: 'staging-orders', targetClusterId: 'aurora-dev', sourceClusterId: 'aurora-prod', targetRegion: 'us-west-2' });
    expect(request.postRestore.sql.files.map((f: { name: string }) => f.name)).toEqual(['01-mask-customers.sql', '02-seed-test-accounts.sql']);
    expect(request.users.map((u: { secret: string }) => u.secret)).toEqual(['aurora-restore/app-credentials', 'aurora-restore/app/reporting']);
  });

  it('a profile that is not there: exit 3, one line, nothing on the bus', async () => {
    const r = await runCli(['start', '--aws', '--region', 'us-east-1', '--refresh-profile', 'qa-billing', '--profiles-path', '/teams/orders/profiles/']);
    expect(r.code).toBe(3);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^error: --refresh-profile: no saved profile named qa-billing in Parameter Store \/teams\/orders\/profiles\/ in us-east-1/);
    expect(eventBridge.commandCalls(PutEventsCommand)).toEqual([]);
  });

  it('a bad --profiles-path names the flag', async () => {
    const r = await runCli(['start', '--aws', '--region', 'us-east-1', '--refresh-profile', 'staging-orders', '--profiles-path', 'profiles']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --profiles-path: expected a parameter path like \/aurora-restore\/profiles\//);
  });
});
