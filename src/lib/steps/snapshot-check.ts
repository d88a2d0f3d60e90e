import { domainEvent } from '../../events/catalogue';
import { restoreRequest } from '../../schemas/restore-request';
import { newOperationState, parametersFrom } from '../../schemas/operation-state';
import type { SnapshotInfo } from '../ports';
import type { Step, StepContext, StepResult } from '../step-runner';
import { engineProblem, replacementProblem, requestProblem } from '../safety';
import { clusterEngineProblem, requestConfigProblem } from '../request-checks';
import { deadlineScheduleName } from './names';

/**
 * snapshot-check: creates the operation, takes the target cluster (one active operation per cluster),
 * arms the operation's deadline, then finds the snapshot — by id, or as the automated snapshot of the
 * source cluster on the requested date (the newest when no date is given) — and checks it is available.
 */
export const snapshotCheck: Step = {
  name: 'snapshot-check',
  mode: 'action',
  triggers: ['RestoreRequested'],

  async init(deps, store, trigger, now) {
    if (trigger.kind !== 'domain' || trigger.event.type !== 'RestoreRequested') return undefined;
    const { operationId, request } = trigger.event.detail;
    const state = newOperationState({
      operationId,
      startTime: new Date(trigger.event.detail.occurredAt).toISOString(),
      now,
      parameters: parametersFrom(restoreRequest.parse(request)),
      nextStep: 'SNAPSHOT_CHECK',
      expiresAt: store.expiresAt(now),
    });
    await store.create(state);
    return store.get(operationId);
  },

  async run(ctx: StepContext): Promise<StepResult> {
    const { deps, state, store } = ctx;
    const p = state.parameters;
    const id = state.operation_id;

    const refused = requestProblem(p, deps.config);
    if (refused) return { kind: 'failed', ...refused };
    const lock = await store.acquireLock(p.target_region, p.target_cluster_id, id, ctx.now);
    if (!lock.acquired) {
      return {
        kind: 'failed',
        code: 'TargetBusy',
        message: `target cluster ${p.target_cluster_id} in ${p.target_region} is being restored by operation ${lock.holder}; try again when it ends`,
      };
    }

    const deadline = new Date(Date.parse(state.start_time) + deps.config.STATE_MACHINE_TIMEOUT_SECONDS * 1000);
    if (deadline.getTime() <= ctx.now.getTime()) {
      // A request replayed from the archive, or delivered very late: its deadline has passed. Nothing has
      // been done yet, and a deadline schedule must never be created in the past (Scheduler refuses it).
      return {
        kind: 'failed',
        code: 'Timeout',
        message: `the request of ${state.start_time} arrived after its deadline (${deadline.toISOString()}, STATE_MACHINE_TIMEOUT_SECONDS=${deps.config.STATE_MACHINE_TIMEOUT_SECONDS}); nothing was done — request the restore again`,
      };
    }
    await deps.scheduler.scheduleOnce({
      name: deadlineScheduleName(id),
      at: deadline,
      event: domainEvent('OperationDeadlineReached', id, ctx.now, { deadline: deadline.toISOString() }),
    });

    // Pre-flight: what this deployment does not allow (SQL sources, user secrets, tags) fails now.
    const notAllowed = requestConfigProblem(p, deps.config);
    if (notAllowed) return { kind: 'failed', code: 'InvalidRequest', message: notAllowed };
    // Pre-flight: a target that may not be replaced fails now, before anything is copied.
    const existing = await ctx.retry(() => deps.rds.describeCluster(p.target_region, p.target_cluster_id));
    const problem = existing && replacementProblem(existing, p.delete_existing, deps.config, p.strategy);
    if (problem) return { kind: 'failed', ...problem };
    if (p.source === 'clone' || p.source === 'point-in-time') return validateSourceCluster(ctx);

    const snapshot = await findSnapshot(ctx);
    if (!snapshot) {
      const what = p.source_snapshot_id
        ? `snapshot ${p.source_snapshot_id}`
        : `automated snapshot of ${p.source_cluster_id}${p.source_snapshot_date ? ` taken on ${p.source_snapshot_date}` : ''}`;
      return { kind: 'failed', code: 'SnapshotNotFound', message: `found no ${what} in ${p.source_region}` };
    }
    const unsupported = engineProblem(snapshot);
    if (unsupported) return { kind: 'failed', ...unsupported };
    const engineRefused = clusterEngineProblem(p, snapshot.engine);
    if (engineRefused) return { kind: 'failed', code: 'InvalidRequest', message: engineRefused };
    if (snapshot.status !== 'available') {
      return {
        kind: 'failed',
        code: 'SnapshotNotAvailable',
        message: `snapshot ${snapshot.snapshotId} is ${snapshot.status}, expected available`,
      };
    }
    return {
      kind: 'done',
      event: ctx.event('SnapshotValidated', {
        snapshot: {
          snapshotId: snapshot.snapshotId,
          snapshotArn: snapshot.snapshotArn,
          region: p.source_region as never,
          sourceClusterId: snapshot.sourceClusterId,
          status: 'available',
          encrypted: snapshot.encrypted,
          kmsKeyId: snapshot.kmsKeyId,
          engine: snapshot.engine,
          engineVersion: snapshot.engineVersion,
          createdAt: new Date(snapshot.createdAt).toISOString(),
        },
      }),
      status: 'SNAPSHOT_VALIDATED',
      next: 'copy-snapshot',
      patch: {
        snapshot_details: {
          source_snapshot_id: snapshot.snapshotId,
          snapshot_arn: snapshot.snapshotArn,
          snapshot_status: snapshot.status,
          engine: snapshot.engine,
          engine_version: snapshot.engineVersion,
          kms_key_id: snapshot.kmsKeyId,
        },
      },
      audit: { type: 'SNAPSHOT_VALIDATED', details: { snapshot_id: snapshot.snapshotId, created_at: snapshot.createdAt } },
    };
  },
};

