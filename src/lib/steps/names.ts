/**
 * Deterministic names for what the pipeline creates, derived from the operation id, so a retried step
 * finds its own resource instead of creating a second one. Every RDS name is a valid RDS identifier:
 * "Must contain from 1 to 63 letters, numbers, or hyphens. First character must be a letter. Can't end
 * with a hyphen or contain two consecutive hyphens." — and lowercase, as RDS stores it.
 */
import { createHash } from 'node:crypto';

export const RDS_IDENTIFIER_MAX = 63;
const HASH_CHARS = 8;

const suffixOf = (operationId: string) => operationId.slice(-6).toLowerCase();

/**
 * `raw` as an RDS identifier of at most `max` characters: lowercase, letters, digits and single hyphens,
 * starting with a letter. A name that had to be shortened keeps its beginning and ends with a hash of the
 * whole, so two long names that share a beginning never map to the same identifier.
 */
export function rdsIdentifier(raw: string, max = RDS_IDENTIFIER_MAX): string {
  const clean = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  if (clean === '') throw new Error(`rdsIdentifier: ${JSON.stringify(raw)} has no letter to start an identifier with`);
  if (clean.length <= max) return clean;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, HASH_CHARS);
  return `${clean.slice(0, max - HASH_CHARS - 1).replace(/-+$/, '')}-${hash}`;
}

/** `<base>-<suffix>` within the limit: the base is shortened (with its hash), the suffix kept whole. */
function withSuffix(base: string, suffix: string): string {
  return `${rdsIdentifier(base, RDS_IDENTIFIER_MAX - suffix.length - 1)}-${suffix}`;
}

/** The copy of a snapshot in the target region: `aurora-restore-<op>-<source snapshot>` (the prefix scopes its IAM grants). */
export const copiedSnapshotId = (operationId: string, sourceSnapshotId: string) =>
  rdsIdentifier(`aurora-restore-${suffixOf(operationId)}-${sourceSnapshotId.replace(/^rds:/, '')}`);

/** The final snapshot of a deleted target cluster: `<cluster>-final-<op>`. */
export const finalSnapshotId = (operationId: string, clusterId: string) => withSuffix(clusterId, `final-${suffixOf(operationId)}`);

/** Swap: the new cluster is built under `<target>-new-<op>` while the old one keeps serving. */
export const temporaryClusterId = (operationId: string, targetClusterId: string) => withSuffix(targetClusterId, `new-${suffixOf(operationId)}`);

/** Swap: the old cluster is renamed `<target>-old-<op>` before it is retired. */
export const retiredClusterId = (operationId: string, targetClusterId: string) => withSuffix(targetClusterId, `old-${suffixOf(operationId)}`);

/** The writer instance of a restored cluster: `<cluster>-writer`. */
export const writerInstanceId = (clusterId: string) => withSuffix(clusterId, 'writer');

/** Reader `n` (1-based) of a restored cluster: `<cluster>-reader-<n>`. */
export const readerInstanceId = (clusterId: string, n: number) => withSuffix(clusterId, `reader-${n}`);

/**
 * A cluster endpoint after the cluster is renamed: "mydbcluster.cluster-c7tj4example.us-east-1.rds.amazonaws.com"
 * — the first label is the cluster identifier, the rest (account and region) stays.
 */
export const endpointAfterRename = (endpoint: string, clusterId: string) => endpoint.replace(/^[^.]+/, clusterId);

export const masterSecretName = (clusterId: string) => `aurora-restore/clusters/${clusterId.toLowerCase()}/master`;

export const deadlineScheduleName = (operationId: string) => `${operationId}-deadline`;
