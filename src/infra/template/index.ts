/**
 * The AWS deployment, generated from the code's own tables: one rule per pattern of every subscription
 * (src/events/subscriptions.ts) into that step's SQS queue, each function's IAM role from
 * src/infra/permissions.ts, the tables from src/lib/tables.ts. serverless.yml takes `functions`,
 * `resources` and the bundles' wiring from here (through src/infra/serverless.cjs), so the deployment
 * cannot drift from the pipeline: change a table, and the next `serverless package` follows.
 */
import { SUBSCRIPTIONS } from '../../events/subscriptions';
import { parseStageParams } from '../params';
import { FUNCTION_NAMES, bundleWiring } from '../permissions';
import { alarms, dashboard } from './alarms';
import { busAndForwarding } from './bus';
import { getAtt, ids, namesFor, ref, type Cfn } from './common';
import { functionDefinition } from './functions';
import { functionRole } from './roles';
import { stepQueue } from './queues';
import { nightly, scheduler } from './scheduler';
import { tables, topic } from './tables';
import { undelivered } from './undelivered';

export { API_TIMEOUT_SECONDS, LAMBDA_CA_BUNDLE, VISIBILITY_TIMEOUT_FACTOR, ids, namesFor } from './common';
export { RDS_STEPS } from './alarms';

export interface StageInput {
  service?: string;
  stage: string;
  /** The region the stack is deployed in (`--region` or provider.region); us-east-1 when not given. */
  region?: string;
  /** The stage's params (serverless.yml `params.default` merged with `params.<stage>` and --param). */
  params: Record<string, unknown>;
}

/** The whole generated part of serverless.yml. */
export interface Infrastructure {
  functions: Record<string, Cfn>;
  resources: { Resources: Record<string, Cfn>; Outputs: Record<string, Cfn> };
  /** Entry file → the adapters its bundle is wired with (read by src/infra/esbuild-plugins.cjs). */
  wiring: Record<string, string[]>;
}

export function buildInfrastructure(input: StageInput): Infrastructure {
  const names = namesFor(input.stage, input.service);
  // Values only CloudFormation knows, so the runtime's own schema can check everything else now.
  const placeholders = {
    ENVIRONMENT: input.stage,
    REGION: input.region ?? 'us-east-1',
    DYNAMODB_TABLE_NAME: names.stateTable,
    SNS_TOPIC_ARN: `arn:aws:sns:us-east-1:000000000000:${names.topic}`,
  };
  const params = parseStageParams(input.params, placeholders);
  const ctx = { names, params, stage: input.stage };

  const Resources: Record<string, Cfn> = {
    ...busAndForwarding(ctx),
    ...scheduler(ctx),
    ...tables(ctx),
    ...topic(ctx),
    ...undelivered(ctx),
  };
  for (const s of SUBSCRIPTIONS) Object.assign(Resources, stepQueue(ctx, s));
  for (const fn of FUNCTION_NAMES) Resources[ids.role(fn)] = functionRole(ctx, fn);
  Object.assign(Resources, nightly(ctx), alarms(ctx), dashboard(ctx));

  const functions: Record<string, Cfn> = {};
  for (const fn of FUNCTION_NAMES) functions[names.functionKey(fn)] = functionDefinition(ctx, fn);
  const wiring: Record<string, string[]> = bundleWiring();

  const Outputs: Record<string, Cfn> = {
    EventBusName: { Value: ref(ids.bus) },
    EventBusArn: { Value: getAtt(ids.bus) },
    ArchiveArn: { Value: getAtt(ids.archive) },
    StateTableName: { Value: ref(ids.stateTable) },
    AuditTableName: { Value: ref(ids.auditTable) },
    NotificationTopicArn: { Value: ref(ids.topic) },
    SchedulerGroupName: { Value: ref(ids.schedulerGroup) },
    UndeliveredQueueArn: { Value: getAtt(ids.undeliveredQueue) },
  };
  return { functions, resources: { Resources, Outputs }, wiring };
}
