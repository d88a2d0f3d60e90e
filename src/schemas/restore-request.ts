import * as z from './zod';
import {
  calendarDate,
  clusterIdentifier,
  instanceClass,
  isoTimestamp,
  region,
  securityGroupId,
  snapshotIdentifier,
  subnetGroupName,
} from './identifiers';
import { appUsers, clusterSettings, postRestore } from './refresh-settings';

/** A saved refresh profile's name (SSM parameter name segment, profiles file key). */
export const profileName = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a profile name of lowercase letters, digits and hyphens, like staging-orders'));

/**
 * What a user asks for: the one schema behind the CLI's `start`, the HTTP API's `POST /restores`
 * and the `RestoreRequested` event. The snapshot is named by id, or found as the automated
 * snapshot of `sourceClusterId` on `snapshotDate` (the latest one when no date is given).
 */
export const restoreRequest = z
  .strictObject({
    snapshotId: z.optional(snapshotIdentifier),
    sourceClusterId: z.optional(clusterIdentifier),
    snapshotDate: z.optional(calendarDate),
    sourceRegion: region,
    targetRegion: region,
    targetClusterId: clusterIdentifier,
    /** Default db.r6g.large, or db.serverless with `cluster.serverless`. */
    instanceClass: z.optional(instanceClass),
    subnetGroup: z.optional(subnetGroupName),
    securityGroupIds: z._default(z.array(securityGroupId).check(z.maxLength(5, 'expected at most 5 security groups')), []),
    deleteExisting: z._default(z.boolean(), false),
    keepSnapshot: z._default(z.boolean(), false),
    skipFinalSnapshot: z._default(z.boolean(), false),
    /**
     * `replace` deletes the existing target, then restores under its name (the target name serves no
     * database meanwhile); `swap` restores under a temporary name while the old cluster keeps serving,
     * then swaps the names and retires the old cluster.
     */
    strategy: z._default(z.enum(['replace', 'swap'], { error: (i) => `expected replace or swap, got ${JSON.stringify(i.input)}` }), 'replace'),
    /**
     * `snapshot` restores a cluster snapshot (copied to the target region when needed); `clone` is an
     * Aurora fast clone (copy-on-write) of the live source cluster; `point-in-time` a full copy of the
     * source cluster at `restoreTime` (or its latest restorable time). Clones and point-in-time restores
     * stay in the source cluster's region.
     */
    source: z._default(
      z.enum(['snapshot', 'clone', 'point-in-time'], { error: (i) => `expected snapshot, clone or point-in-time, got ${JSON.stringify(i.input)}` }),
      'snapshot',
    ),
    restoreTime: z.optional(isoTimestamp),
    requestedBy: z.optional(z.string().check(z.maxLength(128, 'expected at most 128 characters'))),
    /** The saved profile this request came from (informational: the request carries the profile's settings). */
    profile: z.optional(profileName),
    /** The restored cluster's settings (engine version, parameter groups, Serverless v2, readers, logs, …). */
    cluster: z.optional(clusterSettings),
    /** SQL run as the master user after the restore, before any application user may log in; and its checks. */
    postRestore: z.optional(postRestore),
    /** The application users (default: the one in APP_SECRET_NAME, with the privileges it lists, on schema public). */
    users: z.optional(appUsers),
  })
  .check(
    z.superRefine((r, ctx) => {
      const serverless = r.cluster?.serverless !== undefined;
      if (serverless && r.instanceClass !== undefined && r.instanceClass !== 'db.serverless') {
        ctx.addIssue({ code: 'custom', path: ['instanceClass'], message: `cluster.serverless runs every instance as db.serverless, got ${r.instanceClass}` });
      }
      // "An Aurora cluster must have a ServerlessV2ScalingConfiguration attribute before you can add any DB instances
      // that use the db.serverless DB instance class." (Aurora user guide)
      if (!serverless && r.instanceClass === 'db.serverless') {
        ctx.addIssue({ code: 'custom', path: ['cluster', 'serverless'], message: 'expected a capacity range (minCapacity, maxCapacity) for db.serverless instances' });
      }
      if (r.source !== 'snapshot' && r.cluster?.engineVersion) {
        ctx.addIssue({ code: 'custom', path: ['cluster', 'engineVersion'], message: `a ${r.source} keeps the source cluster's engine version (RestoreDBClusterToPointInTime takes none)` });
      }
      if (r.source !== 'snapshot') {
        if (!r.sourceClusterId) ctx.addIssue({ code: 'custom', path: ['sourceClusterId'], message: `expected the source cluster to ${r.source === 'clone' ? 'clone' : 'restore to a point in time'}` });
        if (r.snapshotId || r.snapshotDate) ctx.addIssue({ code: 'custom', path: [r.snapshotId ? 'snapshotId' : 'snapshotDate'], message: `a ${r.source} restore takes no snapshot` });
        if (r.sourceRegion !== r.targetRegion) {
          ctx.addIssue({
            code: 'custom',
            path: ['targetRegion'],
            message: `a ${r.source} restore stays in the source cluster's region: expected ${r.sourceRegion}, got ${r.targetRegion} (restore a snapshot to change regions)`,
          });
        }
        if (r.restoreTime && r.source === 'clone') ctx.addIssue({ code: 'custom', path: ['restoreTime'], message: 'a clone is taken at the latest restorable time: restoreTime is for point-in-time' });
        return;
      }
      if (r.restoreTime) ctx.addIssue({ code: 'custom', path: ['restoreTime'], message: 'expected restoreTime only with source point-in-time' });
      if (!r.snapshotId && !r.sourceClusterId) {
        ctx.addIssue({
          code: 'custom',
          path: ['snapshotId'],
          message: 'expected snapshotId, or sourceClusterId (with an optional snapshotDate)',
        });
      }
      if (r.snapshotId && (r.sourceClusterId || r.snapshotDate)) {
        ctx.addIssue({
          code: 'custom',
          path: ['snapshotId'],
          message: 'expected either snapshotId or sourceClusterId/snapshotDate, not both',
        });
      }
      if (r.snapshotDate && !r.sourceClusterId) {
        ctx.addIssue({ code: 'custom', path: ['sourceClusterId'], message: 'expected sourceClusterId with snapshotDate' });
      }
    }),
  );

export type RestoreRequest = z.output<typeof restoreRequest>;
export type RestoreRequestInput = z.input<typeof restoreRequest>;

/** Formats zod issues as `field: expected ...` lines, the one error format users see. */
export function describeIssues(error: z.core.$ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}
