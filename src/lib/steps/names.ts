/**
 * Deterministic names for what the pipeline creates, derived from the operation id, so a retried step
 * finds its own resource instead of creating a second one.
 */
const suffixOf = (operationId: string) => operationId.slice(-6);

/** RDS identifiers: at most `max` characters, no trailing or doubled hyphen. */
function identifier(raw: string, max: number): string {
  return raw.replace(/[^A-Za-z0-9-]/g, '-').replace(/-+/g, '-').slice(0, max).replace(/-+$/, '');
}

export const copiedSnapshotId = (operationId: string, sourceSnapshotId: string) =>
  identifier(`aurora-restore-${suffixOf(operationId)}-${sourceSnapshotId.replace(/^rds:/, '')}`, 255);

export const finalSnapshotId = (operationId: string, clusterId: string) => identifier(`${clusterId.slice(0, 40)}-final-${suffixOf(operationId)}`, 255);

export const writerInstanceId = (clusterId: string) => `${identifier(clusterId, 56)}-writer`;

export const masterSecretName = (clusterId: string) => `aurora-restore/clusters/${clusterId}/master`;

export const deadlineScheduleName = (operationId: string) => `${operationId}-deadline`;
