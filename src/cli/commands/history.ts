/** `status ID` and `list`: read-only, locally from the data folder's files, on AWS from the deployed tables. */
import { Command } from 'commander';
import type { OperationState } from '../../schemas/operation-state';
import { exitForStatus, notFound } from '../exit';
import { withAwsOptions, withJson, withLocalOptions } from '../flags';
import type { History } from '../history';
import { readFolder, type LocalFlags } from '../local';
import { out, printJson } from '../output';
import { auditTimeline, summary } from '../timeline';

/** The history a command reads: the deployed tables with --aws, else the data folder. */
export async function historyOf(o: LocalFlags & { aws?: boolean; region?: string; stage?: string; profile?: string }): Promise<History> {
  if (o.aws) {
    const { awsHistory, awsTarget } = await import('../aws');
    return awsHistory(await awsTarget(o));
  }
  return (await readFolder(o)).history;
}

export async function requireOperation(history: History, id: string): Promise<OperationState> {
  const state = await history.get(id);
  if (!state) throw notFound(`<operation-id>: no operation ${id} in ${history.where}; \`aurora-restore list\` shows them`);
  return state;
}

export function statusCommand(): Command {
  const cmd = new Command('status').description('show an operation: its state and its step timeline from the audit trail').argument('<operation-id>', 'e.g. restore-20261124-020000-q0e54n');
  withLocalOptions(cmd);
  withJson(cmd, 'print the state object with its audit trail (audit_trail) as JSON');
  withAwsOptions(cmd, 'read the deployed state and audit tables instead of the data folder');
  cmd.addHelpText('after', '\nExit code: 0 SUCCEEDED, 1 FAILED, 3 no such operation, 4 still running.\n\nExamples:\n  aurora-restore status restore-20261124-020000-q0e54n\n  aurora-restore status restore-20261124-020000-q0e54n --json --aws --stage prod --region us-east-1\n');
  cmd.action(async (id: string, o) => {
    const history = await historyOf(o);
    const state = await requireOperation(history, id);
    const trail = await history.trail(id);
    if (o.json) printJson({ ...state, audit_trail: trail });
    else {
      for (const line of summary(state)) out(line);
      out('');
      for (const line of auditTimeline(state, trail)) out(line);
    }
    process.exitCode = exitForStatus(state.status);
  });
  return cmd;
}

const COLUMNS = ['OPERATION', 'STATUS', 'TARGET', 'REGION', 'STARTED (UTC)', 'ERROR'] as const;

/** `list` as a table with a header: the columns padded to their widest value. */
export function listTable(all: OperationState[]): string[] {
  const rows = all.map((s) => [s.operation_id, s.status, s.parameters.target_cluster_id, s.parameters.target_region, s.start_time.slice(0, 19).replace('T', ' '), s.error?.code ?? '']);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(COLUMNS), ...rows.map(line)];
}

export function listCommand(): Command {
  const cmd = new Command('list').description('list operations, newest first');
  withLocalOptions(cmd);
  withJson(cmd, 'print the operations as a JSON array');
  withAwsOptions(cmd, 'read the deployed state table instead of the data folder');
  cmd.addHelpText('after', '\nExamples:\n  aurora-restore list\n  aurora-restore list --json --aws --stage prod --region us-east-1\n');
  cmd.action(async (o) => {
    const history = await historyOf(o);
    const all = await history.list();
    if (o.json) {
      printJson(all.map((s) => ({ operation_id: s.operation_id, status: s.status, target: s.parameters.target_cluster_id, target_region: s.parameters.target_region, start_time: s.start_time, last_updated_time: s.last_updated_time, error: s.error })));
    } else if (all.length === 0) out(`no operations yet in ${history.where}${o.aws ? '' : ': run `aurora-restore start`'}`);
    else for (const line of listTable(all)) out(line);
  });
  return cmd;
}
