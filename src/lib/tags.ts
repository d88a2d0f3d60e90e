/**
 * Tags the pipeline puts on what it creates. The managed-by tag is what makes a target cluster
 * deletable by a later restore; the operation tag ties a snapshot copy, cluster or instance to the
 * restore operation that created it (idempotency checks and "created once" audits read it).
 */
export const MANAGED_BY_TAG = 'aurora-restore:managed-by';
export const MANAGED_BY_VALUE = 'aurora-restore';
export const OPERATION_TAG = 'aurora-restore:operation-id';
