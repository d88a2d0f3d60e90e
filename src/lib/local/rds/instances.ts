/**
 * DB instances of Aurora clusters: DescribeDBInstances, CreateDBInstance, DeleteDBInstance, and their
 * lifecycles (creating | modifying → available; deleting → gone, which may complete its cluster's deletion).
 */
import { RDS_EVENT_IDS } from '../../../events/rds';
import { finishDeletion } from './clusters';
import { MINUTE, membersOf, tagList, tagsOf, type Action, type Plane } from './plane';
import { checkIdentifier, checkParameterGroup, idKey, rdsFault, required } from './rules';
import type { InstanceRecord, RegionWorld } from './world';

/** Instance states DeleteDBInstance accepts. */
const INSTANCE_DELETABLE = new Set(['available', 'failed', 'stopped', 'storage-full', 'incompatible-parameters']);

function instanceOutput(plane: Plane, region: string, i: InstanceRecord) {
  return {
    DBInstanceIdentifier: i.instanceId,
    DBInstanceArn: plane.arn(region, 'db', i.instanceId),
    DBClusterIdentifier: i.clusterId,
    DBInstanceStatus: i.status,
    DBInstanceClass: i.instanceClass,
    Engine: i.engine,
    ...(i.parameterGroup ? { DBParameterGroups: [{ DBParameterGroupName: i.parameterGroup, ParameterApplyStatus: 'in-sync' }] } : {}),
    ...(i.promotionTier !== undefined ? { PromotionTier: i.promotionTier } : {}),
    TagList: tagList(i.tags),
  };
}

function instanceOf(r: RegionWorld, id: string): InstanceRecord {
  const i = r.instances[idKey(id)];
  if (!i) throw rdsFault('DBInstanceNotFoundFault', `DBInstance ${id} not found.`, 404);
  return i;
}

const describeDBInstances: Action = (plane, region, input) => {
  const r = plane.region(region);
  if (input.DBInstanceIdentifier !== undefined) return { DBInstances: [instanceOutput(plane, region, instanceOf(r, input.DBInstanceIdentifier))] };
  return { DBInstances: Object.values(r.instances).map((i) => instanceOutput(plane, region, i)) };
};

const createDBInstance: Action = (plane, region, input) => {
  const instanceId = checkIdentifier(input.DBInstanceIdentifier, 'DBInstanceIdentifier');
  const instanceClass = required<string>(input.DBInstanceClass, 'DBInstanceClass');
  const engine = required<string>(input.Engine, 'Engine');
  const r = plane.region(region);
  if (r.instances[instanceId]) throw rdsFault('DBInstanceAlreadyExistsFault', `DB instance ${instanceId} already exists.`);
  const clusterId = idKey(required<string>(input.DBClusterIdentifier, 'DBClusterIdentifier'));
  const c = r.clusters[clusterId];
  if (!c) throw rdsFault('DBClusterNotFoundFault', `DBCluster ${clusterId} not found.`, 404);
  // RestoreDBClusterFromSnapshot: "You can create DB instances only after the RestoreDBClusterFromSnapshot
  // operation has completed and the DB cluster is available."
  if (c.status !== 'available') {
    throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${c.clusterId} is in state ${c.status}; DB instances can be created only once the cluster is available.`);
  }
  if (engine !== c.engine) {
    throw rdsFault('InvalidParameterCombination', `Engine ${engine} does not match the cluster's engine ${c.engine}.`);
  }
  // "An Aurora cluster must have a ServerlessV2ScalingConfiguration attribute before you can add any DB instances
  // that use the db.serverless DB instance class." (Aurora user guide, Aurora Serverless v2 requirements)
  if (instanceClass === 'db.serverless' && !c.serverless) {
    throw rdsFault('InvalidParameterCombination', `DB cluster ${c.clusterId} has no ServerlessV2ScalingConfiguration: a db.serverless instance cannot be added.`);
  }
  if (input.DBParameterGroupName !== undefined) checkParameterGroup(r.parameterGroups ?? [], 'instance', input.DBParameterGroupName, c.engine, c.engineVersion);
  // PromotionTier: "Valid Values: 0 - 15" (CreateDBInstance).
  if (input.PromotionTier !== undefined && !(Number.isInteger(input.PromotionTier) && input.PromotionTier >= 0 && input.PromotionTier <= 15)) {
    throw rdsFault('InvalidParameterValue', `PromotionTier ${input.PromotionTier} is invalid: valid values are 0 - 15.`);
  }
  const i: InstanceRecord = {
    instanceId,
    clusterId: c.clusterId,
    status: 'creating',
    instanceClass,
    engine: c.engine,
    tags: tagsOf(input.Tags),
    completesAtMs: plane.nowMs() + plane.world.durations.createInstanceMinutes * MINUTE,
    ...(input.DBParameterGroupName !== undefined ? { parameterGroup: String(input.DBParameterGroupName).toLowerCase() } : {}),
    ...(input.PromotionTier !== undefined ? { promotionTier: input.PromotionTier } : {}),
  };
  r.instances[instanceId] = i;
  plane.record(region, 'instance', instanceId, null, 'creating', i.tags);
  plane.arm(region, 'instance', instanceId, i.completesAtMs!);
  return { DBInstance: instanceOutput(plane, region, i) };
};

