/**
 * The optional parts of a restore request that shape what a refresh leaves behind: the restored cluster's
 * settings (`cluster`), the SQL run on it before anyone may log in (`postRestore`) and its application
 * users (`users`). Every field is optional; absent, a refresh behaves as before these existed. Each rule
 * that RDS documents is cited where it is enforced (here for the request, in src/lib/local/rds/rules.ts
 * for the simulator that refuses what RDS refuses).
 */
import { z } from 'zod';
import { MANAGED_BY_TAG } from '../lib/tags';

// ---------------------------------------------------------------------------------------- cluster

/**
 * A DB (cluster) parameter group name: "Must be 1 to 255 letters, numbers, or hyphens." / "First character
 * must be a letter." / "Can't end with a hyphen or contain two consecutive hyphens." (RestoreDBClusterFromSnapshot,
 * DBClusterParameterGroupName). The `default.<family>` groups RDS creates have a period and are accepted too.
 */
export const parameterGroupName = z
  .string()
  .max(255, 'expected at most 255 characters')
  .regex(/^(?:default\.[a-z0-9.-]+|[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-))$/, 'expected a parameter group name: letters, digits and single hyphens, starting with a letter (or a default.<family> group)');

/** Engine versions as RDS names them: 16.6, 15.10, 8.0.mysql_aurora.3.08.0. */
export const engineVersion = z.string().max(64).regex(/^\d+(?:\.[A-Za-z0-9_]+)+$/, 'expected an engine version such as 16.6 or 8.0.mysql_aurora.3.08.0');

/**
 * EnableCloudwatchLogsExports: "Aurora MySQL: Possible values are audit, error, general, instance, slowquery,
 * and iam-db-auth-error." / "Aurora PostgreSQL: Possible value are instance, postgresql, and iam-db-auth-error."
 * (RestoreDBClusterFromSnapshot). Which of them the engine takes is checked once the engine is known.
 */
export const LOG_EXPORTS: Record<'aurora-postgresql' | 'aurora-mysql', readonly string[]> = {
  'aurora-postgresql': ['instance', 'postgresql', 'iam-db-auth-error'],
  'aurora-mysql': ['audit', 'error', 'general', 'instance', 'slowquery', 'iam-db-auth-error'],
};
const ALL_LOG_EXPORTS = [...new Set(Object.values(LOG_EXPORTS).flat())] as [string, ...string[]];

/** "You can specify ACU values in half-step increments" (ServerlessV2ScalingConfiguration). */
const acu = (field: string) =>
  z
    .number({ error: `expected a number of ACUs` })
    .refine((n) => Number.isFinite(n) && Math.round(n * 2) === n * 2, `expected ${field} in half-step increments (0.5, 1, 1.5, …)`);

/**
 * Aurora Serverless v2: "Aurora Serverless v2 capacity ranges from a minimum of 0 Aurora capacity units (ACU) to
 * a maximum of 256 ACUs, in increments of 0.5 ACU. The allowed minimum value depends on the Aurora version."
 * (Aurora user guide, requirements and limitations); "The maximum capacity must be higher than 0.5 ACUs."
 * (CloudFormation, ServerlessV2ScalingConfiguration). The version-dependent limits are the simulator's.
 */
export const serverlessCapacity = z
  .strictObject({
    minCapacity: acu('minCapacity').pipe(z.number().min(0, 'expected at least 0 ACUs').max(256, 'expected at most 256 ACUs')),
    maxCapacity: acu('maxCapacity').pipe(z.number().min(1, 'expected more than 0.5 ACUs (at least 1)').max(256, 'expected at most 256 ACUs')),
  })
  .refine((s) => s.minCapacity <= s.maxCapacity, { path: ['minCapacity'], message: 'expected minCapacity at most maxCapacity' });

/** "The key is an optional value … can't be prefixed with aws: or rds:" and up to 128 / 256 characters (RDS tagging); ours are reserved too. */
const tagKey = z
  .string()
  .min(1)
  .max(128, 'expected a tag key of at most 128 characters')
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, 'expected a tag key of letters, digits, spaces and _ . : / = + - @')
  .refine((k) => !/^(aws|rds):/i.test(k), 'tag keys starting with aws: or rds: are reserved by AWS')
  .refine((k) => !k.startsWith(MANAGED_BY_TAG.split(':')[0] + ':'), 'tag keys starting with aurora-restore: are the pipeline\'s own');
