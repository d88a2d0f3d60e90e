/**
 * The pipeline's stack on moto, from the project's own generated template (buildInfrastructure in
 * src/infra/template), never from a hand-written list: CloudFormation first (moto creates most of the
 * template), then a reconciliation pass that checks each resource type the pipeline uses at run time
 * and creates, from the template's own properties, whatever moto's CloudFormation did not. The forwarder
 * stacks (buildForwarder in src/infra/template/forwarder.ts, one per TARGET_REGIONS region) are deployed
 * the same way, in their own regions.
 */
import { CreateArchiveCommand, DeleteRuleCommand, DescribeArchiveCommand, DescribeEventBusCommand, CreateEventBusCommand, EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand, type Target } from '@aws-sdk/client-eventbridge';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateScheduleGroupCommand, GetScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateTopicCommand, GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { isDeepStrictEqual } from 'node:util';
import { SUBSCRIPTIONS } from '../../src/events/subscriptions';
import { buildInfrastructure, ids, namesFor, type Infrastructure } from '../../src/infra/template';
import { buildForwarder, forwarderIds, forwarderNames, type Forwarder } from '../../src/infra/template/forwarder';
import { FUNCTION_NAMES, type FunctionName } from '../../src/infra/permissions';
import type { AnyStepName } from '../../src/schemas/steps';
import { jsonApi, QueryApiError, queryApi, xmlMembers, xmlValue } from './query-api';

type Cfn = Record<string, unknown>;

export const MOTO_STAGE = 'moto';

/** A resource type the reconciliation pass does not create, and why that is fine for these tests. */
const NOT_RECONCILED: Record<string, string> = {
  'AWS::CloudWatch::Alarm': 'alarms are not part of a restore (moto has no CloudFormation support for them)',
  'AWS::CloudWatch::Dashboard': 'the dashboard is not part of a restore',
};

/** The resource types the reconciliation pass checks and, when missing, creates. */
const TYPE_ORDER = [
  'AWS::IAM::Role',
  'AWS::Events::EventBus',
  'AWS::Events::Archive',
  'AWS::Scheduler::ScheduleGroup',
  'AWS::DynamoDB::Table',
  'AWS::SNS::Topic',
  'AWS::SQS::Queue',
  'AWS::Events::Rule',
  'AWS::SQS::QueuePolicy',
];

export interface StepQueueInfo {
  url: string;
  arn: string;
  deadLetterUrl: string;
  deadLetterArn: string;
}

export interface EventSourceMapping {
  fn: FunctionName;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  maximumConcurrency: number;
  reportBatchItemFailures: boolean;
}

export interface ProvisionedStack {
  region: string;
  account: string;
  infra: Infrastructure;
  names: ReturnType<typeof namesFor>;
  /** How each resource of the template came to exist. */
  origin: Record<string, 'cloudformation' | 'sdk' | 'not-reconciled'>;
  /** Why CloudFormation was not (fully) used, when it was not. */
  cloudFormationProblem?: string;
  queues: Record<AnyStepName, StepQueueInfo>;
  /** The functions' SQS event source mappings, from the template's function definitions. */
  eventSourceMappings: EventSourceMapping[];
  busName: string;
  busArn: string;
  topicArn: string;
  schedulerGroup: string;
  /** A function's environment, as the template gives it, with Ref/GetAtt/Sub resolved against this stack. */
  environment(fn: FunctionName): Record<string, string>;
}

export interface ProvisionOptions {
  endpoint: string;
  region: string;
  /** serverless.yml-style stage parameters (validated by the template builder). */
  params: Record<string, unknown>;
  /** `cloudformation` (default): CreateStack, then reconcile; `sdk`: reconcile only (every resource by SDK call). */
  via?: 'cloudformation' | 'sdk';
}

/** Account of the credentials (moto's default account). */
export async function accountOf(endpoint: string, region: string): Promise<string> {
  const xml = await queryApi(endpoint, 'sts', region, 'GetCallerIdentity');
  const account = xmlValue(xml, 'Account');
  if (!account) throw new Error(`GetCallerIdentity: no Account in ${xml.slice(0, 200)}`);
  return account;
}

