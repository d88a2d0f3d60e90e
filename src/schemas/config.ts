import { z } from 'zod';
import { region } from './identifiers';

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name}: expected a number` }).int(`${name}: expected a whole number`).positive(`${name}: expected a positive number`);

const commaList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/**
 * The pipeline's configuration: the seed's environment variables (required ones and optional ones with
 * the seed's defaults) plus the names the choreography needs. Validated once at start-up; a bad or
 * missing variable is named in the error.
 */
export const configSchema = z.object({
  // Required by the seed.
  ENVIRONMENT: z.string().min(1),
  REGION: region,
  DYNAMODB_TABLE_NAME: z.string().min(3),
  SNS_TOPIC_ARN: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'expected an SNS topic ARN'),
  KMS_KEY_ID: z.string().min(1),
  VPC_ID: z.string().regex(/^vpc-[0-9a-f]+$/, 'expected a VPC id like vpc-12345678'),
  SUBNET_IDS: commaList.pipe(z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'expected subnet ids like subnet-12345678')).min(1)),
  SECURITY_GROUP_IDS: commaList.pipe(z.array(z.string().regex(/^sg-[0-9a-f]+$/, 'expected security group ids like sg-12345678')).min(1)),
  // Optional, with the seed's defaults.
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
  MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  RETRY_INTERVAL_SECONDS: z.coerce.number().positive().default(3),
  RETRY_BACKOFF_RATE: z.coerce.number().min(1).default(2),
  STATE_MACHINE_TIMEOUT_SECONDS: positiveInt('STATE_MACHINE_TIMEOUT_SECONDS').default(7200),
  LAMBDA_TIMEOUT_SECONDS: positiveInt('LAMBDA_TIMEOUT_SECONDS').max(900).default(300),
  LAMBDA_MEMORY_SIZE: positiveInt('LAMBDA_MEMORY_SIZE').min(128).max(10240).default(256),
  // Choreography.
  AUDIT_TABLE_NAME: z.string().min(3).optional(),
  EVENT_BUS_NAME: z.string().min(1).default('aurora-restore'),
  SCHEDULER_GROUP_NAME: z.string().min(1).default('aurora-restore'),
  SCHEDULER_ROLE_ARN: z.string().default(''),
  SCHEDULER_DLQ_ARN: z.string().default(''), // dead-letter queue of the one-time schedules (src/lib/aws/scheduler.ts); none when empty
  EVENT_BUS_ARN: z.string().default(''),
  MASTER_SECRET_NAME: z.string().default('aurora-restore/master-credentials'),
  APP_SECRET_NAME: z.string().default('aurora-restore/app-credentials'),
  /** Re-check interval while waiting for a snapshot copy (no RDS event exists for it). EventBridge Scheduler has one-minute precision. */
  COPY_RECHECK_SECONDS: positiveInt('COPY_RECHECK_SECONDS').default(60),
  /** Safety-net re-check while waiting for RDS events (deletion, restore). */
  SAFETY_RECHECK_SECONDS: positiveInt('SAFETY_RECHECK_SECONDS').default(300),
  /** Re-check while a swap's rename completes (woken sooner by RDS-EVENT-0172). Scheduler has one-minute precision. */
  RENAME_RECHECK_SECONDS: positiveInt('RENAME_RECHECK_SECONDS').default(60),
  /** Cluster names that can never be deleted (regular expression, case-insensitive). */
  PROTECTED_CLUSTER_PATTERN: z
    .string()
    .default('prod')
    .refine((p) => {
      try {
        new RegExp(p, 'i');
        return true;
      } catch {
        return false;
      }
    }, 'expected a valid regular expression'),
  /**
   * Clusters that may be deleted even without the pipeline's managed-by tag. RDS identifiers are
   * case-insensitive and stored lowercase ("This parameter is stored as a lowercase string", RDS API
   * reference), so the list is compared (and turned into IAM ARNs) in lowercase.
   */
  DELETION_ALLOW_LIST: commaList.default([]).transform((ids) => ids.map((id) => id.toLowerCase())),
  /**
   * Live clusters that may be cloned (Aurora fast clone) or restored to a point in time. Empty: requests with
   * source clone or point-in-time are refused. Lowercase, as RDS stores identifiers.
   */
  CLONE_SOURCE_CLUSTERS: commaList.default([]).transform((ids) => ids.map((id) => id.toLowerCase())),
  /**
   * Regions other than REGION that the pipeline restores into. RDS events are regional: each of these
   * regions needs the forwarding rule of its default bus (deployed per region, docs/deploy.md); a target
   * region without one still works, on the SAFETY_RECHECK_SECONDS re-checks alone.
   */
  TARGET_REGIONS: commaList.default([]).pipe(z.array(region)),
  /**
   * Customer managed KMS keys that encrypt the SOURCE snapshots (key ARNs). Restoring or copying a
   * snapshot encrypted with such a key needs kms:CreateGrant and kms:DescribeKey on it.
   */
  SOURCE_KMS_KEYS: commaList
    .default([])
    .pipe(z.array(z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'expected KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)'))),
  /** KMS key per target region for cross-region copies of encrypted snapshots, as region=keyArn pairs. */
  TARGET_KMS_KEYS: commaList
    .default([])
    .transform((pairs, ctx) => {
      const out: Record<string, string> = {};
      for (const p of pairs) {
        const [r, ...key] = p.split('=');
        if (!r || key.length === 0) {
          ctx.addIssue({ code: 'custom', message: `expected region=keyArn pairs, got "${p}"` });
          continue;
        }
        out[r] = key.join('=');
      }
      return out;
    }),
  /** Secrets of application users a request may name (`users[].secret`) start with this; the IAM grant is `<prefix>*`. */
  APP_SECRETS_PREFIX: z.string().regex(/^[A-Za-z0-9/_+=.@-]+\/$/, 'expected a secret name prefix ending with /').default('aurora-restore/app/'),
  /**
   * Where post-restore SQL may be read from: `bucket/prefix` entries (prefix ending with / or empty). A request's
   * `postRestore.sql` must be inside one of them; setup-db-users may s3:GetObject there only.
   */
  HOOK_SOURCES: commaList
    .default([])
    .pipe(z.array(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(?:[A-Za-z0-9!_.*'()-]+\/)*$/, 'expected bucket/prefix/ entries (the prefix may be empty: bucket/)'))),
  /** Tag keys a request may put on what the refresh creates (`cluster.tags`); IAM allows creating with these and the pipeline's own. */
  ALLOWED_TAG_KEYS: commaList.default(['environment', 'service', 'team', 'cost-center', 'owner']),
  /** SSM Parameter Store path of the saved refresh profiles: `<path><name>` holds each profile's JSON. */
  PROFILES_PATH: z.string().regex(/^\/[A-Za-z0-9_.\/-]*\/$/, 'expected a parameter path like /aurora-restore/profiles/').default('/aurora-restore/profiles/'),
  STATE_TTL_DAYS: positiveInt('STATE_TTL_DAYS').default(90),
  AUDIT_TTL_DAYS: positiveInt('AUDIT_TTL_DAYS').default(365),
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
