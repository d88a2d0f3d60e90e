/**
 * A stage's parameters (serverless.yml `params:`, per stage, with `default:` for dev): the seed's
 * variables the functions get as environment, plus the settings only the deployment needs. Validated
 * with zod when the template is built, so a bad value fails `serverless package` naming the parameter.
 */
import { z } from 'zod';
import { pick } from '../schemas/zod';
import { configSchema } from '../schemas/config';
import { region as regionSchema } from '../schemas/identifiers';
import { describeIssues, profileName, restoreRequest, type RestoreRequestInput } from '../schemas/restore-request';
import { protectedNames, type ProtectedNames } from './protected';

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name}: expected a number` }).int(`${name}: expected a whole number`).positive(`${name}: expected a positive number`);

const kmsKeyArn = z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)');

/** Configuration variables (src/schemas/config.ts) a stage may set; the functions get them as environment. */
export const PASSED_CONFIG = [
  'KMS_KEY_ID',
  'VPC_ID',
  'SUBNET_IDS',
  'SECURITY_GROUP_IDS',
  'LOG_LEVEL',
  'MAX_RETRIES',
  'RETRY_INTERVAL_SECONDS',
  'RETRY_BACKOFF_RATE',
  'STATE_MACHINE_TIMEOUT_SECONDS',
  'LAMBDA_TIMEOUT_SECONDS',
  'LAMBDA_MEMORY_SIZE',
  'MASTER_SECRET_NAME',
  'APP_SECRET_NAME',
  'COPY_RECHECK_SECONDS',
  'COPY_RECHECK_MAX_SECONDS',
  'SAFETY_RECHECK_SECONDS',
  'RENAME_RECHECK_SECONDS',
  'PROTECTED_CLUSTER_PATTERN',
  'DELETION_ALLOW_LIST',
  'CLONE_SOURCE_CLUSTERS',
  'TARGET_REGIONS',
  'TARGET_KMS_KEYS',
  'SOURCE_KMS_KEYS',
  'RDS_CALLS_PER_SECOND',
  'RDS_BUDGET_WAIT_SECONDS',
  'STATE_TTL_DAYS',
  'AUDIT_TTL_DAYS',
  'FINAL_SNAPSHOT_RETENTION_COUNT',
  'FINAL_SNAPSHOT_RETENTION_DAYS',
  'APP_SECRETS_PREFIX',
  'HOOK_SOURCES',
  'ALLOWED_TAG_KEYS',
  'PROFILES_PATH',
] as const satisfies readonly (keyof typeof configSchema.shape)[];

/** Settings of the deployment itself (not seen by the functions). */
export const deploymentParams = z.object({
  KMS_KEY_ID: kmsKeyArn,
  /** Days the pipeline bus's archive keeps events (0 = forever). */
  ARCHIVE_RETENTION_DAYS: z.coerce.number().int().min(0).default(30),
  LOG_RETENTION_DAYS: z.coerce.number().int().positive().default(30),
  /** Receives before a step's message moves to its dead-letter queue (at least 5). */
  MAX_RECEIVE_COUNT: z.coerce.number().int().min(5, 'MAX_RECEIVE_COUNT: expected at least 5').default(5),
  /** The "restore takes too long" alarm fires when TotalDuration exceeds this. */
  LONG_RESTORE_SECONDS: positiveInt('LONG_RESTORE_SECONDS').default(5400),
  /** The throttling alarm fires when this many throttled retries happen within five minutes. */
  THROTTLED_RETRIES_ALARM: positiveInt('THROTTLED_RETRIES_ALARM').default(10),
  /** Recurring restore: an EventBridge Scheduler expression, e.g. cron(0 2 * * ? *). Empty: no recurring restore. */
  NIGHTLY_SCHEDULE: z
    .string()
    .default('')
    .refine((s) => s === '' || /^(cron|rate)\(.+\)$/.test(s), 'NIGHTLY_SCHEDULE: expected cron(...) or rate(...), or empty'),
  NIGHTLY_TIMEZONE: z.string().min(1).default('UTC'),
  /** The recurring restore's request (JSON, the POST /restores body), validated here with the same schema. */
  NIGHTLY_REQUEST: z.string().default(''),
  /**
   * One recurring restore per saved refresh profile: `NAME=EXPRESSION` entries separated by `;`, e.g.
   * `staging-orders=cron(0 2 * * ? *);staging-billing=cron(30 2 * * ? *)` (cron and rate expressions hold
   * neither `;` nor `=`). Each becomes its own schedule invoking the nightly function with {"profile": NAME}.
   */
  NIGHTLY_PROFILES: z.string().default(''),
});

/** The profile schedules of NIGHTLY_PROFILES, or the problems naming each bad entry. */
export function nightlyProfilesOf(value: string): { schedules: { profile: string; expression: string }[]; problems: string[] } {
  const schedules: { profile: string; expression: string }[] = [];
  const problems: string[] = [];
  for (const entry of value.split(';').map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const profile = eq > 0 ? entry.slice(0, eq).trim() : '';
    const expression = eq > 0 ? entry.slice(eq + 1).trim() : '';
    if (!profile || !expression) problems.push(`NIGHTLY_PROFILES: "${entry}": expected NAME=cron(...) or NAME=rate(...)`);
    else if (!profileName.safeParse(profile).success) problems.push(`NIGHTLY_PROFILES: "${profile}": expected a profile name of lowercase letters, digits and hyphens`);
    else if (!/^(cron|rate)\(.+\)$/.test(expression)) problems.push(`NIGHTLY_PROFILES: ${profile}: expected cron(...) or rate(...), got "${expression}"`);
    else if (schedules.some((s) => s.profile === profile)) problems.push(`NIGHTLY_PROFILES: ${profile}: listed twice`);
    else schedules.push({ profile, expression });
  }
  return { schedules, problems };
}

export type DeploymentParams = z.output<typeof deploymentParams>;

export interface StageParams {
  deployment: DeploymentParams;
  /** The configuration variables the stage sets, as strings (the functions' environment). */
  config: Partial<Record<(typeof PASSED_CONFIG)[number], string>>;
  /** The validated configuration (defaults applied), for what the template derives from it. */
  resolved: ReturnType<typeof configSchema.parse>;
  nightlyRequest?: RestoreRequestInput;
  /** NIGHTLY_PROFILES: one schedule per saved refresh profile. */
  nightlyProfiles: { profile: string; expression: string }[];
  /** PROTECTED_CLUSTER_PATTERN as ARN wildcards (the explicit Deny of every role). */
  protectedNames: ProtectedNames;
}

export class StageParamsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid stage parameters: ${problems.join('; ')}`);
    this.name = 'StageParamsError';
  }
}

