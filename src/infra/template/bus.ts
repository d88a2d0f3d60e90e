/** The pipeline bus, its archive, and the forwarding of RDS events from the account's default bus. */
import { forwardedRdsPattern } from '../../events/subscriptions';
import { getAtt, ids, serviceRole, type Cfn, type Ctx } from './common';
import { targetDelivery } from './undelivered';

export function busAndForwarding({ names, params }: Ctx): Record<string, Cfn> {
  return {
    [ids.bus]: { Type: 'AWS::Events::EventBus', Properties: { Name: names.bus } },
    [ids.archive]: {
      Type: 'AWS::Events::Archive',
      Properties: {
        ArchiveName: names.archive,
        SourceArn: getAtt(ids.bus),
        Description: 'Every event of the pipeline bus, for replays (aurora-restore replay --aws)',
        RetentionDays: params.deployment.ARCHIVE_RETENTION_DAYS,
      },
    },
    // RDS events reach the account's default bus only: forward the ones the steps subscribe to.
    [ids.forwardRule]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: names.forwardRule,
        Description: 'Forwards the aws.rds events the pipeline steps consume to the pipeline bus',
        EventPattern: forwardedRdsPattern(params.resolved.DELETION_ALLOW_LIST),
        State: 'ENABLED',
        Targets: [{ Id: 'pipeline-bus', Arn: getAtt(ids.bus), RoleArn: getAtt(ids.forwardRole), ...targetDelivery() }],
      },
    },
    [ids.forwardRole]: serviceRole('events.amazonaws.com', [{ Sid: 'PutOnPipelineBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: getAtt(ids.bus) }]),
  };
}
