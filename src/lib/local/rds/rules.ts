/**
 * RDS's own input rules, as the simulator enforces them: each refusal carries the fault RDS answers
 * with, and the documented sentence it comes from (RDS API reference unless said otherwise).
 * tests/local/aws-rules.test.ts lists every rule the local runtime enforces with the test that shows it.
 */
import { randomUUID } from 'node:crypto';
import {
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DBClusterSnapshotAlreadyExistsFault,
  DBClusterSnapshotNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  InvalidDBClusterSnapshotStateFault,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  KMSKeyNotAccessibleFault,
  RDSServiceException,
} from '@aws-sdk/client-rds';

const MODELED_FAULTS: Record<string, new (o: { message: string; $metadata: Record<string, unknown> }) => Error> = {
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DBClusterSnapshotAlreadyExistsFault,
  DBClusterSnapshotNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  InvalidDBClusterSnapshotStateFault,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  KMSKeyNotAccessibleFault,
};

/**
 * An error exactly as the SDK v3 throws it: the modeled exception class when RDS models the fault,
 * otherwise the service's base exception with the fault name (Throttling, InvalidParameterValue, ...).
 */
export function rdsFault(name: string, message: string, httpStatusCode = 400): Error {
  const $metadata = { httpStatusCode, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 };
  const Modeled = MODELED_FAULTS[name];
  if (Modeled) return new Modeled({ message, $metadata });
  return new RDSServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata, message });
}

/**
 * "Must contain from 1 to 63 letters, numbers, or hyphens." / "First character must be a letter." /
 * "Can't end with a hyphen or contain two consecutive hyphens." — the constraint RDS states for
 * DBClusterIdentifier (RestoreDBClusterFromSnapshot), DBInstanceIdentifier (CreateDBInstance) and
 * TargetDBClusterSnapshotIdentifier (CopyDBClusterSnapshot). DeleteDBCluster's FinalDBSnapshotIdentifier
 * has the same characters but "Must be 1 to 255 letters, numbers, or hyphens."
 */
export const RDS_IDENTIFIER_MAX = 63;
export const FINAL_SNAPSHOT_IDENTIFIER_MAX = 255;

export function isRdsIdentifier(id: string, max = RDS_IDENTIFIER_MAX): boolean {
  return id.length >= 1 && id.length <= max && /^[a-z](?:[a-z0-9]|-(?!-))*$/i.test(id) && !id.endsWith('-');
}

/**
 * Refuses an identifier RDS would refuse (InvalidParameterValue, "An invalid or out-of-range value was
 * supplied for the input parameter."), naming the parameter. Identifiers are case-insensitive ("This
 * parameter isn't case-sensitive"; "This parameter is stored as a lowercase string"): returned lowercase.
 */
