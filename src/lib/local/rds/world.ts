/**
 * The simulated Aurora world: plain JSON (so it persists as is) that the simulator's resource modules
 * mutate. `buildWorld` turns a scenario into it. Identifiers are keys in lowercase, as RDS stores them.
 */
import type { Durations, Scenario } from '../scenario';

export interface SnapshotRecord {
  snapshotId: string;
  sourceClusterId: string;
  status: string;
  snapshotType: 'automated' | 'manual';
  createdAt: string;
  encrypted: boolean;
  kmsKeyId?: string;
  engine: string;
  engineVersion?: string;
  tags: Record<string, string>;
  /** Virtual epoch ms when the current transition (copying, creating) started and completes. */
  startedAtMs?: number;
  completesAtMs?: number;
}

export interface ClusterRecord {
  clusterId: string;
  status: string;
  engine: string;
  engineVersion?: string;
  deletionProtection: boolean;
  /** CopyTagsToSnapshot: snapshots of the cluster (the final one included) get its tags. */
  copyTagsToSnapshot?: boolean;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** Snapshot the cluster was restored from. */
  restoredFrom?: string;
  /** Final snapshot to take when the deletion completes. */
  finalSnapshotId?: string;
  completesAtMs?: number;
  /** Set when the timer fired but the transition waits on other resources (instances still deleting). */
  waiting?: boolean;
  /** How many times the master password was changed. The password itself is never stored. */
  masterPasswordChanges: number;
  /** Earliest time a point-in-time restore (or clone) can go back to: the backup retention window. */
  earliestRestorableAtMs?: number;
  /** While status is `renaming`: the identifier the cluster takes when the rename completes. */
  renamingTo?: string;
  /** A rename asked for without ApplyImmediately: it waits for the maintenance window (never, here). */
  pendingRename?: string;
  /** Settings given at creation (RestoreDBClusterFromSnapshot / ToPointInTime). */
  port?: number;
  serverless?: { min: number; max: number };
  logExports?: string[];
  iamAuth?: boolean;
  clusterParameterGroup?: string;
}

export interface InstanceRecord {
  instanceId: string;
  clusterId: string;
  status: string;
  instanceClass: string;
  engine: string;
  tags: Record<string, string>;
  completesAtMs?: number;
  parameterGroup?: string;
  promotionTier?: number;
}

export interface ParameterGroupRecord {
  name: string;
  family: string;
  kind: 'cluster' | 'instance';
}

export interface RegionWorld {
  /** Custom parameter groups (the default.<family> ones always exist). */
  parameterGroups?: ParameterGroupRecord[];
  kmsKeys: string[];
  inaccessibleKmsKeys: string[];
  snapshots: Record<string, SnapshotRecord>;
  clusters: Record<string, ClusterRecord>;
  instances: Record<string, InstanceRecord>;
}

export interface World {
  account: string;
  durations: Durations;
  failRestoreOf: string[];
  regions: Record<string, RegionWorld>;
}

/**
 * The engine version RDS uses when a restore names none: "If you don't specify an engine version, the
 * default version for the database engine in the AWS Region is used." Also the version of scenario
 * clusters that state none.
 */
export const REGION_DEFAULT_ENGINE_VERSION: Record<string, string> = {
  'aurora-postgresql': '16.4',
  'aurora-mysql': '8.0.mysql_aurora.3.08.0',
};

const pad = (n: number) => String(n).padStart(2, '0');

/** The initial world of a scenario: existing resources, and the instances it says are still creating or modifying. */
export function buildWorld(scenario: Scenario): World {
  const start = new Date(scenario.clockStart).getTime();
  const regions: Record<string, RegionWorld> = {};
  for (const [name, r] of Object.entries(scenario.regions)) {
    const rw: RegionWorld = {
      parameterGroups: (r.parameterGroups ?? []).map((g) => ({ ...g, name: g.name.toLowerCase() })),
      kmsKeys: [...r.kmsKeys],
      inaccessibleKmsKeys: [...r.inaccessibleKmsKeys],
      snapshots: {},
      clusters: {},
      instances: {},
    };
    const key = r.kmsKeys[0];
    for (const c of r.clusters) {
      const clusterId = c.id.toLowerCase();
      const engineVersion = c.engineVersion ?? REGION_DEFAULT_ENGINE_VERSION[c.engine];
      rw.clusters[clusterId] = {
        clusterId,
        status: c.status,
        engine: c.engine,
        engineVersion,
        deletionProtection: c.deletionProtection,
        copyTagsToSnapshot: c.copyTagsToSnapshot,
        kmsKeyId: key,
        tags: { ...c.tags },
        masterPasswordChanges: 0,
        // Point-in-time restores reach back over the backup retention period (the automated snapshots' days, or 1).
        earliestRestorableAtMs: start - (c.automatedSnapshots?.days ?? 1) * 86_400_000,
      };
      for (const i of c.instances) {
        const busy = i.status !== 'available';
        rw.instances[i.id.toLowerCase()] = {
          instanceId: i.id.toLowerCase(),
          clusterId,
          status: i.status,
          instanceClass: i.instanceClass,
          engine: c.engine,
          tags: { ...c.tags },
          // An instance the scenario starts mid-change settles after the instance creation time.
          ...(busy ? { completesAtMs: start + scenario.durations.createInstanceMinutes * 60_000 } : {}),
        };
      }
      if (c.automatedSnapshots) {
        const { days, hourUtc, minuteUtc } = c.automatedSnapshots;
        const d = new Date(start);
        d.setUTCHours(hourUtc, minuteUtc, 0, 0);
        if (d.getTime() > start) d.setUTCDate(d.getUTCDate() - 1);
        for (let n = 0; n < days; n++) {
          const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}`;
          const id = `rds:${clusterId}-${stamp}`;
          rw.snapshots[id] = {
            snapshotId: id,
            sourceClusterId: clusterId,
            status: 'available',
            snapshotType: 'automated',
            createdAt: d.toISOString(),
            encrypted: key !== undefined,
            kmsKeyId: key,
            engine: c.engine,
            engineVersion,
            tags: {},
          };
          d.setUTCDate(d.getUTCDate() - 1);
        }
      }
      for (const m of c.manualSnapshots) {
        const k = m.kmsKeyId ?? key;
        const id = m.id.toLowerCase();
        rw.snapshots[id] = {
          snapshotId: id,
          sourceClusterId: clusterId,
          status: 'available',
          snapshotType: 'manual',
          createdAt: new Date(m.createdAt ?? start - 3_600_000).toISOString(),
          encrypted: k !== undefined,
          kmsKeyId: k,
          engine: c.engine,
          engineVersion,
          tags: { ...m.tags },
        };
      }
    }
    regions[name] = rw;
  }
  return {
    account: scenario.account,
    durations: { ...scenario.durations },
    failRestoreOf: scenario.failRestoreOf.map((id) => id.toLowerCase()),
    regions,
  };
}
