/**
 * The optional parts of a restore request that shape what a refresh leaves behind: the restored cluster's
 * settings (`cluster`), the SQL run on it before anyone may log in (`postRestore`) and its application
 * users (`users`). Every field is optional; absent, a refresh behaves as before these existed. Each rule
 * that RDS documents is cited where it is enforced (here for the request, in src/lib/local/rds/rules.ts
 * for the simulator that refuses what RDS refuses).
 */
import * as z from './zod';
import { MANAGED_BY_TAG } from '../lib/tags';

// ---------------------------------------------------------------------------------------- cluster

/**
 * A DB (cluster) parameter group name: "Must be 1 to 255 letters, numbers, or hyphens." / "First character
 * must be a letter." / "Can't end with a hyphen or contain two consecutive hyphens." (RestoreDBClusterFromSnapshot,
 * DBClusterParameterGroupName). The `default.<family>` groups RDS creates have a period and are accepted too.
 */
export const parameterGroupName = z
  .string()
  .check(
    z.maxLength(255, 'expected at most 255 characters'),
    z.regex(/^(?:default\.[a-z0-9.-]+|[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-))$/, 'expected a parameter group name: letters, digits and single hyphens, starting with a letter (or a default.<family> group)'),
  );

/** Engine versions as RDS names them: 16.6, 15.10, 8.0.mysql_aurora.3.08.0. */
export const engineVersion = z.string().check(z.maxLength(64), z.regex(/^\d+(?:\.[A-Za-z0-9_]+)+$/, 'expected an engine version such as 16.6 or 8.0.mysql_aurora.3.08.0'));

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
const acu = (field: string, min: number, minMessage: string) =>
  z.number({ error: `expected a number of ACUs` }).check(
    z.refine((n: number) => Number.isFinite(n) && Math.round(n * 2) === n * 2, `expected ${field} in half-step increments (0.5, 1, 1.5, …)`),
    z.gte(min, minMessage),
    z.lte(256, 'expected at most 256 ACUs'),
  );

/**
 * Aurora Serverless v2: "Aurora Serverless v2 capacity ranges from a minimum of 0 Aurora capacity units (ACU) to
 * a maximum of 256 ACUs, in increments of 0.5 ACU. The allowed minimum value depends on the Aurora version."
 * (Aurora user guide, requirements and limitations); "The maximum capacity must be higher than 0.5 ACUs."
 * (CloudFormation, ServerlessV2ScalingConfiguration). The version-dependent limits are the simulator's.
 */
export const serverlessCapacity = z
  .strictObject({
    minCapacity: acu('minCapacity', 0, 'expected at least 0 ACUs'),
    maxCapacity: acu('maxCapacity', 1, 'expected more than 0.5 ACUs (at least 1)'),
  })
  .check(z.refine((s) => s.minCapacity <= s.maxCapacity, { path: ['minCapacity'], message: 'expected minCapacity at most maxCapacity' }));

/** "The key is an optional value … can't be prefixed with aws: or rds:" and up to 128 / 256 characters (RDS tagging); ours are reserved too. */
const tagKey = z.string().check(
  z.minLength(1),
  z.maxLength(128, 'expected a tag key of at most 128 characters'),
  z.regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, 'expected a tag key of letters, digits, spaces and _ . : / = + - @'),
  z.refine((k: string) => !/^(aws|rds):/i.test(k), 'tag keys starting with aws: or rds: are reserved by AWS'),
  z.refine((k: string) => !k.startsWith(MANAGED_BY_TAG.split(':')[0] + ':'), "tag keys starting with aurora-restore: are the pipeline's own"),
);
const tagValue = z
  .string()
  .check(z.maxLength(256, 'expected a tag value of at most 256 characters'), z.regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, 'expected a tag value of letters, digits, spaces and _ . : / = + - @'));

/** "An Aurora DB cluster can contain up to 15 Aurora Replicas" (Aurora user guide, replication). */
export const MAX_READERS = 15;

