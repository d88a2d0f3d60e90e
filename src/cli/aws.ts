/**
 * The CLI on a deployed stack (`--aws`): which deployment (`--region`, `--stage`, `--profile`), its names
 * (src/infra/template namesFor: tables aurora-restore-<stage>-state/-audit, bus aurora-restore-<stage>),
 * the history read from its tables, and AWS errors turned into one line each (missing credentials or
 * region, a stage not deployed there, access denied) instead of an SDK stack trace.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { namesFor } from '../infra/template/common';
import { AuditLog } from '../lib/audit-log';
import { sdkClientOptions } from '../lib/aws/client-options';
import { StateStore } from '../lib/state-store';
import { region as regionSchema } from '../schemas/identifiers';
import { CliError, failure, usageError } from './exit';
import { DEFAULT_STAGE } from './flags';
import type { History } from './history';

export interface AwsFlags {
  region?: string;
  stage?: string;
  profile?: string;
}

export interface AwsTarget {
  region: string;
  stage: string;
  names: ReturnType<typeof namesFor>;
  /** Which flag (or variable) chose the stage, for messages. */
  stageFrom: string;
}

/** Resolves the deployment: region (flag, environment, profile), stage (flag, AURORA_RESTORE_STAGE, dev), profile. */
export async function awsTarget(o: AwsFlags): Promise<AwsTarget> {
  if (o.profile !== undefined) {
    if (!/^[\w.@+-]+$/.test(o.profile)) throw usageError(`--profile: expected a profile name, got "${o.profile}"`);
    process.env.AWS_PROFILE = o.profile;
  }
  let region = o.region;
  if (region !== undefined) {
    if (!regionSchema.safeParse(region).success) throw usageError(`--region: expected an AWS region such as us-east-1, got "${region}"`);
  } else {
    try {
      // The SDK's own chain: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region in ~/.aws/config.
      region = await new DynamoDBClient({}).config.region();
    } catch {
      region = undefined;
    }
    if (!region) throw usageError('--region: no region given; pass --region (or set AWS_REGION, or a region in the AWS profile)');
  }
  const stage = o.stage ?? process.env.AURORA_RESTORE_STAGE ?? DEFAULT_STAGE;
  if (!/^[a-zA-Z0-9-]+$/.test(stage)) throw usageError(`--stage: expected a stage name such as dev (letters, digits, hyphens), got "${stage}"`);
  const stageFrom = o.stage !== undefined ? '--stage' : process.env.AURORA_RESTORE_STAGE ? 'AURORA_RESTORE_STAGE' : `--stage (default ${DEFAULT_STAGE})`;
  return { region, stage, names: namesFor(stage), stageFrom };
}

export function dynamoOf(t: AwsTarget): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(sdkClientOptions({ region: t.region, maxAttempts: 3 })), { marshallOptions: { removeUndefinedValues: true } });
}

export function eventBridgeOf(t: AwsTarget): EventBridgeClient {
  return new EventBridgeClient(sdkClientOptions({ region: t.region, maxAttempts: 3 }));
}

/** The deployed tables as the history `status`, `list` and `watch` read. */
export function awsHistory(t: AwsTarget): History {
  const dynamo = dynamoOf(t);
  const store = new StateStore({ dynamo, tableName: t.names.stateTable, ttlDays: 1 });
  const audit = new AuditLog({ dynamo, tableName: t.names.auditTable, ttlDays: 1 });
  const guard = <T>(what: string, p: Promise<T>) => p.catch((e) => Promise.reject(awsProblem(e, t, what)));
  return {
    where: `table ${t.names.stateTable} in ${t.region}`,
    list: () => guard(`table ${t.names.stateTable}`, store.list()),
    get: (id) => guard(`table ${t.names.stateTable}`, store.get(id)),
    trail: (id) => guard(`table ${t.names.auditTable}`, audit.trail(id)),
  };
}

/** One line for an AWS error (what it is, and what to do); unknown errors keep their name and message, never a stack. */
export function awsProblem(e: unknown, t: Pick<AwsTarget, 'region' | 'stage' | 'stageFrom'>, resource: string): CliError {
  if (e instanceof CliError) return e;
  const name = (e as Error)?.name ?? 'Error';
  const message = String((e as Error)?.message ?? e).split('\n')[0];
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return failure('--aws: no AWS credentials found; pass --profile, or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  if (['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'ExpiredTokenException', 'ExpiredToken'].includes(name)) {
    return failure(`--aws: the AWS credentials were refused (${name}); refresh them or pass another --profile`);
  }
  if (name === 'ResourceNotFoundException') {
    return failure(`${t.stageFrom}: ${resource} does not exist in ${t.region} (stage "${t.stage}"); is the pipeline deployed with this --stage in this --region?`);
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return failure(`--aws: access denied to ${resource} in ${t.region}: ${message}`);
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOTFOUND' || code === 'ECONNREFUSED' || code === 'EAI_AGAIN' || name === 'TimeoutError') {
    return failure(`--region ${t.region}: cannot reach AWS (${code ?? name}); check the network and the region`);
  }
  return failure(`--aws: ${resource}: ${name}: ${message}`);
}