/** A symmetric KMS key (moto validates the keys RDS is given, e.g. for a cross-region copy). */
export async function createKmsKey(endpoint: string, region: string, description: string): Promise<string> {
  const out = await jsonApi(endpoint, 'kms', region, 'TrentService.CreateKey', { Description: description });
  const arn = (out.KeyMetadata as { Arn?: string } | undefined)?.Arn;
  if (!arn) throw new Error(`CreateKey: no key ARN in ${JSON.stringify(out).slice(0, 200)}`);
  return arn;
}

export async function provisionStack(options: ProvisionOptions): Promise<ProvisionedStack> {
  const { endpoint, region } = options;
  const infra = buildInfrastructure({ stage: MOTO_STAGE, params: options.params });
  const names = namesFor(MOTO_STAGE);
  const account = await accountOf(endpoint, region);
  const resources = infra.resources.Resources;
  const { r, origin, cloudFormationProblem, reconciled } = await deployTemplate({ endpoint, region, account, stackName: names.prefix, resources, via: options.via });

  const stepQueues = {} as Record<AnyStepName, StepQueueInfo>;
  for (const s of SUBSCRIPTIONS) {
    const q = r.attrs(ids.queue(s.step));
    const d = r.attrs(ids.deadLetterQueue(s.step));
    stepQueues[s.step] = { url: q.Ref, arn: q.Arn, deadLetterUrl: d.Ref, deadLetterArn: d.Arn };
  }
  const functionKeyOf = (fn: FunctionName) => names.functionKey(fn);
  const urlOfArn = new Map(reconciled.filter((id) => resources[id].Type === 'AWS::SQS::Queue').map((id) => [r.attrs(id).Arn, r.attrs(id).Ref]));
  const eventSourceMappings: EventSourceMapping[] = [];
  for (const fn of FUNCTION_NAMES) {
    const def = infra.functions[functionKeyOf(fn)] as { events?: { sqs?: Record<string, unknown> }[] };
    for (const e of def.events ?? []) {
      if (!e.sqs) continue;
      const queueArn = String(r.resolve(e.sqs.arn));
      const queueUrl = urlOfArn.get(queueArn);
      if (!queueUrl) throw new Error(`${fn}: its SQS event source ${queueArn} is not a queue of the stack`);
      eventSourceMappings.push({
        fn,
        queueUrl,
        queueArn,
        batchSize: Number(e.sqs.batchSize ?? 10),
        maximumConcurrency: Number(e.sqs.maximumConcurrency ?? 1000),
        reportBatchItemFailures: e.sqs.functionResponseType === 'ReportBatchItemFailures',
      });
    }
  }
  return {
    region,
    account,
    infra,
    names,
    origin,
    cloudFormationProblem,
    queues: stepQueues,
    eventSourceMappings,
    busName: r.attrs(ids.bus).Ref,
    busArn: r.attrs(ids.bus).Arn,
    topicArn: r.attrs(ids.topic).Ref,
    schedulerGroup: r.attrs(ids.schedulerGroup).Ref,
    environment(fn) {
      const def = infra.functions[functionKeyOf(fn)] as { environment: Record<string, unknown> };
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(def.environment)) out[k] = String(r.resolve(v));
      return out;
    },
  };
}

function refersTo(resource: Cfn, logicalId: string): boolean {
  return JSON.stringify(resource).includes(`"${logicalId}"`);
}

/**
 * CreateStack of `resources` (unless `via: 'sdk'`), then the reconciliation pass: in waves, a resource
 * once everything it refers to exists (an IAM role only needs its trust policy; its other policies name
 * resources made later); within a wave, in parallel.
 */