const tagValue = z.string().max(256, 'expected a tag value of at most 256 characters').regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, 'expected a tag value of letters, digits, spaces and _ . : / = + - @');

/** "An Aurora DB cluster can contain up to 15 Aurora Replicas" (Aurora user guide, replication). */
export const MAX_READERS = 15;

export const clusterSettings = z.strictObject({
  /** Default: the snapshot's (or the source cluster's). Never older: a database cannot be downgraded. */
  engineVersion: engineVersion.optional(),
  /** DB cluster parameter group; its family must match the engine version. */
  clusterParameterGroup: parameterGroupName.optional(),
  /** DB parameter group of every instance (writer and readers). */
  instanceParameterGroup: parameterGroupName.optional(),
  /** Aurora Serverless v2: every instance is db.serverless within this capacity range. */
  serverless: serverlessCapacity.optional(),
  /** Reader instances created with the writer (`<cluster>-reader-1` …). */
  readers: z.number().int('expected a whole number').min(0).max(MAX_READERS, `expected at most ${MAX_READERS} readers (Aurora's limit)`).default(0),
  cloudwatchLogsExports: z
    .array(z.enum(ALL_LOG_EXPORTS, { error: (i) => `expected one of ${ALL_LOG_EXPORTS.join(', ')}, got ${JSON.stringify(i.input)}` }))
    .max(ALL_LOG_EXPORTS.length)
    .refine((l) => new Set(l).size === l.length, 'expected each log type once')
    .optional(),
  /** "The database can't be deleted when deletion protection is enabled." A later refresh cannot replace it either. */
  deletionProtection: z.boolean().default(false),
  iamDatabaseAuthentication: z.boolean().default(false),
  /** "Constraints: This value must be 1150-65535" (RestoreDBClusterFromSnapshot, Port). */
  port: z.number().int('expected a whole number').min(1150, 'expected a port from 1150 to 65535').max(65535, 'expected a port from 1150 to 65535').optional(),
  /** Tags for everything the refresh creates (copied snapshot, cluster, instances); keys must be on ALLOWED_TAG_KEYS. */
  tags: z
    .record(tagKey, tagValue)
    .refine((t) => Object.keys(t).length <= 40, 'expected at most 40 tags (50 per resource, 10 kept for the pipeline)')
    .optional(),
});
export type ClusterSettings = z.output<typeof clusterSettings>;

/** The engine-dependent checks a request can only get once the engine is known (snapshot-check, before anything is created). */
export function clusterSettingsProblem(settings: ClusterSettings | undefined, engine: string): string | undefined {
  if (!settings?.cloudwatchLogsExports) return undefined;
  const allowed = LOG_EXPORTS[engine as keyof typeof LOG_EXPORTS] ?? [];
  const bad = settings.cloudwatchLogsExports.filter((l) => !allowed.includes(l));
  if (bad.length) return `cluster.cloudwatchLogsExports: ${engine} exports ${allowed.join(', ')}, not ${bad.join(', ')}`;
  return undefined;
}

// ----------------------------------------------------------------------------------- post-restore SQL

/** A PostgreSQL identifier we accept for databases and schemas: 1-63 bytes, no NUL, not a pg_ name. */
export const pgIdentifier = z
  .string()
  .min(1)
  .refine((s) => Buffer.byteLength(s, 'utf8') <= 63, 'expected at most 63 bytes (PostgreSQL truncates longer names)')
  .refine((s) => !s.includes('\0'), 'expected no NUL character');

