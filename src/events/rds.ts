import * as z from '../schemas/zod';

/**
 * Native RDS events as EventBridge delivers them (source `aws.rds`, default bus, best effort, unordered).
 * We match on `EventID` and the ARN, never on `Message` (its wording differs between documents).
 */
export const RDS_SOURCE = 'aws.rds';

export const RDS_DETAIL_TYPES = {
  cluster: 'RDS DB Cluster Event',
  instance: 'RDS DB Instance Event',
  clusterSnapshot: 'RDS DB Cluster Snapshot Event',
} as const;

/** The RDS event ids the steps react to. */
export const RDS_EVENT_IDS = {
  clusterCreated: 'RDS-EVENT-0170',
  clusterDeleted: 'RDS-EVENT-0171',
  /** "Renamed cluster from `name` to `name`." (category notification) */
  clusterRenamed: 'RDS-EVENT-0172',
  clusterCreateFailed: ['RDS-EVENT-0354', 'RDS-EVENT-0355'],
  instanceCreated: 'RDS-EVENT-0005',
  instanceDeleted: 'RDS-EVENT-0003',
  instanceCreateFailed: ['RDS-EVENT-0278', 'RDS-EVENT-0353'],
  instanceFailed: 'RDS-EVENT-0031',
  manualSnapshotCreated: 'RDS-EVENT-0075',
  automatedSnapshotCreated: 'RDS-EVENT-0169',
} as const;

export const rdsEventDetail = z.object({
  EventCategories: z.array(z.string()),
  SourceType: z.enum(['CLUSTER', 'DB_INSTANCE', 'CLUSTER_SNAPSHOT', 'SNAPSHOT', 'DB_PARAM', 'DB_SECURITY_GROUP', 'DB_PROXY', 'CUSTOM_ENGINE_VERSION', 'BLUE_GREEN_DEPLOYMENT']),
  SourceArn: z.string().check(z.startsWith('arn:')),
  Date: z.string(),
  Message: z.string(),
  SourceIdentifier: z.string().check(z.minLength(1)),
  EventID: z.string().check(z.regex(/^RDS-EVENT-\d{4}$/, 'expected an RDS event id like RDS-EVENT-0170')),
  Tags: z.optional(z.record(z.string(), z.string())),
});
export type RdsEventDetail = z.infer<typeof rdsEventDetail>;

/** Older documented examples prefix the identifier with `rds:`; the identifier we compare is without it. */
export function rdsSourceIdentifier(detail: RdsEventDetail): string {
  return detail.SourceIdentifier.replace(/^rds:/, '');
}

/** Region of the resource, from its ARN (arn:aws:rds:REGION:ACCOUNT:cluster:ID). */
export function rdsEventRegion(detail: RdsEventDetail): string {
  return detail.SourceArn.split(':')[3] ?? '';
}

export const RDS_EVENT_EXAMPLES = {
  clusterCreated: {
    version: '0',
    id: '7f0d1a6e-5c3e-4e0a-9f3b-0b2b6c1d2e3f',
    'detail-type': RDS_DETAIL_TYPES.cluster,
    source: RDS_SOURCE,
    account: '123456789012',
    time: '2026-11-24T02:31:07Z',
    region: 'us-west-2',
    resources: ['arn:aws:rds:us-west-2:123456789012:cluster:aurora-staging'],
    detail: {
      EventCategories: ['creation'],
      SourceType: 'CLUSTER',
      SourceArn: 'arn:aws:rds:us-west-2:123456789012:cluster:aurora-staging',
      Date: '2026-11-24T02:31:07.212Z',
      Message: 'DB cluster created',
      SourceIdentifier: 'aurora-staging',
      EventID: 'RDS-EVENT-0170',
      // "Event notifications include tags from when the message was sent" (RDS user guide).
      Tags: { 'aurora-restore:managed-by': 'aurora-restore', 'aurora-restore:operation-id': 'restore-20261124-020000-k3x9q2' },
    },
  },
} as const;