async function deployTemplate(o: {
  endpoint: string;
  region: string;
  account: string;
  stackName: string;
  resources: Record<string, Cfn>;
  via?: 'cloudformation' | 'sdk';
}): Promise<{ r: Reconciler; origin: ProvisionedStack['origin']; cloudFormationProblem?: string; reconciled: string[] }> {
  const { endpoint, region, resources } = o;
  const origin: ProvisionedStack['origin'] = {};
  let cloudFormationProblem: string | undefined;
  const physical = new Map<string, string>();
  if ((o.via ?? 'cloudformation') === 'cloudformation') {
    try {
      for (const [id, pid] of await createStack(endpoint, region, o.stackName, motoCompatibleTemplate(resources))) physical.set(id, pid);
    } catch (e) {
      cloudFormationProblem = (e as Error).message;
    }
  } else {
    cloudFormationProblem = 'not used (via: sdk)';
  }

  const r = new Reconciler(endpoint, region, o.account, physical);
  const reconciled = Object.keys(resources).filter((id) => {
    const type = resources[id].Type as string;
    const ok = TYPE_ORDER.includes(type) && !NOT_RECONCILED[type];
    if (!ok) origin[id] = 'not-reconciled';
    return ok;
  });
  const dependsOn = new Map(
    reconciled.map((id) => {
      const props = (resources[id].Properties ?? {}) as Record<string, unknown>;
      const used = resources[id].Type === 'AWS::IAM::Role' ? { AssumeRolePolicyDocument: props.AssumeRolePolicyDocument } : props;
      return [id, reconciled.filter((other) => other !== id && refersTo(used, other))];
    }),
  );
  const done = new Set<string>();
  while (done.size < reconciled.length) {
    const wave = reconciled.filter((id) => !done.has(id) && dependsOn.get(id)!.every((d) => done.has(d)));
    if (wave.length === 0) throw new Error(`template: circular references among ${reconciled.filter((id) => !done.has(id)).join(', ')}`);
    await Promise.all(
      wave.map(async (id) => {
        origin[id] = (await r.ensure(id, resources[id])) ? 'sdk' : 'cloudformation';
      }),
    );
    for (const id of wave) done.add(id);
  }
  return { r, origin, cloudFormationProblem, reconciled };
}

/** A forwarder stack (serverless.forwarder.yml) as deployed in one target region. */
export interface ProvisionedForwarder {
  region: string;
  stackName: string;
  template: Forwarder;
  origin: ProvisionedStack['origin'];
  cloudFormationProblem?: string;
  /** The forwarding rule on the region's default bus, and its targets as EventBridge lists them. */
  ruleName: string;
  ruleArn: string;
  targets: Target[];
  undeliveredQueueUrl: string;
}

/**
 * The forwarder stack of `region`, from buildForwarder with the pipeline's stage parameters (the deploy
 * guide's instruction: the same TARGET_REGIONS and TARGET_KMS_KEYS as the pipeline, and PIPELINE_REGION).
 */
export async function provisionForwarder(o: {
  endpoint: string;
  region: string;
  pipelineRegion: string;
  /** The pipeline's stage parameters. */
  params: Record<string, unknown>;
  via?: 'cloudformation' | 'sdk';
}): Promise<ProvisionedForwarder> {
  const template = buildForwarder({ stage: MOTO_STAGE, region: o.region, params: { ...o.params, PIPELINE_REGION: o.pipelineRegion } });
  const stackName = forwarderNames(MOTO_STAGE, o.region, o.pipelineRegion).prefix;
  const account = await accountOf(o.endpoint, o.region);
  const { r, origin, cloudFormationProblem } = await deployTemplate({ endpoint: o.endpoint, region: o.region, account, stackName, resources: template.Resources, via: o.via });
  const ruleName = r.attrs(forwarderIds.rule).Ref;
  const events = new EventBridgeClient({ region: o.region });
  const targets = (await events.send(new ListTargetsByRuleCommand({ Rule: ruleName }))).Targets ?? [];
  return {
    region: o.region,
    stackName,
    template,
    origin,
    cloudFormationProblem,
    ruleName,
    ruleArn: r.attrs(forwarderIds.rule).Arn,
    targets,
    undeliveredQueueUrl: r.attrs(forwarderIds.queue).Ref,
  };
}

/**
 * Takes a forwarder away, as if it had never been deployed: DeleteStack, then (moto's CloudFormation may
 * leave what it did not create, and the reconciliation pass made some of it) the rule itself, so nothing
 * forwards the region's RDS events any more.
 */
export async function removeForwarder(endpoint: string, f: ProvisionedForwarder): Promise<void> {
  if (!f.cloudFormationProblem) await queryApi(endpoint, 'cloudformation', f.region, 'DeleteStack', { StackName: f.stackName });
  const events = new EventBridgeClient({ region: f.region });
  const rules = (await events.send(new ListRulesCommand({ NamePrefix: f.ruleName }))).Rules ?? [];
  if (rules.some((x) => x.Name === f.ruleName)) {
    const ids = ((await events.send(new ListTargetsByRuleCommand({ Rule: f.ruleName }))).Targets ?? []).map((t) => t.Id!);
    if (ids.length) await events.send(new RemoveTargetsCommand({ Rule: f.ruleName, Ids: ids }));
    await events.send(new DeleteRuleCommand({ Name: f.ruleName }));
  }
}

