/**
 * The world of a chaos run: one source region with a few source clusters (automated and manual
 * snapshots), and one target cluster per operation — in the same region or another, sometimes already
 * there (managed, protected, unmanaged, deletion-protected), and a few deliberately failing. Built in
 * code from a seed, validated by the scenario schema, with the outcome each operation must reach.
 */
import type { ErrorCode } from '../events/catalogue';
import { seededRandom } from '../lib/local/faults';
import { parseScenario, type Scenario, type ScenarioInput } from '../lib/local/scenario';
import type { RestoreRequestInput } from '../schemas/restore-request';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../lib/tags';
import { join } from 'node:path';
import { packageRoot } from '../lib/local/package-root';

/** Chaos runs' post-restore SQL (src/chaos/hooks): files that record every run, so a second one shows. */
export const CHAOS_HOOKS_BUCKET = 'chaos-hooks';
export const CHAOS_HOOK_FILES = ['01-count-runs.sql', '02-second.sql'];

export const SOURCE_REGION = 'us-east-1';
export const OTHER_REGION = 'us-west-2';
const CLOCK_START = '2026-11-24T02:00:00Z';

/** What an operation is designed to test, and so how it must end. */
export const OPERATION_KINDS = [
  'fresh', // nothing at the target: restore
  'replace-managed', // a cluster made by the pipeline is there, deleteExisting: delete then restore
  'exists-no-delete', // a cluster is there and the request did not ask to delete it
  'missing-snapshot', // the named snapshot does not exist
  'missing-date', // no automated snapshot on the requested date
  'protected-name', // the target matches PROTECTED_CLUSTER_PATTERN: refused at request time (TargetProtected)
  'unmanaged', // the target has no managed-by tag
  'deletion-protected', // the target has deletion protection on
  'restore-fails', // RDS fails the restore (failRestoreOf)
  'poisoned', // one step's function fails on this operation's message every time: DLQ → RestoreFailed
  'swap-managed', // strategy swap over a managed target: restore under a temporary name, swap, retire the old one
  'swap-restore-fails', // strategy swap, RDS fails the new cluster: the old one keeps serving, the temporary one is deleted
  'clone', // an Aurora fast clone of the live source (same region), sometimes swapped in for a managed target
  'point-in-time', // a point-in-time copy of the live source (same region), at a time or the latest
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export type ExpectedOutcome = { status: 'SUCCEEDED' } | { status: 'FAILED'; code: ErrorCode };

export interface PlannedOperation {
  index: number;
  kind: OperationKind;
  request: RestoreRequestInput;
  expected: ExpectedOutcome;
  /** The target cluster existed before the run (so a deletion of it is possible). */
  targetExisted: boolean;
  /** For `poisoned` operations: the step whose function fails on every message of this operation. */
  poisonedStep?: (typeof POISONABLE_STEPS)[number];
  /** Operations with post-restore SQL: their own app user and validation (so the database's events tell operations apart). */
  hooks?: { username: string; validation: string };
}

export interface ChaosWorld {
  scenario: Scenario;
  operations: PlannedOperation[];
}

/** Cumulative weights of the kinds: most operations succeed, about a fifth are designed to fail. */
const WEIGHTS: [OperationKind, number][] = [
  ['fresh', 30],
  ['replace-managed', 22],
  ['swap-managed', 12],
  ['swap-restore-fails', 2],
  ['clone', 8],
  ['point-in-time', 6],
  ['exists-no-delete', 4],
  ['missing-snapshot', 3],
  ['missing-date', 3],
  ['protected-name', 3],
  ['unmanaged', 3],
  ['deletion-protected', 3],
  ['restore-fails', 3],
  ['poisoned', 2],
];

const EXPECTED: Record<OperationKind, ExpectedOutcome> = {
  fresh: { status: 'SUCCEEDED' },
  'replace-managed': { status: 'SUCCEEDED' },
  'exists-no-delete': { status: 'FAILED', code: 'TargetExists' },
  'missing-snapshot': { status: 'FAILED', code: 'SnapshotNotFound' },
  'missing-date': { status: 'FAILED', code: 'SnapshotNotFound' },
  'protected-name': { status: 'FAILED', code: 'TargetProtected' }, // refused at request time, before anything is done
  unmanaged: { status: 'FAILED', code: 'DeletionRefused' },
  'deletion-protected': { status: 'FAILED', code: 'DeletionRefused' },
  'restore-fails': { status: 'FAILED', code: 'RestoreFailed' },
  poisoned: { status: 'FAILED', code: 'StepFailedRepeatedly' },
  'swap-managed': { status: 'SUCCEEDED' },
  'swap-restore-fails': { status: 'FAILED', code: 'RestoreFailed' },
  clone: { status: 'SUCCEEDED' },
  'point-in-time': { status: 'SUCCEEDED' },
};

/** Steps a poisoned operation's message may be poisoned in (every operation's path goes through them). */
// Early steps only: the poisoned message dead-letters after maxReceiveCount × the visibility timeout,
// which must come before the operation's deadline for the DLQ (not the watchdog) to end it.
export const POISONABLE_STEPS = ['copy-snapshot', 'delete-rds', 'restore-snapshot'] as const;

const KMS = (region: string) => `arn:aws:kms:${region}:123456789012:key/chaos-${region}`;
const pad = (n: number) => String(n).padStart(4, '0');

/**
 * Builds the world and the plan for `count` operations. The first operations cycle through every kind
 * (so even a small run covers each), the rest are drawn with the weights above.
 */
export function buildChaosWorld(count: number, seed: number, faults: ScenarioInput['faults'] = {}): ChaosWorld {
  if (!(Number.isInteger(count) && count >= 1 && count <= 9999)) throw new Error(`operations: expected a whole number from 1 to 9999, got ${count}`);
  const random = seededRandom(seed ^ 0x5eed);
  const pick = (): OperationKind => {
    const total = WEIGHTS.reduce((n, [, w]) => n + w, 0);
    let r = random() * total;
    for (const [kind, w] of WEIGHTS) if ((r -= w) < 0) return kind;
    return 'fresh';
  };

  const sourceCount = Math.max(2, Math.ceil(count / 100));
  const sources = Array.from({ length: sourceCount }, (_, i) => `src-${i}`);
  const regions: Record<string, { kmsKeys: string[]; clusters: NonNullable<ScenarioInput['regions'][string]['clusters']> }> = {
    [SOURCE_REGION]: {
      kmsKeys: [KMS(SOURCE_REGION)],
      clusters: sources.map((id) => ({
        id,
        engine: 'aurora-postgresql' as const,
        instances: [{ id: `${id}-writer` }],
        automatedSnapshots: { days: 7, hourUtc: 0, minuteUtc: 5 },
        manualSnapshots: [{ id: `${id}-manual` }],
      })),
    },
    [OTHER_REGION]: { kmsKeys: [KMS(OTHER_REGION)], clusters: [] },
  };
  const failRestoreOf: string[] = [];
  const operations: PlannedOperation[] = [];
  const appUserSecrets: Record<string, string> = {};

  for (let i = 0; i < count; i++) {
    const kind = i < OPERATION_KINDS.length ? OPERATION_KINDS[i] : pick();
    const fromLiveSource = kind === 'clone' || kind === 'point-in-time';
    // Clones and point-in-time copies stay in the source cluster's region.
    const targetRegion = fromLiveSource || random() < 0.5 ? SOURCE_REGION : OTHER_REGION;
    const source = sources[Math.floor(random() * sources.length)];
    const targetClusterId = kind === 'protected-name' ? `prod-copy-${pad(i)}` : `t-${pad(i)}`;
    const snapshotChoice = random();
    const request: RestoreRequestInput = {
      sourceRegion: SOURCE_REGION,
      targetRegion,
      targetClusterId,
      instanceClass: 'db.r6g.large',
      securityGroupIds: ['sg-0a1b2c3d'],
      deleteExisting: kind !== 'exists-no-delete',
      skipFinalSnapshot: random() < 0.3,
      keepSnapshot: random() < 0.2,
      requestedBy: `chaos-${i}`,
    };
    const swapOverExisting = kind === 'swap-managed' || kind === 'swap-restore-fails' || (fromLiveSource && random() < 0.5);
    if (swapOverExisting) request.strategy = 'swap';
    if (fromLiveSource) {
      Object.assign(request, { source: kind, sourceClusterId: source });
      if (kind === 'point-in-time' && random() < 0.5) request.restoreTime = '2026-11-23T12:00:00.000Z';
    } else if (kind === 'missing-snapshot') request.snapshotId = `no-such-snapshot-${pad(i)}`;
    else if (kind === 'missing-date') Object.assign(request, { sourceClusterId: source, snapshotDate: '2026-10-01' });
    else if (snapshotChoice < 0.3) request.snapshotId = `${source}-manual`;
    else if (snapshotChoice < 0.7) Object.assign(request, { sourceClusterId: source, snapshotDate: '2026-11-22' });
    else request.sourceClusterId = source;

    const existing = (tags: Record<string, string>, deletionProtection = false) =>
      regions[targetRegion].clusters.push({ id: targetClusterId, engine: 'aurora-postgresql', deletionProtection, tags, instances: [{ id: `${targetClusterId}-writer` }] });
    const managed = { [MANAGED_BY_TAG]: MANAGED_BY_VALUE };
    switch (kind) {
      case 'replace-managed':
      case 'exists-no-delete':
      case 'protected-name':
      case 'swap-managed':
        existing(managed);
        break;
      case 'swap-restore-fails':
        existing(managed);
        failRestoreOf.push(`${targetClusterId}-new-*`);
        break;
      case 'clone':
      case 'point-in-time':
        if (swapOverExisting) existing(managed);
        break;
      case 'unmanaged':
        existing({ team: 'data' });
        break;
      case 'deletion-protected':
        existing(managed, true);
        break;
      case 'restore-fails':
        failRestoreOf.push(targetClusterId);
        break;
      default:
        break;
    }
    const poisonedStep = kind === 'poisoned' ? POISONABLE_STEPS[Math.floor(random() * POISONABLE_STEPS.length)] : undefined;
    // Every other plain restore runs post-restore SQL (decided by index: the seed's draws stay as they were).
    let hooks: PlannedOperation['hooks'];
    if ((kind === 'fresh' || kind === 'replace-managed') && i % 2 === 0) {
      hooks = { username: `app_${pad(i)}`, validation: `masked-${pad(i)}` };
      appUserSecrets[`aurora-restore/app/chaos-${pad(i)}`] = hooks.username;
      request.users = [{ secret: `aurora-restore/app/chaos-${pad(i)}`, role: 'readwrite' }];
      request.postRestore = {
        sql: { bucket: CHAOS_HOOKS_BUCKET, files: CHAOS_HOOK_FILES },
        validations: [{ name: hooks.validation, sql: "SELECT count(*) FROM public.customers WHERE email NOT LIKE '%@example.invalid'", expect: 0 }],
      };
    }
    operations.push({
      index: i,
      kind,
      request,
      expected: EXPECTED[kind],
      targetExisted: ['replace-managed', 'exists-no-delete', 'protected-name', 'unmanaged', 'deletion-protected', 'swap-managed', 'swap-restore-fails'].includes(kind) || (fromLiveSource && swapOverExisting),
      ...(poisonedStep && { poisonedStep }),
      ...(hooks && { hooks }),
    });
  }

  const scenario = parseScenario({
    account: '123456789012',
    clockStart: CLOCK_START,
    regions,
    failRestoreOf,
    faults: { ...faults, seed },
    buckets: { [CHAOS_HOOKS_BUCKET]: join(packageRoot(), 'src', 'chaos', 'hooks') },
    appUserSecrets,
  });
  return { scenario, operations };
}
