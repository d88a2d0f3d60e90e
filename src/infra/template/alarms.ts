/** CloudWatch alarms (dead letters, function errors, pipeline metrics) and the dashboard. */
import { SUBSCRIPTIONS } from '../../events/subscriptions';
import { METRICS_NAMESPACE } from '../../lib/aws/compose';
import { STEP_NAMES } from '../../schemas/steps';
import { FUNCTION_NAMES, grantsOf } from '../permissions';
import { getAtt, ids, ref, sub, type Cfn, type Ctx } from './common';

const FIVE_MINUTES = 300;

export function alarm(ctx: Ctx, name: string, description: string, props: Cfn): Cfn {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${ctx.names.prefix}-${name}`,
      AlarmDescription: description,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(ids.topic)],
      ...props,
    },
  };
}

/** A metric of our EMF namespace (Powertools adds the `service` dimension to every metric). */
export function pipelineMetric(ctx: Ctx, metric: string, stat: string, dimensions: Record<string, string> = {}): Cfn {
  return {
    Metric: {
      Namespace: METRICS_NAMESPACE,
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: ctx.names.metricsService }, ...Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }))],
    },
    Period: FIVE_MINUTES,
    Stat: stat,
  };
}

/** An alarm on a rule's FailedInvocations (EventBridge sends the metric only when it is not zero). */
export function ruleFailedAlarm(ctx: Ctx, rule: string, dimensions: { Name: string; Value: string }[]): Cfn {
  return alarm(ctx, `${rule.slice(ctx.names.prefix.length + 1) || rule}-failed`.slice(0, 200), `The rule ${rule} failed to deliver events to its target (they went to its dead-letter queue)`, {
    Threshold: 1,
    Namespace: 'AWS/Events',
    MetricName: 'FailedInvocations',
    Dimensions: dimensions,
    Statistic: 'Sum',
    Period: FIVE_MINUTES,
  });
}

/** Functions that retry RDS calls (the throttling alarm adds up their throttled retries). */
export const RDS_STEPS = STEP_NAMES.filter((s) => grantsOf(s).some((g) => g.actions.some((a) => a.startsWith('rds:'))));

export function alarms(ctx: Ctx): Record<string, Cfn> {
  const { names, params } = ctx;
  const out: Record<string, Cfn> = {};
  for (const s of SUBSCRIPTIONS) {
    const queue = (metric: string, stat: string, id: string): Cfn => ({
      Id: id,
      ReturnData: false,
      MetricStat: {
        Metric: { Namespace: 'AWS/SQS', MetricName: metric, Dimensions: [{ Name: 'QueueName', Value: getAtt(ids.deadLetterQueue(s.step), 'QueueName') }] },
        Period: 60,
        Stat: stat,
      },
    });
    // The dead-letter function drains the DLQ at once, so "received" counts what arrived; "visible" what it could not take.
    out[ids.deadLetterAlarm(s.step)] = alarm(ctx, `${s.step}-dead-letters`, `A message for ${s.step} failed repeatedly and reached its dead-letter queue`, {
      Threshold: 1,
      Metrics: [
        queue('NumberOfMessagesReceived', 'Sum', 'received'),
        queue('ApproximateNumberOfMessagesVisible', 'Maximum', 'visible'),
        { Id: 'deadletters', Label: `${s.step} dead letters`, Expression: 'FILL(received, 0) + FILL(visible, 0)', ReturnData: true },
      ],
    });
  }
  // Rule targets EventBridge gave up on ("FailedInvocations: the number of invocations that failed
  // permanently"; "Metrics that specify both the EventBusName and RuleName dimensions refer to a custom
  // event bus", only RuleName the default bus — EventBridge user guide, monitoring).
  for (const s of SUBSCRIPTIONS) {
    for (const p of s.patterns) {
      const rule = names.rule(s.step, p.name);
      out[ids.ruleFailedAlarm(ids.rule(s.step, p.name))] = ruleFailedAlarm(ctx, rule, [
        { Name: 'EventBusName', Value: names.bus },
        { Name: 'RuleName', Value: rule },
      ]);
    }
  }
  out[ids.ruleFailedAlarm(ids.forwardRule)] = ruleFailedAlarm(ctx, names.forwardRule, [{ Name: 'RuleName', Value: names.forwardRule }]);
  out[ids.undeliveredAlarm] = alarm(ctx, 'undelivered-events', 'An event rule or a schedule could not deliver an event: it is in the undelivered-events queue', {
    Threshold: 1,
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: getAtt(ids.undeliveredQueue, 'QueueName') }],
    Statistic: 'Maximum',
    Period: FIVE_MINUTES,
  });
  for (const fn of FUNCTION_NAMES) {
    out[ids.errorsAlarm(fn)] = alarm(ctx, `${fn}-errors`, `The ${fn} function failed (invocation errors)`, {
      Threshold: 1,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: names.function(fn) }],
      Statistic: 'Sum',
      Period: FIVE_MINUTES,
    });
  }
  const single = (metric: string, stat: string) => {
    const m = pipelineMetric(ctx, metric, stat) as { Metric: Cfn; Stat: string; Period: number };
    return { ...m.Metric, Statistic: m.Stat, Period: m.Period };
  };
  out[ids.restoreFailedAlarm] = alarm(ctx, 'restore-failed', 'A restore operation ended FAILED', { Threshold: 1, ...single('RestoreFailed', 'Sum') });
  out[ids.longRestoreAlarm] = alarm(ctx, 'restore-too-long', `A restore took longer than ${params.deployment.LONG_RESTORE_SECONDS} s`, {
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: params.deployment.LONG_RESTORE_SECONDS,
    ...single('TotalDuration', 'Maximum'),
  });
  out[ids.throttlingAlarm] = alarm(ctx, 'throttled', `RDS throttled the pipeline ${params.deployment.THROTTLED_RETRIES_ALARM}+ times in five minutes`, {
    Threshold: params.deployment.THROTTLED_RETRIES_ALARM,
    Metrics: [
      ...RDS_STEPS.map((step, i) => ({ Id: `m${i}`, ReturnData: false, MetricStat: pipelineMetric(ctx, 'Retries', 'Sum', { step, code: 'Throttled' }) })),
      { Id: 'throttled', Label: 'throttled retries', Expression: `SUM([${RDS_STEPS.map((_, i) => `FILL(m${i}, 0)`).join(', ')}])`, ReturnData: true },
    ],
  });
  return out;
}

// -------------------------------------------------------------------------------------- dashboard

export function dashboard(ctx: Ctx): Record<string, Cfn> {
  const svc = ctx.names.metricsService;
  const ns = METRICS_NAMESPACE;
  const search = (metric: string, dims: string, stat: string) => ({
    expression: `SEARCH('{${ns},${dims}} MetricName="${metric}" service="${svc}"', '${stat}', 300)`,
  });
  const widget = (title: string, metrics: unknown[], x: number, y: number, extra: Cfn = {}) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region: '${AWS::Region}', stat: 'Sum', period: 300, view: 'timeSeries', metrics, ...extra },
  });
  const body = {
    widgets: [
      widget(
        'Restores: succeeded / failed',
        [
          [ns, 'RestoreSucceeded', 'service', svc, { label: 'succeeded' }],
          [ns, 'RestoreFailed', 'service', svc, { label: 'failed' }],
        ],
        0,
        0,
      ),
      widget(
        'Total restore duration (s)',
        [
          [ns, 'TotalDuration', 'service', svc, { stat: 'Average', label: 'average' }],
          [ns, 'TotalDuration', 'service', svc, { stat: 'Maximum', label: 'maximum' }],
        ],
        12,
        0,
      ),
      widget('Step duration by step (s, average)', [[search('StepDuration', 'service,step', 'Average')]], 0, 6),
      widget('Retries by step and fault', [[search('Retries', 'code,service,step', 'Sum')]], 12, 6),
      widget('Step failures by step', [[search('StepFailures', 'code,service,step', 'Sum')]], 0, 12),
      widget('Dead letters by step', [[search('DeadLetters', 'service,step', 'Sum')]], 12, 12),
    ],
  };
  return {
    [ids.dashboard]: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardName: ctx.names.prefix, DashboardBody: sub(JSON.stringify(body)) },
    },
  };
}