/**
 * The template as moto's CloudFormation can take it. One work-around, for a moto bug: `Ref` of an
 * AWS::Events::EventBus resolves to moto's Python object instead of the bus name, and a rule whose
 * EventBusName is that Ref makes CreateStack fail (AttributeError: 'EventBus' object has no attribute
 * 'split'). On AWS, Ref of an event bus returns its name; so the rule gets the bus's Name literally.
 */
export function motoCompatibleTemplate(template: Record<string, Cfn>): Cfn {
  const resources = structuredClone(template) as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  for (const r of Object.values(resources)) {
    const bus = (r.Properties?.EventBusName as { Ref?: string } | undefined)?.Ref;
    if (r.Type === 'AWS::Events::Rule' && bus && resources[bus]?.Type === 'AWS::Events::EventBus') {
      r.Properties.EventBusName = resources[bus].Properties.Name;
    }
  }
  // Outputs are not read here (the same moto bug makes the EventBusName output unusable).
  return { AWSTemplateFormatVersion: '2010-09-09', Resources: resources };
}

/** CreateStack (synchronous on moto), then the physical id of every resource it made. */
async function createStack(endpoint: string, region: string, stackName: string, template: Cfn): Promise<Map<string, string>> {
  await queryApi(endpoint, 'cloudformation', region, 'CreateStack', {
    StackName: stackName,
    TemplateBody: JSON.stringify(template),
    'Capabilities.member.1': 'CAPABILITY_IAM',
    'Capabilities.member.2': 'CAPABILITY_NAMED_IAM',
  });
  const stacks = await queryApi(endpoint, 'cloudformation', region, 'DescribeStacks', { StackName: stackName });
  const status = xmlValue(stacks, 'StackStatus');
  if (status !== 'CREATE_COMPLETE') throw new Error(`CloudFormation stack ${stackName} is ${status}: ${xmlValue(stacks, 'StackStatusReason') ?? ''}`);
  const xml = await queryApi(endpoint, 'cloudformation', region, 'DescribeStackResources', { StackName: stackName });
  const out = new Map<string, string>();
  for (const m of xmlMembers(xml)) {
    const id = xmlValue(m, 'LogicalResourceId');
    const pid = xmlValue(m, 'PhysicalResourceId');
    if (id && pid) out.set(id, pid);
  }
  return out;
}

interface Attrs {
  Ref: string;
  Arn: string;
  [attr: string]: string;
}

/**
 * Checks that each resource exists (by its physical name, or for rules by bus, pattern and target) and
 * creates it from the template's properties when it does not. Records every resource's Ref and
 * attributes, which resolve the template's intrinsic functions.
 */
class Reconciler {
  private readonly table = new Map<string, Attrs>();
  private readonly rulesOfBus = new Map<string, Promise<{ Name?: string; EventPattern?: string }[]>>();
  private readonly events: EventBridgeClient;
  private readonly sqs: SQSClient;
  private readonly dynamo: DynamoDBClient;
  private readonly sns: SNSClient;
  private readonly scheduler: SchedulerClient;

  constructor(
    private readonly endpoint: string,
    private readonly region: string,
    private readonly account: string,
    private readonly physical: Map<string, string>,
  ) {
    const options = { region };
    this.events = new EventBridgeClient(options);
    this.sqs = new SQSClient(options);
    this.dynamo = new DynamoDBClient(options);
    this.sns = new SNSClient(options);
    this.scheduler = new SchedulerClient(options);
  }

  attrs(logicalId: string): Attrs {
    const a = this.table.get(logicalId);
    if (!a) throw new Error(`${logicalId}: not provisioned`);
    return a;
  }

