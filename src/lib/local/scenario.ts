/**
 * The scenario file: the simulated AWS world a local run starts from (regions, KMS keys, clusters,
 * instances, snapshots), the RDS lifecycle durations, injected failures and faults, and a default
 * restore request. `buildWorld` (rds/world.ts) turns it into the in-memory world `SimulatedRds` mutates.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import {
  clusterIdentifier,
  instanceClass,
  isoTimestamp,
  region,
  snapshotIdentifier,
} from '../../schemas/identifiers';
import { describeIssues, restoreRequest } from '../../schemas/restore-request';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../tags';
import { packageRoot } from './package-root';

const tags = z.record(z.string(), z.string()).default({}).describe('Resource tags, key to value');
const rate = (what: string) =>
  z.number().min(0, 'expected a probability from 0 to 1').max(1, 'expected a probability from 0 to 1').default(0).describe(what);
const minutes = (what: string, def: number) =>
  z.number().positive('expected a positive number of minutes').default(def).describe(`${what}, in minutes of virtual time (default ${def})`);

const engine = z.enum(['aurora-postgresql', 'aurora-mysql'], {
  error: (i) => `expected aurora-postgresql or aurora-mysql, got ${JSON.stringify(i.input)}`,
});

const instanceSchema = z.strictObject({
  id: clusterIdentifier.check(z.describe('DB instance identifier')),
  instanceClass: z._default(instanceClass, 'db.r6g.large').describe('DB instance class, e.g. db.r6g.large'),
  status: z
    .enum(['available', 'creating', 'modifying'], { error: (i) => `expected available, creating or modifying, got ${JSON.stringify(i.input)}` })
    .default('available')
    .describe('Instance status at the start; creating and modifying settle after createInstanceMinutes (DeleteDBInstance is refused until then)'),
});

const automatedSnapshotsSchema = z.strictObject({
  days: z.number().int('expected a whole number of days').min(1, 'expected at least 1 day').max(35, 'expected at most 35 days (the RDS backup retention limit)')
    .describe('How many daily automated snapshots exist, the newest at or before the scenario clock start'),
  hourUtc: z.number().int().min(0).max(23, 'expected an hour from 0 to 23').default(0).describe('UTC hour of the daily backup window'),
  minuteUtc: z.number().int().min(0).max(59, 'expected a minute from 0 to 59').default(0).describe('UTC minute of the daily backup window'),
});

const manualSnapshotSchema = z.strictObject({
  id: snapshotIdentifier.check(
    z.refine((s: string) => !s.startsWith('rds:'), 'expected a manual snapshot id without the "rds:" prefix (reserved for automated snapshots)'),
    z.describe('Manual cluster snapshot identifier'),
  ),
  createdAt: z.optional(isoTimestamp).describe('Snapshot time (default: one hour before the clock start)'),
  kmsKeyId: z.string().min(1).optional().describe("KMS key the snapshot is encrypted with (default: the region's first key; unencrypted when the region has none)"),
  tags,
});

const clusterSchema = z.strictObject({
  id: clusterIdentifier.check(z.describe('DB cluster identifier')),
  engine: engine.describe('Aurora engine'),
  engineVersion: z.string().min(1).optional().describe("Engine version (default: the region's default, 16.4 for PostgreSQL, 8.0.mysql_aurora.3.08.0 for MySQL)"),
  status: z
    .enum(['available', 'stopped', 'failed', 'inaccessible-encryption-credentials'], {
      error: (i) => `expected available, stopped, failed or inaccessible-encryption-credentials, got ${JSON.stringify(i.input)}`,
    })
    .default('available')
    .describe('Cluster status at the start'),
  deletionProtection: z.boolean().default(false).describe('Deletion protection: DeleteDBCluster is refused while on'),
  copyTagsToSnapshot: z.boolean().default(false).describe("CopyTagsToSnapshot: the cluster's snapshots (its final snapshot too) get its tags"),
  tags,
  instances: z.array(instanceSchema).default([]).describe('DB instances of the cluster (the first is the writer)'),
  automatedSnapshots: automatedSnapshotsSchema.optional().describe('Daily automated snapshots rds:<id>-YYYY-MM-DD-HH-MM'),
  manualSnapshots: z.array(manualSnapshotSchema).default([]).describe('Manual snapshots of this cluster'),
});

const regionSchema = z.strictObject({
  parameterGroups: z
    .array(z.strictObject({ name: z.string().min(1).max(255), family: z.string().min(1), kind: z.enum(['cluster', 'instance']) }))
    .default([])
    .describe('Custom DB cluster (kind cluster) and DB (kind instance) parameter groups with their family, e.g. aurora-postgresql16; default.<family> groups always exist'),
  kmsKeys: z.array(z.string().min(1)).default([]).describe('KMS keys usable in the region (ARNs or ids); the first encrypts snapshots'),
  inaccessibleKmsKeys: z.array(z.string().min(1)).default([]).describe('KMS keys that exist but cannot be used (KMSKeyNotAccessibleFault)'),
  clusters: z.array(clusterSchema).default([]).describe('DB clusters in the region'),
});

export const DEFAULT_CLOCK_START = '2026-11-24T02:00:00Z';
/** The built-in world's bucket of post-restore SQL: the shipped examples/post-restore folder. */
export const EXAMPLE_HOOKS_BUCKET = 'aurora-restore-hooks';