/**
 * A clone or point-in-time restore starts from the live source cluster (same region, enforced by the
 * request): it must exist and be available; a clone needs a DB instance ("You can't create a clone from
 * an Aurora DB cluster that has no DB instances."); a point in time must be in its restorable window.
 */
async function validateSourceCluster(ctx: StepContext): Promise<StepResult> {
  const { state, deps } = ctx;
  const p = state.parameters;
  const source = p.source as 'clone' | 'point-in-time';
  const sourceId = p.source_cluster_id!;
  const cluster = await ctx.retry(() => deps.rds.describeCluster(p.source_region, sourceId));
  if (!cluster) return { kind: 'failed', code: 'SourceNotRestorable', message: `found no cluster ${sourceId} in ${p.source_region} to ${source === 'clone' ? 'clone' : 'restore to a point in time'}` };
  if (!deps.config.CLONE_SOURCE_CLUSTERS.includes(cluster.clusterId)) {
    return {
      kind: 'failed',
      code: 'SourceNotRestorable',
      message: `cluster ${cluster.clusterId} is not on CLONE_SOURCE_CLUSTERS: the pipeline clones or restores to a point in time only the live clusters listed there`,
    };
  }
  const unsupported = engineProblem(cluster);
  if (unsupported) return { kind: 'failed', ...unsupported };
  if (cluster.status !== 'available') return { kind: 'failed', code: 'SourceNotRestorable', message: `cluster ${cluster.clusterId} is ${cluster.status}, expected available` };
  const engineRefused = clusterEngineProblem(p, cluster.engine);
  if (engineRefused) return { kind: 'failed', code: 'InvalidRequest', message: engineRefused };
  if (source === 'clone' && cluster.members.length === 0) {
    return { kind: 'failed', code: 'SourceNotRestorable', message: `cluster ${cluster.clusterId} has no DB instance: Aurora clones only clusters with at least one` };
  }
  if (p.restore_time) {
    const t = Date.parse(p.restore_time);
    const [earliest, latest] = [cluster.earliestRestorableTime, cluster.latestRestorableTime].map((x) => (x ? Date.parse(x) : NaN));
    if (!(t >= earliest && t <= latest)) {
      return {
        kind: 'failed',
        code: 'SourceNotRestorable',
        message: `${p.restore_time} is outside the restorable window of ${cluster.clusterId} (${cluster.earliestRestorableTime ?? '?'} to ${cluster.latestRestorableTime ?? '?'})`,
      };
    }
  }
  return {
    kind: 'done',
    event: ctx.event('SourceClusterValidated', {
      source,
      sourceCluster: {
        clusterId: cluster.clusterId,
        region: p.source_region as never,
        engine: cluster.engine,
        engineVersion: cluster.engineVersion,
        latestRestorableTime: cluster.latestRestorableTime,
      },
      restoreTime: p.restore_time,
    }),
    status: 'SNAPSHOT_VALIDATED',
    next: 'delete-rds',
    patch: { snapshot_details: { engine: cluster.engine, engine_version: cluster.engineVersion, copied: false } },
    audit: { type: 'SOURCE_CLUSTER_VALIDATED', details: { source, cluster_id: cluster.clusterId, restore_time: p.restore_time ?? 'latest restorable', latest_restorable_time: cluster.latestRestorableTime ?? null } },
  };
}

async function findSnapshot(ctx: StepContext): Promise<SnapshotInfo | undefined> {
  const p = ctx.state.parameters;
  const rds = ctx.deps.rds;
  if (p.source_snapshot_id) return ctx.retry(() => rds.describeClusterSnapshot(p.source_region, p.source_snapshot_id!));
  const all = await ctx.retry(() => rds.listAutomatedSnapshots(p.source_region, p.source_cluster_id!));
  const candidates = p.source_snapshot_date ? all.filter((s) => new Date(s.createdAt).toISOString().slice(0, 10) === p.source_snapshot_date) : all;
  // Newest first; prefer an available one of the day over one still being created.
  return candidates.find((s) => s.status === 'available') ?? candidates[0];
}