  /** Resolves Ref, Fn::GetAtt, Fn::Sub and the pseudo parameters. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!value || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === 'Ref') return this.ref(o.Ref as string);
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      const v = this.attrs(id)[attr];
      if (v === undefined) throw new Error(`Fn::GetAtt ${id}.${attr}: unknown attribute`);
      return v;
    }
    if (keys.length === 1 && keys[0] === 'Fn::Sub') {
      return (o['Fn::Sub'] as string).replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
        const [id, attr] = name.split('.');
        return attr ? this.attrs(id)[attr] : this.ref(id);
      });
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(o[k])]));
  }

  private ref(name: string): string {
    if (name === 'AWS::Region') return this.region;
    if (name === 'AWS::AccountId') return this.account;
    if (name === 'AWS::Partition') return 'aws';
    return this.attrs(name).Ref;
  }

  /** Makes sure the resource exists; true when it had to be created here. */
  async ensure(logicalId: string, resource: Cfn): Promise<boolean> {
    const type = resource.Type as string;
    const raw = (resource.Properties ?? {}) as Record<string, unknown>;
    // An IAM role's policies name resources made later; only its name and trust policy matter here.
    const p = (type === 'AWS::IAM::Role' ? { AssumeRolePolicyDocument: this.resolve(raw.AssumeRolePolicyDocument) } : this.resolve(raw)) as Record<string, any>;
    const arn = (service: string, resourcePart: string) => `arn:aws:${service}:${this.region}:${this.account}:${resourcePart}`;
    switch (type) {
      case 'AWS::IAM::Role': {
        // Nothing at run time checks IAM on moto; the role's ARN is wiring (SCHEDULER_ROLE_ARN).
        let name = this.physical.get(logicalId);
        let created = false;
        if (!name) {
          name = `${MOTO_STAGE}-${logicalId}`.slice(0, 64);
          await queryApi(this.endpoint, 'iam', this.region, 'CreateRole', { RoleName: name, AssumeRolePolicyDocument: JSON.stringify(p.AssumeRolePolicyDocument) }).catch((e) => {
            if (!(e instanceof QueryApiError && e.code === 'EntityAlreadyExists')) throw e;
          });
          created = true;
        }
        this.table.set(logicalId, { Ref: name, Arn: `arn:aws:iam::${this.account}:role/${name}` });
        return created;
      }
      case 'AWS::Events::EventBus': {
        const created = await this.absent(() => this.events.send(new DescribeEventBusCommand({ Name: p.Name })), 'ResourceNotFoundException');
        if (created) await this.events.send(new CreateEventBusCommand({ Name: p.Name }));
        this.table.set(logicalId, { Ref: p.Name, Arn: arn('events', `event-bus/${p.Name}`), Name: p.Name });
        return created;
      }
      case 'AWS::Events::Archive': {
        const created = await this.absent(() => this.events.send(new DescribeArchiveCommand({ ArchiveName: p.ArchiveName })), 'ResourceNotFoundException');
        if (created) await this.events.send(new CreateArchiveCommand({ ArchiveName: p.ArchiveName, EventSourceArn: p.SourceArn, Description: p.Description, RetentionDays: p.RetentionDays }));
        this.table.set(logicalId, { Ref: p.ArchiveName, Arn: arn('events', `archive/${p.ArchiveName}`) });
        return created;
      }
      case 'AWS::Scheduler::ScheduleGroup': {
        const created = await this.absent(() => this.scheduler.send(new GetScheduleGroupCommand({ Name: p.Name })), 'ResourceNotFoundException');
        if (created) await this.scheduler.send(new CreateScheduleGroupCommand({ Name: p.Name }));
        this.table.set(logicalId, { Ref: p.Name, Arn: arn('scheduler', `schedule-group/${p.Name}`) });
        return created;
      }
      case 'AWS::DynamoDB::Table': {
        const created = await this.absent(() => this.dynamo.send(new DescribeTableCommand({ TableName: p.TableName })), 'ResourceNotFoundException');
        if (created) {
          const sse = p.SSESpecification as { SSEEnabled?: boolean; SSEType?: string; KMSMasterKeyId?: string } | undefined;
          await this.dynamo.send(
            new CreateTableCommand({
              TableName: p.TableName,
              AttributeDefinitions: p.AttributeDefinitions,
              KeySchema: p.KeySchema,
              BillingMode: p.BillingMode,
              ...(sse ? { SSESpecification: { Enabled: sse.SSEEnabled, SSEType: sse.SSEType as 'KMS', KMSMasterKeyId: sse.KMSMasterKeyId } } : {}),
            }),
          );
          const ttl = p.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
          if (ttl) await this.dynamo.send(new UpdateTimeToLiveCommand({ TableName: p.TableName, TimeToLiveSpecification: ttl }));
        }
        this.table.set(logicalId, { Ref: p.TableName, Arn: arn('dynamodb', `table/${p.TableName}`) });
        return created;
      }
      case 'AWS::SNS::Topic': {
        const topicArn = arn('sns', p.TopicName);
        const created = await this.absent(() => this.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn })), 'NotFoundException', 'NotFound');
        if (created) await this.sns.send(new CreateTopicCommand({ Name: p.TopicName, Attributes: p.KmsMasterKeyId ? { KmsMasterKeyId: p.KmsMasterKeyId } : {} }));
        this.table.set(logicalId, { Ref: topicArn, Arn: topicArn, TopicName: p.TopicName });
        return created;
      }
      case 'AWS::SQS::Queue': {
        let url: string | undefined;
        try {
          url = (await this.sqs.send(new GetQueueUrlCommand({ QueueName: p.QueueName }))).QueueUrl;
        } catch (e) {
          if (!isErrorNamed(e, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')) throw e;
        }
        const created = !url;
        if (!url) {
          const attributes: Record<string, string> = {};
          for (const [k, v] of Object.entries(p)) if (k !== 'QueueName') attributes[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
          url = (await this.sqs.send(new CreateQueueCommand({ QueueName: p.QueueName, Attributes: attributes }))).QueueUrl!;
        }
        this.table.set(logicalId, { Ref: url, Arn: arn('sqs', p.QueueName), QueueName: p.QueueName, QueueUrl: url });
        return created;
      }
      case 'AWS::SQS::QueuePolicy': {
        // moto's CloudFormation skips queue policies; SetQueueAttributes stores one (moto does not enforce it).
        let created = false;
        for (const url of p.Queues as string[]) {
          const a = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy'] }));
          if (a.Attributes?.Policy) continue;
          await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: JSON.stringify(p.PolicyDocument) } }));
          created = true;
        }
        this.table.set(logicalId, { Ref: logicalId, Arn: '' });
        return created;
      }
      case 'AWS::Events::Rule': {
        const bus = (p.EventBusName as string | undefined) ?? 'default';
        const targets = p.Targets as { Id: string; Arn: string; RoleArn?: string; RetryPolicy?: Record<string, number> }[];
        const existing = await this.findRule(bus, p.EventPattern, targets);
        let name = existing;
        if (!name) {
          // The template's name when it gives one (the stack's rules are named), as CloudFormation does.
          name = (p.Name as string | undefined) ?? `${MOTO_STAGE}-${logicalId}`.slice(0, 64);
          await this.events.send(new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(p.EventPattern), State: p.State, Description: p.Description }));
          await this.events.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: targets }));
        }
        this.table.set(logicalId, { Ref: name, Arn: bus === 'default' ? arn('events', `rule/${name}`) : arn('events', `rule/${bus}/${name}`) });
        return !existing;
      }
    }
    throw new Error(`${logicalId}: cannot reconcile ${type}`);
  }

  /** The name of a rule on `bus` with this pattern and these target ARNs, if there is one. */
  private async findRule(bus: string, pattern: unknown, targets: { Arn: string }[]): Promise<string | undefined> {
    // The rules that existed before this pass (CloudFormation's), listed once per bus.
    let listed = this.rulesOfBus.get(bus);
    if (!listed) this.rulesOfBus.set(bus, (listed = this.events.send(new ListRulesCommand({ EventBusName: bus, Limit: 100 })).then((o) => o.Rules ?? [])));
    for (const rule of await listed) {
      if (!rule.EventPattern || !isDeepStrictEqual(JSON.parse(rule.EventPattern), pattern)) continue;
      const t = await this.events.send(new ListTargetsByRuleCommand({ Rule: rule.Name!, EventBusName: bus }));
      const arns = (t.Targets ?? []).map((x) => x.Arn).sort();
      if (isDeepStrictEqual(arns, targets.map((x) => x.Arn).sort())) return rule.Name;
    }
    return undefined;
  }

  /** True when `describe` fails with one of the "not found" names. */
  private async absent(describe: () => Promise<unknown>, ...notFound: string[]): Promise<boolean> {
    try {
      await describe();
      return false;
    } catch (e) {
      if (isErrorNamed(e, ...notFound)) return true;
      throw e;
    }
  }
}

function isErrorNamed(e: unknown, ...names: string[]): boolean {
  const err = e as { name?: string; Code?: string; code?: string };
  return names.some((n) => err?.name === n || err?.Code === n || err?.code === n);
}
