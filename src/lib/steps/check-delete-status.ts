import { RDS_EVENT_IDS } from '../../events/rds';
import { deletionVerdict } from '../safety';
import type { Step, StepContext, StepResult } from '../step-runner';
import { startDeletion } from './deletion';
import { currentPhase, eventTime, phaseWaiting, recordPhaseEnd } from './phase-wait';

const CHECK = 'delete' as const;

/**
 * check-delete-status: woken by RDS "instance deleted" / "cluster deleted" events, by a check at the
 * expected end of each phase (this target's history, phase-wait.ts) and by the safety net. While instances
 * remain it deletes those that could not be deleted before (an instance that was creating or modifying
 * when delete-rds ran is refused by RDS until it settles); when they are gone it deletes the cluster. The
 * safety rules are checked again before either. When the cluster is gone: strategy replace, the target is
 * clear (the restore follows); strategy swap, the old cluster — renamed away and replaced — is retired.
 *
 * RDS calls are spent only where they decide something: the started event makes none (the deletion was
 * just asked for), and RDS's own "DB cluster deleted" event for this cluster, sent after the deletion
 * began, is taken as the fact it states — no Describe to confirm it (a restore under the same name would
 * be refused by RDS if it were wrong, never a deletion).
 */
export const checkDeleteStatus: Step = {
  name: 'check-delete-status',
  mode: 'wait',
  recheck: { check: CHECK, delaySeconds: (c) => c.SAFETY_RECHECK_SECONDS },
  triggers: ['ClusterDeletionStarted'],

  async run(ctx): Promise<StepResult> {
    const { state, deps, trigger } = ctx;
    const p = state.parameters;
    const retiring = p.strategy === 'swap';
    const clusterId = retiring ? state.restore_details.retired_cluster_id : p.target_cluster_id;
    if (!clusterId) throw new Error('retired cluster id missing: swap-out has not recorded it');

    if (trigger.kind === 'domain' && trigger.event.type === 'ClusterDeletionStarted') {
      const first = trigger.event.detail.instances === 0 ? 'delete-cluster' : 'delete-instances';
      return phaseWaiting(ctx, CHECK, first, trigger.event.detail.occurredAt, { type: 'DELETE_PENDING', details: { cluster_id: clusterId } });
    }
    const phase = currentPhase(ctx) ?? { name: 'delete-instances' as const, started_at: state.steps['check-delete-status']?.started_at ?? ctx.now.toISOString() };

    const deletedEvent = trigger.kind === 'rds' && trigger.detail.EventID === RDS_EVENT_IDS.clusterDeleted && sameId(trigger.detail.SourceIdentifier, clusterId) && Date.parse(trigger.detail.Date) >= Date.parse(phase.started_at);
    const cluster = deletedEvent ? undefined : await ctx.retry(() => deps.rds.describeCluster(p.target_region, clusterId));
    if (!cluster) {
      await recordPhaseEnd(ctx, 'delete-cluster', eventTime(ctx, clusterId));
      return gone(ctx, clusterId, retiring);
    }
    // Instances refused earlier (creating or modifying then) are deleted again; those already deleting are left to RDS.
    const notYet = cluster.members.filter((m) => state.restore_details.instances_not_yet_deleted?.includes(m));
    if (cluster.status !== 'deleting' && (cluster.members.length === 0 || notYet.length > 0)) {
      const verdict = deletionVerdict(cluster, deps.config);
      if (!verdict.allowed) return { kind: 'failed', code: 'DeletionRefused', message: verdict.reason };
      await startDeletion(ctx, cluster, state.restore_details.final_snapshot_id, notYet);
    }
    const audit = { type: 'DELETE_PENDING', details: { cluster_status: cluster.status, instances_left: cluster.members.length } };
    if (cluster.members.length === 0 && phase.name === 'delete-instances') {
      // The instances are gone and the cluster's deletion was just asked for (or already under way).
      const ended = trigger.kind === 'rds' && trigger.detail.EventID === RDS_EVENT_IDS.instanceDeleted ? eventTime(ctx, trigger.detail.SourceIdentifier) : ctx.now;
      await recordPhaseEnd(ctx, 'delete-instances', ended);
      return phaseWaiting(ctx, CHECK, 'delete-cluster', deps.clock.now().toISOString(), audit);
    }
    return phaseWaiting(ctx, CHECK, phase.name, phase.started_at, audit);
  },
};

const sameId = (a: string, b: string) => a.replace(/^rds:/, '').toLowerCase() === b.toLowerCase();

function gone(ctx: StepContext, clusterId: string, retiring: boolean): StepResult {
  const p = ctx.state.parameters;
  const finalId = ctx.state.restore_details.final_snapshot_id;
  if (retiring) {
    return {
      kind: 'done',
      event: ctx.event('OldClusterRetired', { deleted: true, clusterId, finalSnapshotId: finalId }),
      status: 'SWAPPED',
      next: 'archive-snapshot',
      audit: { type: 'OLD_CLUSTER_RETIRED', details: { cluster_id: clusterId, final_snapshot_id: finalId ?? null } },
    };
  }
  return {
    kind: 'done',
    event: ctx.event('TargetCleared', { deleted: true, finalSnapshotId: finalId }),
    status: 'TARGET_CLEARED',
    next: 'restore-snapshot',
    patch: { restore_details: { deleted_existing_cluster: true } },
    audit: { type: 'TARGET_CLEARED', details: { cluster_id: p.target_cluster_id, existed: true, final_snapshot_id: finalId ?? null } },
  };
}
