import { RDS_EVENT_IDS } from '../../events/rds';
import { isFault } from '../errors';
import { OPERATION_TAG, creationTags } from '../tags';
import { readerInstanceId } from './names';
import type { Step, StepContext, StepResult } from '../step-runner';
import { currentPhase, eventTime, phaseWaiting, recordPhaseEnd } from './phase-wait';

const CHECK = 'restore' as const;

/** Cluster and instance states a restore does not come back from. */
export const FAILED_STATES = ['failed', 'inaccessible-encryption-credentials', 'inaccessible-encryption-credentials-recoverable', 'incompatible-parameters', 'incompatible-restore', 'storage-full'];

/**
 * check-restore-status: woken by RDS created/failed events for the cluster and its writer, by a check at
 * the expected end of each phase (this target's history, phase-wait.ts) and by the safety net. The
 * restore is two RDS lifecycles in a row: the cluster, then — once the cluster is available, as RDS
 * requires — its writer instance, created here (tagged with the operation; a repeat finds its own
 * instance). The cluster's availability and endpoint are read with DescribeDBClusters.
 *
 * RDS calls are spent only where they decide something: the started event makes none (the restore was
 * just asked for); a writer that is not yet a member of the cluster is created without describing it
 * first (CreateDBInstance answers DBInstanceAlreadyExists for a repeat); and RDS's own "DB instance
 * created" event for the writer, sent after it was created, is taken as the fact it states — no
 * DescribeDBInstances to confirm it.
 */
export const checkRestoreStatus: Step = {
  name: 'check-restore-status',
  mode: 'wait',
  recheck: { check: CHECK, delaySeconds: (c) => c.SAFETY_RECHECK_SECONDS },
  triggers: ['ClusterRestoreStarted'],

  async run(ctx): Promise<StepResult> {
    const { state, deps, trigger } = ctx;
    const region = state.parameters.target_region;
    const clusterId = state.restore_details.cluster_id;
    const instanceId = state.restore_details.instance_id;
    if (!clusterId || !instanceId) throw new Error('restore details missing: restore-snapshot has not recorded them');
    if (trigger.kind === 'domain' && trigger.event.type === 'ClusterRestoreStarted') {
      return phaseWaiting(ctx, CHECK, 'restore-cluster', trigger.event.detail.occurredAt, { type: 'RESTORE_PENDING', details: { cluster_id: clusterId } });
    }
    const phase = currentPhase(ctx) ?? { name: 'restore-cluster' as const, started_at: state.steps['check-restore-status']?.started_at ?? ctx.now.toISOString() };
    const cluster = await ctx.retry(() => deps.rds.describeCluster(region, clusterId));
    if (!cluster) return { kind: 'failed', code: 'RestoreFailed', message: `cluster ${clusterId} no longer exists in ${region}` };
    if (FAILED_STATES.includes(cluster.status)) {
      return { kind: 'failed', code: 'RestoreFailed', message: `cluster ${clusterId} in ${region} ended ${cluster.status}` };
    }
    const waiting = (name: 'restore-cluster' | 'create-writer', startedAt: string, audit: Record<string, unknown>) =>
      phaseWaiting(ctx, CHECK, name, startedAt, { type: 'RESTORE_PENDING', details: { cluster_status: cluster.status, ...audit } });
    if (!cluster.members.includes(instanceId)) {
      if (cluster.status !== 'available') return waiting('restore-cluster', phase.started_at, { instance_status: null });
      await recordPhaseEnd(ctx, 'restore-cluster', eventTime(ctx, clusterId));
      // The writer and the readers the request asks for (cluster.readers) are created together.
      const created = await createInstances(ctx, clusterId, [instanceId, ...readersOf(ctx, clusterId)]);
      if (created !== 'created') return created;
      return waiting('create-writer', deps.clock.now().toISOString(), { instance_status: 'creating', writer_created: instanceId });
    }
    const writerPhase = phase.name === 'create-writer' ? phase.started_at : deps.clock.now().toISOString();
    const createdEvent =
      trigger.kind === 'rds' &&
      trigger.detail.EventID === RDS_EVENT_IDS.instanceCreated &&
      trigger.detail.SourceIdentifier.toLowerCase() === instanceId.toLowerCase() &&
      Date.parse(trigger.detail.Date) >= Date.parse(writerPhase);
    const instance = createdEvent ? { status: 'available', tags: { [OPERATION_TAG]: state.operation_id } } : await ctx.retry(() => deps.rds.describeInstance(region, instanceId));
    if (!instance) return waiting('create-writer', writerPhase, { instance_status: null });
    if (instance.tags[OPERATION_TAG] !== state.operation_id) {
      return { kind: 'failed', code: 'TargetExists', message: `instance ${instanceId} exists in ${region} and was not made by this operation` };
    }
    if (FAILED_STATES.includes(instance.status)) {
      return { kind: 'failed', code: 'RestoreFailed', message: `writer instance ${instanceId} in ${region} ended ${instance.status}` };
    }
    // Readers (cluster.readers) are created with the writer; all must be available before the cluster is.
    const readerIds = readersOf(ctx, clusterId);
    const readers = await Promise.all(readerIds.map((id) => ctx.retry(() => deps.rds.describeInstance(region, id))));
    const missingReaders = readerIds.filter((_, i) => !readers[i]);
    if (missingReaders.length) {
      const created = await createInstances(ctx, clusterId, missingReaders);
      if (created !== 'created') return created;
      return waiting('create-writer', writerPhase, { instance_status: instance.status, readers_created: missingReaders });
    }
    const failedReader = readers.find((x) => x && FAILED_STATES.includes(x.status));
    if (failedReader) return { kind: 'failed', code: 'RestoreFailed', message: `reader instance ${failedReader.instanceId} in ${region} ended ${failedReader.status}` };
    const readersReady = readers.every((x) => x?.status === 'available');
    if (cluster.status === 'available' && instance.status === 'available' && readersReady && cluster.endpoint) {
      await recordPhaseEnd(ctx, 'create-writer', eventTime(ctx, instanceId));
      return {
        kind: 'done',
        event: ctx.event('ClusterAvailable', {
          clusterId,
          region: region as never,
          writerEndpoint: cluster.endpoint,
          readerEndpoint: cluster.readerEndpoint ?? cluster.endpoint,
          port: cluster.port ?? 5432,
        }),
        status: 'CLUSTER_AVAILABLE',
        next: 'setup-db-users',
        patch: {
          restore_details: {
            cluster_status: 'available',
            writer_endpoint: cluster.endpoint,
            reader_endpoint: cluster.readerEndpoint ?? null,
            port: cluster.port ?? 5432,
            ...(readerIds.length ? { reader_instance_ids: readerIds } : {}),
          },
        },
        audit: { type: 'CLUSTER_AVAILABLE', details: { cluster_id: clusterId, writer_endpoint: cluster.endpoint } },
      };
    }
    return waiting('create-writer', writerPhase, { instance_status: instance.status });
  },
};

