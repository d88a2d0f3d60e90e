/** The osls function definitions: handler, role, timeout, environment, VPC, and their event sources. */
import { DEAD_LETTER_STEP, SUBSCRIPTIONS } from '../../events/subscriptions';
import { METRICS_NAMESPACE } from '../../lib/aws/compose';
import { connectsToDatabase, isStepFunction, type FunctionName } from '../permissions';
import { LAMBDA_CA_BUNDLE, getAtt, ids, ref, timeoutOf, type Cfn, type Ctx } from './common';

export function environmentOf(ctx: Ctx, fn: FunctionName): Record<string, unknown> {
  const { names, params } = ctx;
  return {
    ENVIRONMENT: ctx.stage,
    REGION: ref('AWS::Region'),
    DYNAMODB_TABLE_NAME: names.stateTable,
    AUDIT_TABLE_NAME: names.auditTable,
    SNS_TOPIC_ARN: ref(ids.topic),
    EVENT_BUS_NAME: names.bus,
    EVENT_BUS_ARN: getAtt(ids.bus),
    SCHEDULER_GROUP_NAME: names.schedulerGroup,
    SCHEDULER_ROLE_ARN: getAtt(ids.schedulerRole),
    // The one-time schedules' dead-letter queue (read by src/lib/aws/scheduler.ts).
    SCHEDULER_DLQ_ARN: getAtt(ids.undeliveredQueue),
    ...params.config,
    LAMBDA_TIMEOUT_SECONDS: String(timeoutOf(ctx, fn)),
    LAMBDA_MEMORY_SIZE: String(params.resolved.LAMBDA_MEMORY_SIZE),
    POWERTOOLS_SERVICE_NAME: names.metricsService,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    NODE_OPTIONS: '--enable-source-maps',
    ...(connectsToDatabase(fn) ? { NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE } : {}),
  };
}

export function functionDefinition(ctx: Ctx, fn: FunctionName): Cfn {
  const { names, params } = ctx;
  const def: Cfn = {
    name: names.function(fn),
    handler: `src/handlers/${fn}.handler`,
    description: isStepFunction(fn) ? `aurora-restore step ${fn}` : fn === 'api' ? 'aurora-restore HTTP API' : 'aurora-restore recurring restore request',
    role: ids.role(fn),
    timeout: timeoutOf(ctx, fn),
    memorySize: params.resolved.LAMBDA_MEMORY_SIZE,
    environment: environmentOf(ctx, fn),
    // esbuild's metafiles stay in .esbuild/ for scripts/package-report.mjs; the zip holds the bundle and its map.
    package: { patterns: ['!**/*-meta.json'] },
  };
  // Only a function that talks SQL needs the VPC (with NAT or VPC endpoints for its AWS calls).
  if (connectsToDatabase(fn)) def.vpc = { securityGroupIds: params.resolved.SECURITY_GROUP_IDS, subnetIds: params.resolved.SUBNET_IDS };
  if (fn === 'api') {
    def.events = [
      { httpApi: { method: 'POST', path: '/restores', authorizer: { type: 'aws_iam' } } },
      { httpApi: { method: 'GET', path: '/restores/{id}', authorizer: { type: 'aws_iam' } } },
    ];
  } else if (fn === DEAD_LETTER_STEP) {
    def.events = SUBSCRIPTIONS.map((s) => ({
      sqs: { arn: getAtt(ids.deadLetterQueue(s.step)), batchSize: 10, maximumConcurrency: 2, functionResponseType: 'ReportBatchItemFailures' },
    }));
  } else if (isStepFunction(fn)) {
    const s = SUBSCRIPTIONS.find((x) => x.step === fn);
    if (!s) throw new Error(`${fn}: no subscription in src/events/subscriptions.ts`);
    def.events = [
      {
        sqs: {
          arn: getAtt(ids.queue(fn)),
          batchSize: s.batchSize,
          maximumConcurrency: s.maximumConcurrency,
          functionResponseType: 'ReportBatchItemFailures',
        },
      },
    ];
  }
  return def;
}
