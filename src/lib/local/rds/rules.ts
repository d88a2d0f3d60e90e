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