export function checkIdentifier(id: unknown, parameter: string, max = RDS_IDENTIFIER_MAX): string {
  if (typeof id !== 'string' || id === '') throw rdsFault('MissingParameter', `The request must contain the parameter ${parameter}.`);
  if (!isRdsIdentifier(id, max)) {
    throw rdsFault(
      'InvalidParameterValue',
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; must not end with a hyphen or contain two consecutive hyphens; and must be 1 to ${max} characters.`,
    );
  }
  return id.toLowerCase();
}

/** A lookup key: identifiers are case-insensitive ("stored as a lowercase string"). */
export const idKey = (id: string | undefined): string => (id ?? '').toLowerCase();

/** Required request parameters (RDS answers a missing one with InvalidParameterValue / MissingParameter). */
export function required<T>(value: T | undefined, parameter: string): T {
  if (value === undefined || value === null || value === '') throw rdsFault('MissingParameter', `The request must contain the parameter ${parameter}.`);
  return value;
}

/**
 * Engine versions compare segment by segment, numerically where both are numbers
 * (16.10 > 16.4; 8.0.mysql_aurora.3.08.0 < 8.0.mysql_aurora.3.10.0).
 */
export function compareEngineVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

/** Key references match by ARN, key id or alias, as KMS resolves them: all reduce to `key/<id>` or `alias/<name>`. */
export function keyRef(k: string): string {
  if (k.startsWith('arn:')) return k.split(':').slice(5).join(':');
  return k.startsWith('alias/') || k.startsWith('key/') ? k : `key/${k}`;
}
export const sameKey = (a: string, b: string) => keyRef(a) === keyRef(b);

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The parameter group family of an engine version: "A DB cluster parameter group can be associated with one and
 * only one DB cluster parameter group family, and can be applied only to a DB cluster running a database engine
 * and engine version compatible with that DB cluster parameter group family." (CreateDBClusterParameterGroup,
 * DBParameterGroupFamily; e.g. aurora-postgresql16, aurora-mysql8.0).
 */
export function parameterGroupFamily(engine: string, engineVersion: string | undefined): string {
  const v = engineVersion ?? '';
  if (engine === 'aurora-mysql') return `aurora-mysql${v.split('.').slice(0, 2).join('.') || '8.0'}`;
  return `${engine}${v.split('.')[0]}`;
}

/**
 * Refuses a parameter group RDS would refuse: one that does not exist (DBClusterParameterGroupNotFound /
 * DBParameterGroupNotFound; the `default.<family>` groups always exist), or one of another family — RDS
 * answers InvalidParameterCombination "The Parameter Group … with DBParameterGroupFamily … cannot be used for
 * this instance. Please use a Parameter Group with DBParameterGroupFamily …".
 */
export function checkParameterGroup(
  groups: { name: string; family: string; kind: 'cluster' | 'instance' }[],
  kind: 'cluster' | 'instance',
  name: string,
  engine: string,
  engineVersion: string | undefined,
): void {
  const family = parameterGroupFamily(engine, engineVersion);
  const found = name.startsWith('default.') ? { name, family: name.slice('default.'.length) } : groups.find((g) => g.kind === kind && g.name.toLowerCase() === name.toLowerCase());
  if (!found) {
    throw rdsFault(kind === 'cluster' ? 'DBClusterParameterGroupNotFound' : 'DBParameterGroupNotFound', `${kind === 'cluster' ? 'DBClusterParameterGroup' : 'DBParameterGroup'} not found: ${name}`, 404);
  }
  if (found.family !== family) {
    throw rdsFault(
      'InvalidParameterCombination',
      `The Parameter Group ${name} with DBParameterGroupFamily ${found.family} cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily ${family}`,
    );
  }
}

/**
 * Aurora Serverless v2's capacity range: "You can specify ACU values in half-step increments"; "For Aurora versions
 * that support the Aurora Serverless v2 auto-pause feature, the smallest value that you can use is 0. For versions
 * that don't support Aurora Serverless v2 auto-pause, the smallest value that you can use is 0.5."; "The largest
 * value that you can use is 256 for recent Aurora versions" (ServerlessV2ScalingConfiguration); "The maximum
 * capacity must be higher than 0.5 ACUs" (CloudFormation). Auto-pause came with Aurora PostgreSQL 16.3, 15.7,
 * 14.12, 13.15 and Aurora MySQL 3.08.0 (Aurora user guide, scaling to zero ACUs).
 */
export function checkServerlessCapacity(engine: string, engineVersion: string | undefined, c: { MinCapacity?: number; MaxCapacity?: number }): void {
  const min = c.MinCapacity;
  const max = c.MaxCapacity;
  if (min === undefined || max === undefined) throw rdsFault('InvalidParameterCombination', 'ServerlessV2ScalingConfiguration needs MinCapacity and MaxCapacity.');
  for (const [name, v] of [['MinCapacity', min], ['MaxCapacity', max]] as const) {
    if (!Number.isFinite(v) || Math.round(v * 2) !== v * 2) throw rdsFault('InvalidParameterValue', `${name} ${v} is not in half-step increments of ACUs.`);
  }
  const autoPause = supportsAutoPause(engine, engineVersion);
  const floor = autoPause ? 0 : 0.5;
  if (min < floor) throw rdsFault('InvalidParameterValue', `MinCapacity ${min} is below the smallest value ${floor} for ${engine} ${engineVersion ?? ''}`.trim() + (autoPause ? '.' : ' (this version does not support auto-pause).'));
  if (max > 256) throw rdsFault('InvalidParameterValue', `MaxCapacity ${max} is above the largest value 256.`);
  if (max <= 0.5) throw rdsFault('InvalidParameterValue', `MaxCapacity ${max}: the maximum capacity must be higher than 0.5 ACUs.`);
  if (min > max) throw rdsFault('InvalidParameterCombination', `MinCapacity ${min} is above MaxCapacity ${max}.`);
}

function supportsAutoPause(engine: string, engineVersion: string | undefined): boolean {
  if (!engineVersion) return false;
  if (engine === 'aurora-mysql') {
    const aurora = engineVersion.split('mysql_aurora.')[1];
    return aurora !== undefined && compareEngineVersions(aurora, '3.08.0') >= 0;
  }
  const major = Number(engineVersion.split('.')[0]);
  const since: Record<number, string> = { 13: '13.15', 14: '14.12', 15: '15.7', 16: '16.3' };
  return major >= 17 || (since[major] !== undefined && compareEngineVersions(engineVersion, since[major]) >= 0);
}

/** EnableCloudwatchLogsExports, per engine (RestoreDBClusterFromSnapshot): "Aurora PostgreSQL: Possible value are instance, postgresql, and iam-db-auth-error." */
export const CLOUDWATCH_LOG_TYPES: Record<string, string[]> = {
  'aurora-postgresql': ['instance', 'postgresql', 'iam-db-auth-error'],
  'aurora-mysql': ['audit', 'error', 'general', 'instance', 'slowquery', 'iam-db-auth-error'],
};

/**
 * The cluster settings both restores take, checked as RDS checks them; returns what the cluster record keeps.
 * Port: "Constraints: This value must be 1150-65535".
 */
export function checkClusterSettings(
  input: Record<string, any>,
  engine: string,
  engineVersion: string | undefined,
  groups: { name: string; family: string; kind: 'cluster' | 'instance' }[],
): { port?: number; serverless?: { min: number; max: number }; logExports: string[]; iamAuth: boolean; clusterParameterGroup?: string } {
  if (input.Port !== undefined && !(Number.isInteger(input.Port) && input.Port >= 1150 && input.Port <= 65535)) {
    throw rdsFault('InvalidParameterValue', `Port ${input.Port} is invalid: the value must be 1150-65535.`);
  }
  const logExports: string[] = input.EnableCloudwatchLogsExports ?? [];
  const allowed = CLOUDWATCH_LOG_TYPES[engine] ?? [];
  const bad = logExports.filter((l) => !allowed.includes(l));
  if (bad.length) throw rdsFault('InvalidParameterValue', `You cannot use the log types '${bad.join(', ')}' with engine ${engine}. Possible values are ${allowed.join(', ')}.`);
  if (input.DBClusterParameterGroupName !== undefined) checkParameterGroup(groups, 'cluster', input.DBClusterParameterGroupName, engine, engineVersion);
  let serverless: { min: number; max: number } | undefined;
  if (input.ServerlessV2ScalingConfiguration !== undefined) {
    checkServerlessCapacity(engine, engineVersion, input.ServerlessV2ScalingConfiguration);
    serverless = { min: input.ServerlessV2ScalingConfiguration.MinCapacity, max: input.ServerlessV2ScalingConfiguration.MaxCapacity };
  }
  return { port: input.Port, serverless, logExports, iamAuth: input.EnableIAMDatabaseAuthentication === true, clusterParameterGroup: input.DBClusterParameterGroupName };
}
