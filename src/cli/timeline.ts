import type { EventBridgeEnvelope } from '../events/envelope';
import { RDS_SOURCE } from '../events/rds';
import type { AuditEvent } from '../schemas/audit-event';
import type { OperationState } from '../schemas/operation-state';

type D = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** Time since the operation started: `+mm:ss`, or `+h:mm:ss` from an hour on. */
export function elapsed(fromMs: number, atMs: number): string {
  const s = Math.max(0, Math.round((atMs - fromMs) / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return `+${hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}` : String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
}

/** Width of the elapsed column: `+h:mm:ss` (restores end within STATE_MACHINE_TIMEOUT_SECONDS, hours at most). */
const ELAPSED_WIDTH = 8;

/** One timeline line as data (`--json`): the same fields the text line shows. */
export interface TimelineEntry {
  at: string;
  elapsed: string;
  actor: string;
  text: string;
}

export function timelineEntry(startMs: number, atMs: number, actor: string, text: string): TimelineEntry {
  return { at: new Date(atMs).toISOString(), elapsed: elapsed(startMs, atMs), actor, text };
}

/** One line per pipeline event: who acted and what happened, in words. Re-checks only when verbose. */
export function describeEvent(env: EventBridgeEnvelope, verbose = false): { actor: string; text: string } | undefined {
  const d = env.detail as D;
  if (env.source === RDS_SOURCE) return { actor: 'Aurora', text: `${d.EventID} ${d.Message} (${d.SourceIdentifier})` };
  switch (env['detail-type']) {
    case 'RestoreRequested': {
      const r = d.request as D;
      const from = r.snapshotId ?? `${r.sourceClusterId}${r.snapshotDate ? ` @ ${r.snapshotDate}` : ' (latest)'}`;
      const how = r.source === 'clone' ? `a clone of ${r.sourceClusterId}` : r.source === 'point-in-time' ? `${r.sourceClusterId} at ${r.restoreTime ?? 'its latest restorable time'}` : from;
      const replacing = r.deleteExisting ? (r.strategy === 'swap' ? ', swapping it in for the existing cluster' : ', replacing the existing cluster') : '';
      return { actor: 'request', text: `restore ${r.targetClusterId} in ${r.targetRegion} from ${how} (${r.sourceRegion})${replacing}` };
    }
    case 'SourceClusterValidated':
      return {
        actor: 'snapshot-check',
        text: `✓ ${d.sourceCluster.clusterId} is available: ${d.source === 'clone' ? 'cloning it (copy-on-write)' : `restoring it to ${d.restoreTime ?? 'its latest restorable time'}`} (${[d.sourceCluster.engine, d.sourceCluster.engineVersion].filter(Boolean).join(' ')})`,
      };
    case 'SnapshotValidated':
      return { actor: 'snapshot-check', text: `✓ snapshot ${d.snapshot.snapshotId} is available (${d.snapshot.engine}${d.snapshot.encrypted ? ', encrypted' : ''})` };
    case 'CopyStarted':
      return { actor: 'copy-snapshot', text: `→ copying to ${d.target.region} as ${d.target.snapshotId}` };
    case 'CopyCompleted':
      return d.skipped
        ? { actor: 'copy-snapshot', text: '✓ same region: nothing to copy' }
        : { actor: 'check-copy-status', text: `✓ copy ${d.snapshot.snapshotId} is available` };
    case 'ClusterDeletionStarted':
      return { actor: d.retiring ? 'retire-cluster' : 'delete-rds', text: `→ deleting ${d.retiring ? 'the old cluster ' : ''}${d.clusterId} (${d.finalSnapshotId ? `final snapshot ${d.finalSnapshotId}` : 'no final snapshot'})` };
    case 'TargetCleared':
      if (d.retained) return { actor: 'delete-rds', text: '✓ existing cluster may be replaced; it keeps serving until the swap' };
      return d.deleted ? { actor: 'check-delete-status', text: '✓ existing cluster deleted' } : { actor: 'delete-rds', text: '✓ no existing cluster to delete' };
    case 'TargetVacated':
      return { actor: 'swap-out', text: d.renamed ? `✓ old cluster renamed ${d.retiredClusterId}: ${d.clusterId} is free` : `✓ ${d.clusterId} is free (no old cluster)` };
    case 'ClustersSwapped':
      return { actor: 'swap-in', text: `✓ ${d.fromClusterId} renamed ${d.clusterId}: it serves at ${d.writerEndpoint}` };
    case 'OldClusterRetired':
      return { actor: d.deleted ? 'check-delete-status' : 'retire-cluster', text: d.deleted ? `✓ old cluster ${d.clusterId} deleted` : '✓ no old cluster to retire' };
    case 'ClusterRestoreStarted':
      return { actor: 'restore-snapshot', text: `→ creating ${d.clusterId}; its writer ${d.instanceId} follows once the cluster is available` };
    case 'ClusterAvailable':
      return { actor: 'check-restore-status', text: `✓ ${d.clusterId} is available at ${d.writerEndpoint}:${d.port}` };
    case 'UsersConfigured': {
      const sql = d.postRestoreSql?.length ? `; post-restore SQL ${d.postRestoreSql.map((h: { file: string; outcome: string }) => `${h.file} ${h.outcome.replace('-', ' ')}`).join(', ')}` : '';
      const checks = d.validationsPassed?.length ? `; validations passed: ${d.validationsPassed.join(', ')}` : '';
      return { actor: 'setup-db-users', text: `✓ master password rotated (${d.masterSecretName})${sql}${checks}; users ready: ${d.users.join(', ')}` };
    }
    case 'RestoreSucceeded':
      return { actor: 'archive-snapshot', text: d.snapshotArchive === 'not-copied' ? '✓ nothing was copied: nothing to delete' : `✓ copied snapshot ${d.snapshotArchive}` };
    case 'RestoreFailed':
      return { actor: d.step, text: `✗ ${d.code}: ${d.message}` };
    case 'OperationDeadlineReached':
      return { actor: 'watchdog', text: '⏰ deadline reached' };
    case 'RecheckDue':
      return verbose ? { actor: 'timer', text: `↻ re-check ${d.check} #${d.attempt}` } : undefined;
    default:
      return undefined;
  }
}

/** A timeline line, the same in the live timeline and the history: elapsed (right-aligned), UTC time, actor, text. */
export function formatEntry(e: TimelineEntry): string {
  return `  ${e.elapsed.padStart(ELAPSED_WIDTH)}  ${e.at.slice(11, 19)}  ${pad(e.actor, 21)} ${e.text}`;
}

export function formatLine(startMs: number, atMs: number, actor: string, text: string): string {
  return formatEntry(timelineEntry(startMs, atMs, actor, text));
}

/** An audit line as a timeline entry: what the step did (✓), waited for (·) or failed with (✗), and its details. */
export function auditEntry(startMs: number, e: AuditEvent): TimelineEntry {
  const detail = e.error ? `${e.error.code}: ${e.error.message}` : Object.entries(e.details ?? {}).filter(([k]) => k !== 'metrics').map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');
  return timelineEntry(startMs, Date.parse(e.timestamp), e.step, `${e.status === 'FAILURE' ? '✗' : e.status === 'SUCCESS' ? '✓' : '·'} ${e.event_type}${detail ? ` ${detail}` : ''}`);
}

/** The timeline of an operation, from its audit trail. */
export function auditTimeline(state: OperationState, trail: AuditEvent[]): string[] {
  const start = Date.parse(state.start_time);
  return trail.map((e) => formatEntry(auditEntry(start, e)));
}

/** A short human summary of an operation's state. */
export function summary(state: OperationState): string[] {
  const m = state.metrics;
  const lines = [
    `  operation   ${state.operation_id}`,
    `  status      ${state.status}${state.error ? ` (${state.error.step}: ${state.error.code})` : ''}`,
    `  target      ${state.parameters.target_cluster_id} in ${state.parameters.target_region}`,
  ];
  if (state.restore_details.writer_endpoint) lines.push(`  endpoint    ${state.restore_details.writer_endpoint}:${state.restore_details.port ?? 5432}`);
  if (state.error) lines.push(`  error       ${state.error.message}`);
  if (m.total_duration_seconds !== undefined) {
    const parts = [
      ['validate', m.snapshot_validation_duration_seconds],
      ['copy', m.snapshot_copy_duration_seconds],
      ['delete', m.delete_duration_seconds],
      ['restore', m.restore_duration_seconds],
      ['users', m.user_setup_duration_seconds],
      ['swap', m.swap_duration_seconds],
    ]
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k} ${v}s`);
    lines.push(`  durations   total ${m.total_duration_seconds}s (simulated)${parts.length ? ` — ${parts.join(', ')}` : ''}; retries ${m.retry_count}, errors ${m.error_count}`);
    if (m.target_unavailable_seconds !== undefined) lines.push(`  downtime    ${state.parameters.target_cluster_id} served no database for ${m.target_unavailable_seconds}s`);
  }
  return lines;
}
