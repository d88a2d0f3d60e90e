/**
 * What the simulator's resource modules (snapshots, clusters, instances) share: the world, the virtual
 * clock, lifecycle timers, the transition history, RDS events and KMS keys. Implemented by SimulatedRds.
 */
import type { RegionWorld, World } from './world';

export type ResourceKind = 'snapshot' | 'cluster' | 'instance';
export type EventSource = 'cluster' | 'instance' | 'clusterSnapshot';
export type ArnType = 'cluster' | 'db' | 'cluster-snapshot';

export interface Plane {
  readonly world: World;
  region(name: string): RegionWorld;
  nowMs(): number;
  now(): Date;
  arn(region: string, type: ArnType, id: string): string;
  /** Logs a lifecycle transition (`from: null` creation with its tags, `to: null` disappearance). */
  record(region: string, kind: ResourceKind, id: string, from: string | null, to: string | null, tags?: Record<string, string>): void;
  /** Logs a rename: the resource `from` goes on as `to` (one resource, two names). */
  recordRename(region: string, kind: ResourceKind, from: string, to: string): void;
  /** Completes the resource's current transition at `atMs` (stale when the resource changed meanwhile). */
  arm(region: string, kind: ResourceKind, id: string, atMs: number): void;
  /** Emits a native RDS event on the region's default bus (with the event faults of chaos runs). */
  emit(region: string, source: EventSource, id: string, eventId: string, category: string, message: string, tags: Record<string, string>): void;
  /** The region's KMS key matching `ref`, or KMSKeyNotAccessibleFault. */
  usableKey(region: string, ref: string): string;
}

/** One RDS API action: the SDK command's input in, the SDK command's output out (errors thrown as the SDK throws them). */
export type Action = (plane: Plane, region: string, input: Record<string, any>) => Record<string, unknown>;

export const MINUTE = 60_000;

export function membersOf(r: RegionWorld, clusterId: string) {
  return Object.values(r.instances).filter((i) => i.clusterId === clusterId);
}

export const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export function tagsOf(list: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}