export const clusterSettings = z.strictObject({
  /** Default: the snapshot's (or the source cluster's). Never older: a database cannot be downgraded. */
  engineVersion: z.optional(engineVersion),
  /** DB cluster parameter group; its family must match the engine version. */
  clusterParameterGroup: z.optional(parameterGroupName),
  /** DB parameter group of every instance (writer and readers). */
  instanceParameterGroup: z.optional(parameterGroupName),
  /** Aurora Serverless v2: every instance is db.serverless within this capacity range. */
  serverless: z.optional(serverlessCapacity),
  /** Reader instances created with the writer (`<cluster>-reader-1` …). */
  readers: z._default(z.number().check(z.int('expected a whole number'), z.gte(0), z.lte(MAX_READERS, `expected at most ${MAX_READERS} readers (Aurora's limit)`)), 0),
  cloudwatchLogsExports: z.optional(
    z
      .array(z.enum(ALL_LOG_EXPORTS, { error: (i) => `expected one of ${ALL_LOG_EXPORTS.join(', ')}, got ${JSON.stringify(i.input)}` }))
      .check(z.maxLength(ALL_LOG_EXPORTS.length), z.refine((l: string[]) => new Set(l).size === l.length, 'expected each log type once')),
  ),
  /** "The database can't be deleted when deletion protection is enabled." A later refresh cannot replace it either. */
  deletionProtection: z._default(z.boolean(), false),
  iamDatabaseAuthentication: z._default(z.boolean(), false),
  /** "Constraints: This value must be 1150-65535" (RestoreDBClusterFromSnapshot, Port). */
  port: z.optional(z.number().check(z.int('expected a whole number'), z.gte(1150, 'expected a port from 1150 to 65535'), z.lte(65535, 'expected a port from 1150 to 65535'))),
  /** Tags for everything the refresh creates (copied snapshot, cluster, instances); keys must be on ALLOWED_TAG_KEYS. */
  tags: z.optional(
    z.record(tagKey, tagValue).check(z.refine((t: Record<string, string>) => Object.keys(t).length <= 40, 'expected at most 40 tags (50 per resource, 10 kept for the pipeline)')),
  ),
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
export const pgIdentifier = z.string().check(
  z.minLength(1),
  z.refine((s: string) => Buffer.byteLength(s, 'utf8') <= 63, 'expected at most 63 bytes (PostgreSQL truncates longer names)'),
  z.refine((s: string) => !s.includes('\0'), 'expected no NUL character'),
);

/** A hook file's name under the prefix: no folders, no `..`, ends in .sql. */
const hookFileName = z
  .string()
  .check(
    z.maxLength(200, 'expected at most 200 characters'),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.sql$/, 'expected a file name like 01-mask-customers.sql (letters, digits, . _ -, ending in .sql; no folders)'),
  );

export const hookFile = z.union([
  z.pipe(
    hookFileName,
    z.transform((name: string) => ({ name, rerunnable: false })),
  ),
  z.strictObject({ name: hookFileName, rerunnable: z._default(z.boolean(), false) }),
]);

/** S3 bucket names: 3-63 lowercase letters, digits, periods and hyphens, starting and ending with a letter or digit. */
const bucketName = z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lowercase letters, digits, . and -)'));
/** The folder the files are in: empty, or ending with `/`; no `..`. */
const keyPrefix = z.string().check(
  z.maxLength(512),
  z.regex(/^(?:[A-Za-z0-9!_.*'()-]+\/)*$/, 'expected a key prefix of folders ending with / (e.g. staging-orders/), or empty'),
  z.refine((p: string) => !p.split('/').includes('..'), 'expected no .. in the prefix'),
);

export const validationQuery = z.strictObject({
  /** Named in errors and the audit trail (the SQL is not). */
  name: z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a name of lowercase letters, digits, - and _ (at most 64)')),
  /** One query returning one row with one column. Runs read-only as the master user. */
  sql: z.string().check(z.minLength(1), z.maxLength(4000, 'expected at most 4000 characters')),
  /** The value the column must have: compared as text (0 matches a count of "0"); null matches SQL NULL. */
  expect: z.union([z.string().check(z.maxLength(256)), z.number(), z.boolean(), z.null()]),
});
export type ValidationQuery = z.output<typeof validationQuery>;

const hookSource = z
  .strictObject({
    bucket: bucketName,
    prefix: z._default(keyPrefix, ''),
    files: z.array(hookFile).check(z.minLength(1, 'expected at least one file'), z.maxLength(50, 'expected at most 50 files')),
  })
  .check(z.refine((s) => new Set(s.files.map((f) => f.name)).size === s.files.length, { path: ['files'], message: 'expected each file once' }));

export const postRestore = z
  .strictObject({
    /** The ordered SQL files: s3://<bucket>/<prefix><name> (locally, the folder the scenario maps the bucket to). */
    sql: z.optional(hookSource),
    /** The database the hooks and validations run in (as the master user). */
    database: z._default(pgIdentifier, 'postgres'),
    /** statement_timeout of every hook statement and validation query. */
    statementTimeoutSeconds: z._default(
      z.number().check(z.int('expected a whole number'), z.gte(1), z.lte(900, 'expected at most 900 seconds (a Lambda invocation)')),
      60,
    ),
    validations: z._default(z.array(validationQuery).check(z.maxLength(50, 'expected at most 50 validations')), []),
    /** When a hook or a validation fails: keep the restored cluster for inspection (no app user can log in), or delete it under the safety rules. */
    onFailure: z._default(z.enum(['keep', 'delete'], { error: (i) => `expected keep or delete, got ${JSON.stringify(i.input)}` }), 'keep'),
  })
  .check(
    z.refine((p) => p.sql !== undefined || p.validations.length > 0, { path: ['sql'], message: 'expected sql files, validations, or both' }),
    z.refine((p) => new Set(p.validations.map((v) => v.name)).size === p.validations.length, { path: ['validations'], message: 'expected each validation name once' }),
  );
export type PostRestore = z.output<typeof postRestore>;

// ------------------------------------------------------------------------------------------ users

export const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;
export type TablePrivilege = (typeof TABLE_PRIVILEGES)[number];

/** Secrets Manager names: 1-512 of letters, digits and /_+=.@- . */
const secretName = z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'expected a Secrets Manager secret name'));

export const userRole = z.union([
  z.enum(['readwrite', 'readonly'], { error: (i) => `expected readwrite, readonly or { privileges: [...] }, got ${JSON.stringify(i.input)}` }),
  z.strictObject({
    privileges: z
      .array(z.enum(TABLE_PRIVILEGES, { error: (i) => `expected one of ${TABLE_PRIVILEGES.join(', ')}, got ${JSON.stringify(i.input)}` }))
      .check(z.minLength(1, 'expected at least one privilege')),
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
  role: z._default(userRole, 'readwrite'),
  /** Schemas the role's privileges apply to (their tables, present and future). */
  schemas: z._default(z.array(pgIdentifier).check(z.minLength(1), z.maxLength(20)), ['public']),
  database: z._default(pgIdentifier, 'postgres'),
});
export type AppUserGrant = z.output<typeof appUserGrant>;

export const appUsers = z
  .array(appUserGrant)
  .check(
    z.minLength(1, 'expected at least one user secret'),
    z.maxLength(20, 'expected at most 20 user secrets'),
    z.refine((u) => new Set(u.map((x) => x.secret)).size === u.length, 'expected each secret once'),
  );
