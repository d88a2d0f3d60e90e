import * as z from './zod';
import { region } from './identifiers';

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name}: expected a number` }).check(z.int(`${name}: expected a whole number`), z.positive(`${name}: expected a positive number`));

const commaList = z.pipe(
  z.string(),
  z.transform((s: string) => s.split(',').map((x) => x.trim()).filter(Boolean)),
);
/** A comma-separated list, empty when the variable is not set. */
const optionalList = z._default(commaList, []);
/** A comma-separated list of RDS identifiers: RDS stores them lowercase. */
const lowercaseIds = z.pipe(optionalList, z.transform((ids: string[]) => ids.map((id) => id.toLowerCase())));

/**
 * The pipeline's configuration: the seed's environment variables (required ones and optional ones with
 * the seed's defaults) plus the names the choreography needs. Validated once at start-up; a bad or
 * missing variable is named in the error.
 */
export const configSchema = z.object({
  // Required by the seed.
  ENVIRONMENT: z.string().check(z.minLength(1)),
  REGION: region,
  DYNAMODB_TABLE_NAME: z.string().check(z.minLength(3)),
  SNS_TOPIC_ARN: z.string().check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'expected an SNS topic ARN')),
  KMS_KEY_ID: z.string().check(z.minLength(1)),
  VPC_ID: z.string().check(z.regex(/^vpc-[0-9a-f]+$/, 'expected a VPC id like vpc-12345678')),
  SUBNET_IDS: z.pipe(commaList, z.array(z.string().check(z.regex(/^subnet-[0-9a-f]+$/, 'expected subnet ids like subnet-12345678'))).check(z.minLength(1))),
  SECURITY_GROUP_IDS: z.pipe(commaList, z.array(z.string().check(z.regex(/^sg-[0-9a-f]+$/, 'expected security group ids like sg-12345678'))).check(z.minLength(1))),
  // Optional, with the seed's defaults.
  /** Any case: `debug` is DEBUG. */
  LOG_LEVEL: z._default(
    z.pipe(
      z.transform((v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v)),
      z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'], { error: (i) => `expected DEBUG, INFO, WARN, ERROR or SILENT (any case), got ${JSON.stringify(i.input)}` }),
    ),
    'INFO',
  ),
  MAX_RETRIES: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(20)), 3),
  RETRY_INTERVAL_SECONDS: z._default(z.coerce.number().check(z.positive()), 3),
  RETRY_BACKOFF_RATE: z._default(z.coerce.number().check(z.gte(1)), 2),
  STATE_MACHINE_TIMEOUT_SECONDS: z._default(positiveInt('STATE_MACHINE_TIMEOUT_SECONDS'), 7200),
  LAMBDA_TIMEOUT_SECONDS: z._default(positiveInt('LAMBDA_TIMEOUT_SECONDS').check(z.lte(900)), 300),
  LAMBDA_MEMORY_SIZE: z._default(positiveInt('LAMBDA_MEMORY_SIZE').check(z.gte(128), z.lte(10240)), 256),
  // Choreography.
  AUDIT_TABLE_NAME: z.optional(z.string().check(z.minLength(3))),
  EVENT_BUS_NAME: z._default(z.string().check(z.minLength(1)), 'aurora-restore'),
  SCHEDULER_GROUP_NAME: z._default(z.string().check(z.minLength(1)), 'aurora-restore'),
  SCHEDULER_ROLE_ARN: z._default(z.string(), ''),
  SCHEDULER_DLQ_ARN: z._default(z.string(), ''), // dead-letter queue of the one-time schedules (src/lib/aws/scheduler.ts); none when empty
  EVENT_BUS_ARN: z._default(z.string(), ''),
  MASTER_SECRET_NAME: z._default(z.string(), 'aurora-restore/master-credentials'),
  APP_SECRET_NAME: z._default(z.string(), 'aurora-restore/app-credentials'),
  /** The first check of a snapshot copy (no RDS event exists for it); later checks follow its PercentProgress. */
  COPY_RECHECK_SECONDS: z._default(positiveInt('COPY_RECHECK_SECONDS'), 150),
  /** The longest wait between two checks of a copy, whatever its progress predicts (src/lib/steps/copy-progress.ts). */
  COPY_RECHECK_MAX_SECONDS: z._default(positiveInt('COPY_RECHECK_MAX_SECONDS'), 600),
  /** Safety-net re-check while waiting for RDS events (deletion, restore). */
  SAFETY_RECHECK_SECONDS: z._default(positiveInt('SAFETY_RECHECK_SECONDS'), 900),
  /** Re-check while a swap's rename completes (woken sooner by RDS-EVENT-0172). Scheduler has one-minute precision. */
  RENAME_RECHECK_SECONDS: z._default(positiveInt('RENAME_RECHECK_SECONDS'), 60),
  /** Cluster names that can never be deleted (regular expression, case-insensitive). */
  PROTECTED_CLUSTER_PATTERN: z._default(z.string(), 'prod').check(
    z.refine((p: string) => {
      try {
        new RegExp(p, 'i');
        return true;
      } catch {
        return false;
      }
    }, 'expected a valid regular expression'),
  ),
  /**
   * Clusters that may be deleted even without the pipeline's managed-by tag. RDS identifiers are
   * case-insensitive and stored lowercase ("This parameter is stored as a lowercase string", RDS API
   * reference), so the list is compared (and turned into IAM ARNs) in lowercase.
   */
  DELETION_ALLOW_LIST: lowercaseIds,
  /**
   * Live clusters that may be cloned (Aurora fast clone) or restored to a point in time. Empty: requests with
   * source clone or point-in-time are refused. Lowercase, as RDS stores identifiers.
   */
  CLONE_SOURCE_CLUSTERS: lowercaseIds,
  /**
   * Regions other than REGION that the pipeline restores into. RDS events are regional: each of these
   * regions needs the forwarding rule of its default bus (deployed per region, docs/deploy.md); a target
   * region without one still works, on the SAFETY_RECHECK_SECONDS re-checks alone.
   */
  TARGET_REGIONS: z.pipe(optionalList, z.array(region)),
  /**
   * Customer managed KMS keys that encrypt the SOURCE snapshots (key ARNs). Restoring or copying a
   * snapshot encrypted with such a key needs kms:CreateGrant and kms:DescribeKey on it.
   */
  SOURCE_KMS_KEYS: z.pipe(
    optionalList,
    z.array(z.string().check(z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'expected KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)'))),
  ),
  /** KMS key per target region for cross-region copies of encrypted snapshots, as region=keyArn pairs. */
  TARGET_KMS_KEYS: z.pipe(
    optionalList.check(
      z.superRefine((pairs: string[], ctx) => {
        for (const p of pairs) {
          const [r, ...key] = p.split('=');
          if (!r || key.length === 0) ctx.addIssue({ code: 'custom', message: `expected region=keyArn pairs, got "${p}"` });
        }
      }),
    ),
    z.transform((pairs: string[]) => {
      const out: Record<string, string> = {};
      for (const p of pairs) {
        const [r, ...key] = p.split('=');
        if (r && key.length > 0) out[r] = key.join('=');
      }
      return out;
    }),
  ),
  /** Secrets of application users a request may name (`users[].secret`) start with this; the IAM grant is `<prefix>*`. */
  APP_SECRETS_PREFIX: z._default(z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]+\/$/, 'expected a secret name prefix ending with /')), 'aurora-restore/app/'),
  /**
   * Where post-restore SQL may be read from: `bucket/prefix` entries (prefix ending with / or empty). A request's
   * `postRestore.sql` must be inside one of them; setup-db-users may s3:GetObject there only.
   */
  HOOK_SOURCES: z.pipe(
    optionalList,
    z.array(z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(?:[A-Za-z0-9!_.*'()-]+\/)*$/, 'expected bucket/prefix/ entries (the prefix may be empty: bucket/)'))),
  ),
  /** Tag keys a request may put on what the refresh creates (`cluster.tags`); IAM allows creating with these and the pipeline's own. */
  ALLOWED_TAG_KEYS: z._default(commaList, ['environment', 'service', 'team', 'cost-center', 'owner']),
  /** SSM Parameter Store path of the saved refresh profiles: `<path><name>` holds each profile's JSON. */
  PROFILES_PATH: z._default(z.string().check(z.regex(/^\/[A-Za-z0-9_.\/-]*\/$/, 'expected a parameter path like /aurora-restore/profiles/')), '/aurora-restore/profiles/'),
  /**
   * Final snapshot retention (src/lib/steps/retention.ts): after a successful restore, the pipeline's own final
   * snapshots of the target cluster (managed-by tag AND named `<cluster>-final-<id>`) beyond the newest COUNT
   * that are also older than DAYS are deleted. COUNT 0 keeps them all; DAYS 0 sets no minimum age.
   */
  FINAL_SNAPSHOT_RETENTION_COUNT: z._default(
    z.coerce.number({ error: 'expected a number' }).check(z.int('expected a whole number'), z.gte(0, 'expected 0 (keep all) or more')),
    3,
  ),
  FINAL_SNAPSHOT_RETENTION_DAYS: z._default(
    z.coerce.number({ error: 'expected a number' }).check(z.int('expected a whole number'), z.gte(0, 'expected 0 or more days')),
    0,
  ),
  /**
   * The RDS call budget shared by every function (src/lib/rds-budget.ts): calls per second per region.
   * RDS documents one limit per account and region for all its API operations together, not per operation:
   * "By default, you can make up to 300 requests in a burst and a sustained 12 requests per second" (RDS User
   * Guide, Request throttling for the Amazon RDS API); 8 leaves the rest to the account's other tools. 0 turns the budget off (calls go straight to RDS; throttling is then handled by retries and hand-backs alone).
   */
  RDS_CALLS_PER_SECOND: z._default(
    z.coerce.number({ error: 'expected a number' }).check(z.int('expected a whole number'), z.gte(0, 'expected 0 (no budget) or more')),
    8,
  ),
  /**
   * How long a function may wait in-process for an RDS permit (1–60 s) before its message goes back to its
   * SQS queue, delayed until the budget has room: a few seconds of Lambda time, not minutes of it.
   */
  RDS_BUDGET_WAIT_SECONDS: z._default(positiveInt('RDS_BUDGET_WAIT_SECONDS').check(z.lte(60, 'expected at most 60')), 5),
  STATE_TTL_DAYS: z._default(positiveInt('STATE_TTL_DAYS'), 90),
  AUDIT_TTL_DAYS: z._default(positiveInt('AUDIT_TTL_DAYS'), 365),
});

export type Config = z.output<typeof configSchema> & { AUDIT_TABLE_NAME: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws ConfigError naming every bad or missing variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const name = String(i.path[0] ?? '(unknown)');
      const missing = env[name] === undefined || env[name] === '';
      return missing && i.code !== 'custom' ? `${name}: required but not set` : `${name}: ${i.message.replace(`${name}: `, '')}`;
    });
    throw new ConfigError(problems);
  }
  const c = result.data;
  return { ...c, AUDIT_TABLE_NAME: c.AUDIT_TABLE_NAME ?? `${c.DYNAMODB_TABLE_NAME}-audit` };
}

/** The configuration the local runtime runs with (no AWS account; names only). */
export function localEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ENVIRONMENT: 'local',
    REGION: 'us-east-1',
    DYNAMODB_TABLE_NAME: 'aurora-restore-state',
    SNS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:aurora-restore-notifications',
    KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/local-pipeline-key',
    VPC_ID: 'vpc-00000000',
    SUBNET_IDS: 'subnet-00000001,subnet-00000002',
    SECURITY_GROUP_IDS: 'sg-00000000',
    LOG_LEVEL: 'SILENT',
    TARGET_KMS_KEYS: 'us-west-2=arn:aws:kms:us-west-2:000000000000:key/local-target-key,eu-west-1=arn:aws:kms:eu-west-1:000000000000:key/local-target-key',
    ...overrides,
  };
}
