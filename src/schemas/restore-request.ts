import { z } from 'zod';
import {
  calendarDate,
  clusterIdentifier,
  instanceClass,
  region,
  securityGroupId,
  snapshotIdentifier,
  subnetGroupName,
} from './identifiers';

/**
 * What a user asks for: the one schema behind the CLI's `start`, the HTTP API's `POST /restores`
 * and the `RestoreRequested` event. The snapshot is named by id, or found as the automated
 * snapshot of `sourceClusterId` on `snapshotDate` (the latest one when no date is given).
 */
export const restoreRequest = z
  .strictObject({
    snapshotId: snapshotIdentifier.optional(),
    sourceClusterId: clusterIdentifier.optional(),
    snapshotDate: calendarDate.optional(),
    sourceRegion: region,
    targetRegion: region,
    targetClusterId: clusterIdentifier,
    instanceClass: instanceClass.default('db.r6g.large'),
    subnetGroup: subnetGroupName.optional(),
    securityGroupIds: z.array(securityGroupId).max(5, 'expected at most 5 security groups').default([]),
    deleteExisting: z.boolean().default(false),
    keepSnapshot: z.boolean().default(false),
    skipFinalSnapshot: z.boolean().default(false),
    requestedBy: z.string().max(128, 'expected at most 128 characters').optional(),
  })
  .superRefine((r, ctx) => {
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
  });

export type RestoreRequest = z.output<typeof restoreRequest>;
export type RestoreRequestInput = z.input<typeof restoreRequest>;

/** Formats zod issues as `field: expected ...` lines, the one error format users see. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}