/** A hook file's name under the prefix: no folders, no `..`, ends in .sql. */
const hookFileName = z
  .string()
  .max(200, 'expected at most 200 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.sql$/, 'expected a file name like 01-mask-customers.sql (letters, digits, . _ -, ending in .sql; no folders)');

export const hookFile = z.union([
  hookFileName.transform((name) => ({ name, rerunnable: false })),
  z.strictObject({ name: hookFileName, rerunnable: z.boolean().default(false) }),
]);

/** S3 bucket names: 3-63 lowercase letters, digits, periods and hyphens, starting and ending with a letter or digit. */
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lowercase letters, digits, . and -)');
/** The folder the files are in: empty, or ending with `/`; no `..`. */
const keyPrefix = z
  .string()
  .max(512)
  .regex(/^(?:[A-Za-z0-9!_.*'()-]+\/)*$/, 'expected a key prefix of folders ending with / (e.g. staging-orders/), or empty')
  .refine((p) => !p.split('/').includes('..'), 'expected no .. in the prefix');

export const validationQuery = z.strictObject({
  /** Named in errors and the audit trail (the SQL is not). */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a name of lowercase letters, digits, - and _ (at most 64)'),
  /** One query returning one row with one column. Runs read-only as the master user. */
  sql: z.string().min(1).max(4000, 'expected at most 4000 characters'),
  /** The value the column must have: compared as text (0 matches a count of "0"); null matches SQL NULL. */
  expect: z.union([z.string().max(256), z.number(), z.boolean(), z.null()]),
});
export type ValidationQuery = z.output<typeof validationQuery>;

export const postRestore = z
  .strictObject({
    /** The ordered SQL files: s3://<bucket>/<prefix><name> (locally, the folder the scenario maps the bucket to). */
    sql: z
      .strictObject({
        bucket: bucketName,
        prefix: keyPrefix.default(''),
        files: z.array(hookFile).min(1, 'expected at least one file').max(50, 'expected at most 50 files'),
      })
      .refine((s) => new Set(s.files.map((f) => f.name)).size === s.files.length, { path: ['files'], message: 'expected each file once' })
      .optional(),
    /** The database the hooks and validations run in (as the master user). */
    database: pgIdentifier.default('postgres'),
    /** statement_timeout of every hook statement and validation query. */
    statementTimeoutSeconds: z.number().int('expected a whole number').min(1).max(900, 'expected at most 900 seconds (a Lambda invocation)').default(60),
    validations: z.array(validationQuery).max(50, 'expected at most 50 validations').default([]),
    /** When a hook or a validation fails: keep the restored cluster for inspection (no app user can log in), or delete it under the safety rules. */
    onFailure: z.enum(['keep', 'delete'], { error: (i) => `expected keep or delete, got ${JSON.stringify(i.input)}` }).default('keep'),
  })
  .refine((p) => p.sql !== undefined || p.validations.length > 0, { path: ['sql'], message: 'expected sql files, validations, or both' })
  .refine((p) => new Set(p.validations.map((v) => v.name)).size === p.validations.length, { path: ['validations'], message: 'expected each validation name once' });
export type PostRestore = z.output<typeof postRestore>;

// ------------------------------------------------------------------------------------------ users

export const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;
export type TablePrivilege = (typeof TABLE_PRIVILEGES)[number];

/** Secrets Manager names: 1-512 of letters, digits and /_+=.@- . */
const secretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'expected a Secrets Manager secret name');

export const userRole = z.union([
  z.enum(['readwrite', 'readonly'], { error: (i) => `expected readwrite, readonly or { privileges: [...] }, got ${JSON.stringify(i.input)}` }),
  z.strictObject({
    privileges: z
      .array(z.enum(TABLE_PRIVILEGES, { error: (i) => `expected one of ${TABLE_PRIVILEGES.join(', ')}, got ${JSON.stringify(i.input)}` }))
      .min(1, 'expected at least one privilege'),
  }),
]);
export type UserRole = z.output<typeof userRole>;

/** Table privileges of a role. readwrite also uses the schemas' sequences (serial ids); readonly reads them. */
export function privilegesOf(role: UserRole): TablePrivilege[] {
  if (role === 'readonly') return ['SELECT'];
  if (role === 'readwrite') return ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
  return [...new Set(role.privileges)];
}

export const appUserGrant = z.strictObject({
  /** Holds {username, password} or a list of them ([...] or {users: [...]}); names must be under APP_SECRETS_PREFIX. */
  secret: secretName,
  role: userRole.default('readwrite'),
  /** Schemas the role's privileges apply to (their tables, present and future). */
  schemas: z.array(pgIdentifier).min(1).max(20).default(['public']),
  database: pgIdentifier.default('postgres'),
});
export type AppUserGrant = z.output<typeof appUserGrant>;

export const appUsers = z
  .array(appUserGrant)
  .min(1, 'expected at least one user secret')
  .max(20, 'expected at most 20 user secrets')
  .refine((u) => new Set(u.map((x) => x.secret)).size === u.length, 'expected each secret once');
