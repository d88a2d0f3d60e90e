/**
 * The DynamoDB tables, defined once: dynalite creates them from these inputs locally and
 * serverless.yml derives its resources from them on AWS. Names come from the configuration
 * (DYNAMODB_TABLE_NAME, AUDIT_TABLE_NAME).
 *
 * TTL (`TTL_ATTRIBUTE`) is enabled on AWS only: it is not part of CreateTable and dynalite does not
 * implement UpdateTimeToLive. Items carry `expires_at` everywhere, so the data is the same.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** Epoch seconds after which DynamoDB may delete an item (state: STATE_TTL_DAYS, audit: AUDIT_TTL_DAYS). */
export const TTL_ATTRIBUTE = 'expires_at';

/** Partition key of both tables. */
export const STATE_KEY = 'operation_id';
/** Sort key of the audit table: `${timestamp}#${step rank}#${order}#${step}#${event_type}` (see AuditLog.record). */
export const AUDIT_SORT_KEY = 'sk';

/**
 * The state table: one item per operation (holding its per-step records) keyed by `operation_id`.
 * Lock and resource-index items share the table under prefixed keys, e.g. `lock#<region>#<clusterId>`,
 * so a claim, a lock and a state change each stay a single-item conditional write.
 */
export function stateTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    AttributeDefinitions: [{ AttributeName: STATE_KEY, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: STATE_KEY, KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** The audit table: the trail of one operation, read in order with a Query on `operation_id`. */
export function auditTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    AttributeDefinitions: [
      { AttributeName: STATE_KEY, AttributeType: 'S' },
      { AttributeName: AUDIT_SORT_KEY, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: STATE_KEY, KeyType: 'HASH' },
      { AttributeName: AUDIT_SORT_KEY, KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}