const deleteDBInstance: Action = (plane, region, input) => {
  const i = instanceOf(plane.region(region), required<string>(input.DBInstanceIdentifier, 'DBInstanceIdentifier'));
  if (i.status === 'deleting') throw rdsFault('InvalidDBInstanceStateFault', `Instance ${i.instanceId} is already being deleted.`);
  // An instance that is creating or modifying cannot be deleted yet (InvalidDBInstanceStateFault: "The DB instance isn't in a valid state.").
  if (!INSTANCE_DELETABLE.has(i.status)) {
    throw rdsFault('InvalidDBInstanceStateFault', `Instance ${i.instanceId} is in state ${i.status} and cannot be deleted.`);
  }
  const from = i.status;
  i.status = 'deleting';
  i.completesAtMs = plane.nowMs() + plane.world.durations.deleteInstanceMinutes * MINUTE;
  plane.record(region, 'instance', i.instanceId, from, 'deleting');
  plane.arm(region, 'instance', i.instanceId, i.completesAtMs);
  return { DBInstance: instanceOutput(plane, region, i) };
};

export const instanceActions = {
  DescribeDBInstances: describeDBInstances,
  CreateDBInstance: createDBInstance,
  DeleteDBInstance: deleteDBInstance,
} satisfies Record<string, Action>;

/** An instance's timer fired: its creation (or modification) or deletion completes, unless it changed since. */
export function completeInstance(plane: Plane, region: string, id: string, atMs: number): void {
  const r = plane.region(region);
  const i = r.instances[id];
  if (!i || i.completesAtMs !== atMs) return;
  i.completesAtMs = undefined;
  if (i.status === 'deleting') return finishInstanceDeletion(plane, region, r, i);
  const c = r.clusters[i.clusterId];
  const from = i.status;
  if (c?.status === 'available' || from === 'modifying') {
    i.status = 'available';
    plane.record(region, 'instance', i.instanceId, from, 'available');
    if (from === 'creating') plane.emit(region, 'instance', i.instanceId, RDS_EVENT_IDS.instanceCreated, 'creation', 'DB instance created', i.tags);
  } else {
    i.status = 'failed';
    plane.record(region, 'instance', i.instanceId, from, 'failed');
    plane.emit(region, 'instance', i.instanceId, RDS_EVENT_IDS.instanceCreateFailed[1], 'failure',
      `The DB instance could not be created because its cluster ${i.clusterId} is not available.`, i.tags);
  }
}

function finishInstanceDeletion(plane: Plane, region: string, r: RegionWorld, i: InstanceRecord): void {
  delete r.instances[i.instanceId];
  plane.record(region, 'instance', i.instanceId, 'deleting', null);
  plane.emit(region, 'instance', i.instanceId, RDS_EVENT_IDS.instanceDeleted, 'deletion', 'DB instance deleted', i.tags);
  const c = r.clusters[i.clusterId];
  if (c?.status === 'deleting' && c.waiting && membersOf(r, c.clusterId).length === 0) {
    c.waiting = undefined;
    c.completesAtMs = undefined;
    finishDeletion(plane, region, c);
  }
}