export const scenarioSchema = z
  .strictObject({
    account: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id').default('123456789012').describe('AWS account id in ARNs and events'),
    regions: z
      .record(z.string(), regionSchema)
      .superRefine((regions, ctx) => {
        for (const key of Object.keys(regions)) {
          const r = region.safeParse(key);
          if (!r.success) ctx.addIssue({ code: 'custom', path: [key], message: r.error.issues[0]?.message ?? 'expected an AWS region' });
        }
      })
      .describe('The simulated regions, keyed by region name (us-east-1, ...)'),
    durations: z
      .strictObject({
        copyMinutes: minutes('Snapshot copy duration', 12),
        restoreClusterMinutes: minutes('RestoreDBClusterFromSnapshot duration until the cluster is available', 15),
        createInstanceMinutes: minutes('CreateDBInstance duration until the instance is available', 10),
        deleteInstanceMinutes: minutes('DeleteDBInstance duration until the instance is gone', 6),
        deleteClusterMinutes: minutes('DeleteDBCluster duration until the cluster is gone', 4),
        renameMinutes: minutes('ModifyDBCluster NewDBClusterIdentifier duration until the cluster has its new name (undocumented by AWS)', 1),
        cloneMinutes: minutes('RestoreDBClusterToPointInTime copy-on-write (fast clone) duration until the cluster is available', 5),
        pointInTimeMinutes: minutes('RestoreDBClusterToPointInTime full-copy duration until the cluster is available', 20),
      })
      .prefault({})
      .describe('RDS lifecycle durations'),
    failRestoreOf: z
      .array(z.string().regex(/^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?:\*|(?<!-))$/, 'expected a cluster id, or a prefix ending in * (e.g. aurora-staging-new-*)'))
      .default([])
      .describe('Cluster ids (or prefixes ending in *) whose restore ends in status failed (RDS-EVENT-0354)'),
    clockStart: z._default(isoTimestamp, DEFAULT_CLOCK_START).describe('Virtual time at which the scenario starts'),
    faults: z
      .strictObject({
        seed: z.number().int('expected a whole number').default(1).describe('Seed of the pseudo-random fault generator (same seed, same faults)'),
        throttleRate: rate('Probability that an RDS API call fails with Throttling'),
        transientRate: rate('Probability that an RDS API call fails with ServiceUnavailable'),
        eventDropRate: rate('Probability that an RDS event is never delivered'),
        eventDuplicateRate: rate('Probability that an RDS event is delivered twice'),
        eventLateMaxSeconds: z.number().min(0, 'expected 0 or more seconds').default(0).describe('RDS events are delivered up to this many seconds late (0: on time)'),
      })
      .prefault({})
      .describe('Fault injection for chaos runs (all off by default)'),
    request: z.optional(restoreRequest).describe('The restore request `start` uses when none is given'),
    buckets: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'), z.string().min(1))
      .default({})
      .describe('S3 buckets of post-restore SQL, each a folder (relative to the scenario file): postRestore.sql reads <folder>/<prefix><file>'),
    appUserSecrets: z
      .record(z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'expected a secret name'), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]))
      .default({})
      .describe('Application user secrets to create (with random passwords) when absent: secret name → username or usernames'),
  })
  .superRefine((s, ctx) => {
    for (const [name, r] of Object.entries(s.regions)) {
      // Cluster, instance and snapshot identifiers are separate namespaces in RDS, each unique per region.
      const seen = new Map<string, string>();
      const claim = (kind: string, id: string, owner: string, path: (string | number)[]) => {
        const before = seen.get(`${kind}:${id}`);
        if (before) ctx.addIssue({ code: 'custom', path: ['regions', name, ...path], message: `expected a unique ${kind} identifier in ${name}, "${id}" is already used by ${before}` });
        else seen.set(`${kind}:${id}`, owner);
      };
      r.clusters.forEach((c, ci) => {
        claim('cluster', c.id, 'another cluster', ['clusters', ci, 'id']);
        c.instances.forEach((i, ii) => claim('instance', i.id, `an instance of ${c.id}`, ['clusters', ci, 'instances', ii, 'id']));
        c.manualSnapshots.forEach((m, mi) => claim('snapshot', m.id, `a snapshot of ${c.id}`, ['clusters', ci, 'manualSnapshots', mi, 'id']));
      });
    }
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Durations = Scenario['durations'];

/** Validates a parsed scenario; the error names every bad field (`regions.mars-north-1: expected ...`). */
export function parseScenario(json: unknown): Scenario {
  const r = scenarioSchema.safeParse(json);
  if (!r.success) throw new Error(`invalid scenario: ${describeIssues(r.error)}`);
  return r.data;
}

/** Reads and validates a scenario file; errors name the file and the field. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: cannot read the scenario file (${code === 'ENOENT' ? 'file not found' : code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: expected JSON (${(e as Error).message})`);
  }
  const r = scenarioSchema.safeParse(json);
  if (!r.success) throw new Error(`${path}: ${describeIssues(r.error)}`);
  // Bucket folders are relative to the scenario file.
  const dir = dirname(resolvePath(path));
  return { ...r.data, buckets: Object.fromEntries(Object.entries(r.data.buckets).map(([b, f]) => [b, resolvePath(dir, f)])) };
}

const DEFAULT_SCENARIO_INPUT: ScenarioInput = {
  account: '123456789012',
  clockStart: DEFAULT_CLOCK_START,
  regions: {
    'us-east-1': {
      kmsKeys: ['arn:aws:kms:us-east-1:123456789012:key/1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b'],
      clusters: [
        {
          id: 'aurora-prod',
          engine: 'aurora-postgresql',
          // Newer than the region's default (16.4): a restore that does not pass the snapshot's version is refused.
          engineVersion: '16.6',
          deletionProtection: true,
          tags: { env: 'prod' },
          instances: [{ id: 'aurora-prod-writer', instanceClass: 'db.r6g.large' }],
          automatedSnapshots: { days: 7, hourUtc: 0, minuteUtc: 5 },
        },
      ],
    },
    'us-west-2': {
      kmsKeys: ['arn:aws:kms:us-west-2:123456789012:key/6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d'],
      parameterGroups: [
        { name: 'staging-cluster-pg16', family: 'aurora-postgresql16', kind: 'cluster' },
        { name: 'staging-instance-pg16', family: 'aurora-postgresql16', kind: 'instance' },
        { name: 'legacy-cluster-pg15', family: 'aurora-postgresql15', kind: 'cluster' },
      ],
      clusters: [
        {
          id: 'aurora-staging',
          engine: 'aurora-postgresql',
          tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE },
          instances: [{ id: 'aurora-staging-writer', instanceClass: 'db.r6g.large' }],
        },
        {
          // Not created by the pipeline (no managed-by tag): a restore onto it is refused.
          id: 'analytics',
          engine: 'aurora-postgresql',
          tags: { team: 'data' },
          instances: [{ id: 'analytics-writer', instanceClass: 'db.r6g.large' }],
        },
      ],
    },
  },
  request: {
    sourceClusterId: 'aurora-prod',
    snapshotDate: DEFAULT_CLOCK_START.slice(0, 10),
    sourceRegion: 'us-east-1',
    targetRegion: 'us-west-2',
    targetClusterId: 'aurora-staging',
    deleteExisting: true,
    instanceClass: 'db.r6g.large',
    subnetGroup: 'staging-db-subnets',
    securityGroupIds: ['sg-0a1b2c3d'],
    // Refreshing staging from production safely (README): mask the personal data, prove it, then let users in.
    postRestore: {
      sql: { bucket: EXAMPLE_HOOKS_BUCKET, prefix: 'staging/', files: ['01-mask-customers.sql', { name: '02-seed-test-accounts.sql', rerunnable: true }] },
      validations: [
        { name: 'no-real-emails', sql: "SELECT count(*) FROM public.customers WHERE email NOT LIKE '%@example.invalid'", expect: 0 },
        { name: 'no-phone-numbers', sql: 'SELECT count(*) FROM public.customers WHERE phone IS NOT NULL', expect: 0 },
      ],
    },
    users: [
      { secret: 'aurora-restore/app-credentials', role: 'readwrite' },
      { secret: 'aurora-restore/app/reporting', role: 'readonly' },
    ],
  },
  buckets: { [EXAMPLE_HOOKS_BUCKET]: join(packageRoot(), 'examples', 'post-restore') },
  appUserSecrets: { 'aurora-restore/app/reporting': 'reporting' },
};

/** The built-in world behind `npm start`: a cross-region restore of aurora-prod over a managed aurora-staging. */
export const DEFAULT_SCENARIO: Scenario = parseScenario(DEFAULT_SCENARIO_INPUT);
