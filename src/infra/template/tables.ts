/** The state and audit tables (src/lib/tables.ts) and the notification topic, encrypted with the pipeline key. */
import { TTL_ATTRIBUTE, auditTableDefinition, stateTableDefinition } from '../../lib/tables';
import { ids, type Cfn, type Ctx } from './common';

export function tables({ names, params }: Ctx): Record<string, Cfn> {
  const table = (def: ReturnType<typeof stateTableDefinition>): Cfn => ({
    Type: 'AWS::DynamoDB::Table',
    // The audit trail and the operations outlive the stack: deleting it keeps the tables.
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      TableName: def.TableName,
      AttributeDefinitions: def.AttributeDefinitions,
      KeySchema: def.KeySchema,
      BillingMode: def.BillingMode,
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: params.deployment.KMS_KEY_ID },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    },
  });
  return {
    [ids.stateTable]: table(stateTableDefinition(names.stateTable)),
    [ids.auditTable]: table(auditTableDefinition(names.auditTable)),
  };
}

export function topic({ names, params }: Ctx): Record<string, Cfn> {
  return {
    [ids.topic]: { Type: 'AWS::SNS::Topic', Properties: { TopicName: names.topic, KmsMasterKeyId: params.deployment.KMS_KEY_ID } },
  };
}
