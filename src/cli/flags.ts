/**
 * Flags shared by the commands, and the mapping between `start`'s flags and the restore request, so that
 * an error names the flag the user typed (`--target-cluster: …`), or the scenario's `request.<field>` when
 * the value came from there.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { core } from '../schemas/zod';
import { isoTimestamp } from '../schemas/identifiers';
import { restoreRequest, type RestoreRequest } from '../schemas/restore-request';
import { usageError } from './exit';

export const DEFAULT_DATA_DIR = '.aurora-restore';
export const DEFAULT_STAGE = 'dev';

/** Request field → the `start` flag that sets it. */
export const REQUEST_FLAGS: Record<string, string> = {
  snapshotId: '--snapshot-id',
  sourceClusterId: '--source-cluster',
  snapshotDate: '--snapshot-date',
  sourceRegion: '--source-region',
  targetRegion: '--target-region',
  targetClusterId: '--target-cluster',
  instanceClass: '--instance-class',
  subnetGroup: '--subnet-group',
  securityGroupIds: '--security-group-ids',
  deleteExisting: '--delete-existing',
  keepSnapshot: '--keep-snapshot',
  skipFinalSnapshot: '--skip-final-snapshot',
  strategy: '--strategy',
  source: '--source',
  restoreTime: '--restore-time',
};

/** commander's option key of a flag (`--target-cluster` → `targetCluster`). */
const keyOf = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export interface RequestDraft {
  /** The request before validation: the defaults with the flags over them. */
  raw: Record<string, unknown>;
  /** The fields a flag set (the others came from the defaults). */
  fromFlags: Set<string>;
  /** Where the defaults came from, for messages: `scenario request` (local) or nothing (`--aws`). */
  defaultsName?: string;
}

/**
 * `start`'s flags over the defaults (the scenario's request). The snapshot is ONE choice: a flag that names
 * it (`--snapshot-id`, or `--source-cluster` / `--snapshot-date`) replaces the defaults' choice instead of
 * merging with it.
 */
export function requestFromFlags(o: Record<string, unknown>, defaults: Record<string, unknown> = {}, defaultsName?: string): RequestDraft {
  const raw: Record<string, unknown> = { ...defaults };
  if (o.snapshotId !== undefined) {
    delete raw.sourceClusterId;
    delete raw.snapshotDate;
  }
  if (o.sourceCluster !== undefined || o.snapshotDate !== undefined) delete raw.snapshotId;
  // Another source cluster: its latest snapshot unless --snapshot-date says which day.
  if (o.sourceCluster !== undefined && o.snapshotDate === undefined) delete raw.snapshotDate;
  // A flag naming a snapshot makes it a snapshot restore; --source replaces the defaults' source (and its time).
  if ((o.snapshotId !== undefined || o.snapshotDate !== undefined) && o.source === undefined) {
    delete raw.source;
    delete raw.restoreTime;
  }
  if (o.source !== undefined) {
    if (o.restoreTime === undefined) delete raw.restoreTime;
    // A clone or point-in-time restore names the live source cluster, not a snapshot.
    if (o.source !== 'snapshot') {
      delete raw.snapshotId;
      delete raw.snapshotDate;
    }
  }
  const fromFlags = new Set<string>();
  for (const [field, flag] of Object.entries(REQUEST_FLAGS)) {
    const value = o[keyOf(flag)];
    if (value === undefined) continue;
    fromFlags.add(field);
    raw[field] = field === 'securityGroupIds' ? String(value).split(',').map((s) => s.trim()).filter(Boolean) : value;
  }
  return { raw, fromFlags, defaultsName };
}

/** Names a request field as the user gave it: its flag, or where its default came from. */
export function fieldLabel(field: string, draft: Pick<RequestDraft, 'fromFlags' | 'defaultsName'>): string {
  const flag = REQUEST_FLAGS[field];
  if (draft.fromFlags.has(field) || !draft.defaultsName) return flag ?? field;
  return `${draft.defaultsName}.${field} (or ${flag})`;
}

/** zod issues of the request, each naming the flag (or the scenario field). */
export function describeRequestIssues(error: core.$ZodError, draft: RequestDraft): string {
  return error.issues
    .map((i) => {
      const field = String(i.path[0] ?? '');
      const rest = i.path.slice(1).map(String);
      const missing = i.code === 'invalid_type' && draft.raw[field] === undefined;
      // An item of a list flag (--security-group-ids a,b): name the flag and the bad item.
      const value = draft.raw[field];
      const item = rest.length === 1 && /^\d+$/.test(rest[0]!) && Array.isArray(value) ? ` ${JSON.stringify(value[Number(rest[0])])}` : '';
      const label = item ? fieldLabel(field, draft) : [fieldLabel(field, draft), ...rest].join('.');
      return `${label}:${item}${item ? ':' : ''} ${missing ? 'required' : i.message}`;
    })
    .join('; ');
}

/** Validates the draft; a bad request is a usage error naming the flags. */
export function parseRequest(draft: RequestDraft): RestoreRequest {
  const r = restoreRequest.safeParse(draft.raw);
  if (!r.success) throw usageError(describeRequestIssues(r.error, draft));
  return r.data;
}

/** Parsers (commander `argParser`): a bad value is one line naming the flag. */
export function isoTime(flag: string) {
  return (value: string): Date => {
    if (!isoTimestamp.safeParse(value).success) {
      throw new InvalidArgumentError(`${flag}: expected an ISO-8601 time such as 2026-11-24T02:00:00Z (a real date, with Z or an offset), got "${value}"`);
    }
    return new Date(value);
  };
}

export function nonNegativeNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag}: expected a number of seconds (0 or more), got "${value}"`);
    return n;
  };
}

/** `--data-dir`, `--scenario` (local commands). */
export function withLocalOptions(cmd: Command, options: { reset?: boolean } = {}): Command {
  cmd
    .option('--data-dir <dir>', `folder where local state persists between commands (default: ${DEFAULT_DATA_DIR} in this folder or the nearest one above that has it, else in the project root)`)
    .option('--scenario <file>', "world to simulate (regions, clusters, snapshots, durations, faults); default: the data folder's own, else the built-in world");
  if (options.reset) cmd.option('--reset', 'start the data folder afresh (deletes its operations) when --scenario differs from the one it was made with');
  return cmd;
}

/** `--aws`, `--region`, `--stage`, `--profile` (commands that also work on a deployed stack). */
export function withAwsOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--aws', what)
    .option('--region <region>', 'with --aws: region of the deployed pipeline (default: AWS_REGION, AWS_DEFAULT_REGION or the profile\'s)')
    .addOption(new Option('--stage <stage>', `with --aws: the deployed stage: tables aurora-restore-<stage>-state/-audit, bus aurora-restore-<stage> (default: AURORA_RESTORE_STAGE, else ${DEFAULT_STAGE})`))
    .option('--profile <name>', 'with --aws: the AWS profile to use (default: AWS_PROFILE or the default chain)');
}

export function withJson(cmd: Command, what: string): Command {
  return cmd.option('--json', what);
}
