/**
 * Tags the pipeline puts on what it creates. The managed-by tag is what makes a target cluster
 * deletable by a later restore; the operation tag ties a snapshot copy, cluster or instance to the
 * restore operation that created it (idempotency checks and "created once" audits read it).
 */
export const MANAGED_BY_TAG = 'aurora-restore:managed-by';
export const MANAGED_BY_VALUE = 'aurora-restore';
export const OPERATION_TAG = 'aurora-restore:operation-id';

/** What the pipeline creates is tagged with the request's tags (`cluster.tags`, keys on ALLOWED_TAG_KEYS) and its own, which win. */
export function creationTags(operationId: string, requested: Record<string, string> | undefined): Record<string, string> {
  return { ...(requested ?? {}), [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: operationId };
}