const asString = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : Array.isArray(v) ? v.join(',') : String(v));

/**
 * Validates a stage's parameters. `placeholders` stand in for the values only CloudFormation knows
 * (topic ARN, bus ARN, ...) so the whole configuration can be checked with the runtime's own schema.
 */
export function parseStageParams(raw: Record<string, unknown>, placeholders: Record<string, string>): StageParams {
  const problems: string[] = [];
  const deployment = deploymentParams.safeParse(raw);
  if (!deployment.success) problems.push(...deployment.error.issues.map((i) => `${String(i.path[0])}: ${i.message.replace(/^[A-Z_]+: /, '')}`));

  const config: StageParams['config'] = {};
  for (const name of PASSED_CONFIG) {
    const v = asString(raw[name]);
    if (v !== undefined && v !== '') config[name] = v;
  }
  const resolved = configSchema.safeParse({ ...placeholders, ...config });
  if (!resolved.success) problems.push(...resolved.error.issues.map((i) => `${String(i.path[0])}: ${i.message.replace(/^[A-Z_]+: /, '')}`));
  let names: ProtectedNames | undefined;
  if (resolved.success) {
    try {
      names = protectedNames(resolved.data.PROTECTED_CLUSTER_PATTERN);
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (resolved.data.TARGET_REGIONS.includes(resolved.data.REGION)) {
      problems.push(`TARGET_REGIONS: lists ${resolved.data.REGION}, the pipeline's own region (its RDS events reach the pipeline bus without forwarding)`);
    }
  }

  let nightlyRequest: RestoreRequestInput | undefined;
  if (deployment.success && deployment.data.NIGHTLY_SCHEDULE) {
    try {
      const body = JSON.parse(deployment.data.NIGHTLY_REQUEST || 'null') as unknown;
      if (body && typeof body === 'object' && !Array.isArray(body) && 'profile' in body) {
        // {"profile": NAME, …}: a saved refresh profile, read from Parameter Store (and validated) when the
        // schedule fires; only its name can be checked here.
        const name = profileName.safeParse((body as { profile: unknown }).profile);
        if (name.success) nightlyRequest = body as RestoreRequestInput;
        else problems.push(`NIGHTLY_REQUEST: profile: ${describeIssues(name.error)}`);
      } else {
        const parsed = restoreRequest.safeParse(body);
        if (parsed.success) nightlyRequest = body as RestoreRequestInput;
        else problems.push(`NIGHTLY_REQUEST: ${describeIssues(parsed.error)}`);
      }
    } catch {
      problems.push('NIGHTLY_REQUEST: expected the restore request as JSON text');
    }
  }
  let nightlyProfiles: StageParams['nightlyProfiles'] = [];
  if (deployment.success && deployment.data.NIGHTLY_PROFILES) {
    const r = nightlyProfilesOf(deployment.data.NIGHTLY_PROFILES);
    problems.push(...r.problems);
    nightlyProfiles = r.schedules;
  }
  if (problems.length) throw new StageParamsError(problems);
  return { deployment: deployment.data!, config, resolved: resolved.data!, nightlyRequest, nightlyProfiles, protectedNames: names! };
}

/** The forwarder stack's parameters (serverless.forwarder.yml, deployed in each of TARGET_REGIONS). */
export interface ForwarderParams {
  /** Where the pipeline stack (and its bus) is. */
  PIPELINE_REGION: string;
  /** The customer managed key of this region (TARGET_KMS_KEYS) that encrypts the forwarder's alarm topic. */
  alarmKeyArn: string;
  /** Untagged clusters the pipeline may replace: their RDS events are forwarded too. */
  DELETION_ALLOW_LIST: string[];
}

/**
 * Validates the forwarder's parameters for the region it is deployed in: PIPELINE_REGION (another region),
 * TARGET_REGIONS (must list this region, when given) and TARGET_KMS_KEYS (must have this region's key).
 */
export function parseForwarderParams(raw: Record<string, unknown>, region: string): ForwarderParams {
  const problems: string[] = [];
  const pipeline = regionSchema.safeParse(asString(raw.PIPELINE_REGION));
  if (!pipeline.success) problems.push(`PIPELINE_REGION: expected the region of the pipeline stack, got ${JSON.stringify(asString(raw.PIPELINE_REGION) ?? '')}`);
  else if (pipeline.data === region) problems.push(`PIPELINE_REGION: is ${region}, the region this forwarder is deployed in; deploy it in each of TARGET_REGIONS instead`);
  const config = pick(configSchema, { TARGET_REGIONS: true, TARGET_KMS_KEYS: true, DELETION_ALLOW_LIST: true }).safeParse({
    TARGET_REGIONS: asString(raw.TARGET_REGIONS) ?? '',
    TARGET_KMS_KEYS: asString(raw.TARGET_KMS_KEYS) ?? '',
    DELETION_ALLOW_LIST: asString(raw.DELETION_ALLOW_LIST) ?? '',
  });
  let alarmKeyArn = '';
  if (!config.success) problems.push(...config.error.issues.map((i) => `${String(i.path[0])}: ${i.message.replace(/^[A-Z_]+: /, '')}`));
  else {
    if (config.data.TARGET_REGIONS.length && !config.data.TARGET_REGIONS.includes(region as never)) {
      problems.push(`TARGET_REGIONS: does not list ${region}, the region this forwarder is deployed in`);
    }
    alarmKeyArn = config.data.TARGET_KMS_KEYS[region] ?? '';
    if (!kmsKeyArn.safeParse(alarmKeyArn).success || alarmKeyArn.split(':')[3] !== region) {
      problems.push(`TARGET_KMS_KEYS: needs ${region}=<key ARN in ${region}> (the key of the forwarder's encrypted alarm topic)`);
    }
  }
  if (problems.length) throw new StageParamsError(problems);
  return { PIPELINE_REGION: pipeline.data!, alarmKeyArn, DELETION_ALLOW_LIST: config.data!.DELETION_ALLOW_LIST };
}