/** The reader instances the request asks for (`cluster.readers`). */
const readersOf = (ctx: StepContext, clusterId: string) => Array.from({ length: ctx.state.parameters.cluster_settings?.readers ?? 0 }, (_, i) => readerInstanceId(clusterId, i + 1));

/**
 * Creates instances of an available cluster — the writer first (promotion tier 0), then the readers (tier 1+) —
 * each indexed first so its RDS events find this operation, with the request's instance class, DB parameter
 * group and tags. `DBInstanceAlreadyExistsFault` is an earlier attempt of ours (or a concurrent wake-up):
 * success when the instance carries our operation tag.
 */
async function createInstances(ctx: StepContext, clusterId: string, instanceIds: string[]): Promise<'created' | StepResult> {
  const { state, deps, store } = ctx;
  const p = state.parameters;
  const writerId = state.restore_details.instance_id;
  for (const instanceId of instanceIds) {
    await store.indexResource(p.target_region, instanceId, state.operation_id, ctx.now);
    try {
      await ctx.retry(() =>
        deps.rds.createInstance(p.target_region, {
          instanceId,
          clusterId,
          instanceClass: p.db_instance_class,
          engine: state.snapshot_details.engine!,
          parameterGroup: p.cluster_settings?.instanceParameterGroup,
          ...(p.cluster_settings?.readers ? { promotionTier: instanceId === writerId ? 0 : 1 } : {}),
          tags: creationTags(state.operation_id, p.cluster_settings?.tags),
        }),
      );
    } catch (e) {
      if (!isFault(e, 'DBInstanceAlreadyExistsFault')) throw e;
      const existing = await ctx.retry(() => deps.rds.describeInstance(p.target_region, instanceId));
      if (existing?.tags[OPERATION_TAG] !== state.operation_id) {
        return { kind: 'failed', code: 'TargetExists', message: `instance ${instanceId} exists in ${p.target_region} and was not made by this operation` };
      }
    }
  }
  return 'created';
}
