/**
 * `watch ID`: the step timeline, live. Locally: the history so far, then (for an operation that has not
 * ended) the pipeline resumed until it ends. On AWS: the deployed audit trail, polled until the operation
 * ends — the Step Functions console's execution view, in a terminal.
 */
import { Command } from 'commander';
import { isTerminal, type OperationState } from '../../schemas/operation-state';
import type { AuditEvent } from '../../schemas/audit-event';
import { EXIT, exitForStatus } from '../exit';
import { nonNegativeNumber, withAwsOptions, withJson, withLocalOptions } from '../flags';
import type { History } from '../history';
import { liveTimeline } from '../live';
import { dataDirHint, interruptible, readFolder, withPipeline } from '../local';
import { err, out, printJsonLine } from '../output';
import { auditEntry, formatEntry, summary, type TimelineEntry } from '../timeline';
import { requireOperation } from './history';

export function watchCommand(): Command {
  const cmd = new Command('watch')
    .description('the live step timeline of an operation; locally it resumes an unfinished (or interrupted) operation until it ends')
    .argument('<operation-id>', 'e.g. restore-20261124-020000-q0e54n')
    .option('--verbose', 'also show scheduled re-checks and throttling retries (locally); waiting lines of the audit trail');
  withLocalOptions(cmd);
  withJson(cmd, 'print JSON lines: one per timeline entry, then {"state": …} at the end');
  withAwsOptions(cmd, 'follow an operation of the deployed pipeline (its state and audit tables)');
  cmd.option('--poll-seconds <n>', 'with --aws: seconds between two reads of the audit trail (default 10)', nonNegativeNumber('--poll-seconds'));
  cmd.addHelpText('after', '\nExit code: 0 SUCCEEDED, 1 FAILED, 3 no such operation, 4 interrupted (the operation goes on; watch it again).\n\nExamples:\n  aurora-restore watch restore-20261124-020000-q0e54n\n  aurora-restore watch restore-20261124-020000-q0e54n --aws --stage prod --region us-east-1\n');
  cmd.action(async (id: string, o) => (o.aws ? watchOnAws(id, o) : watchLocally(id, o)));
  return cmd;
}

function printer(json: boolean) {
  return {
    entry: (e: TimelineEntry) => (json ? printJsonLine(e) : out(formatEntry(e))),
    end: (state: OperationState) => {
      if (json) printJsonLine({ state });
      else {
        out('');
        for (const line of summary(state)) out(line);
      }
    },
  };
}

/** Waiting lines (INFO: re-checks) only with --verbose; what each step did or failed with always. */
const shown = (e: AuditEvent, verbose: boolean) => verbose || e.status !== 'INFO';

async function watchLocally(id: string, o: Record<string, any>): Promise<void> {
  const p = printer(Boolean(o.json));
  const { history, folder } = await readFolder(o);
  const state = await requireOperation(history, id);
  const start = Date.parse(state.start_time);
  for (const e of await history.trail(id)) if (shown(e, Boolean(o.verbose))) p.entry(auditEntry(start, e));
  if (isTerminal(state.status)) {
    p.end(state);
    process.exitCode = exitForStatus(state.status);
    return;
  }
  const interrupt = interruptible();
  try {
    await withPipeline(o, 'watch', liveTimeline((e) => p.entry(e), { verbose: Boolean(o.verbose), startMs: start }), async (pipeline) => {
      await pipeline.runUntilTerminal([id], { stop: interrupt.stopped });
      const now = (await pipeline.status(id))!;
      if (!isTerminal(now.status)) {
        err(interrupt.stopped() ? `interrupted — resume with \`aurora-restore watch ${id}${dataDirHint(folder)}\`` : `operation ${id} is still ${now.status}: nothing more can happen in the simulated world now`);
        process.exitCode = EXIT.RUNNING;
        return;
      }
      p.end(now);
      process.exitCode = exitForStatus(now.status);
    });
  } finally {
    interrupt.dispose();
  }
}

async function watchOnAws(id: string, o: Record<string, any>): Promise<void> {
  const { awsHistory, awsTarget } = await import('../aws');
  const target = await awsTarget(o);
  const history: History = awsHistory(target);
  const pollMs = (o.pollSeconds ?? 10) * 1000;
  const interrupt = interruptible();
  try {
    return await followOnAws(id, o, history, target, pollMs, interrupt.stopped);
  } finally {
    interrupt.dispose();
  }
}

/** How long `watch --aws` waits for a just-requested operation to be picked up by snapshot-check. */
const PICKUP_WINDOW_MS = 15 * 60_000;

/** restore-YYYYMMDD-HHMMSS-xxxxxx → the time it was requested. */
function requestedAt(id: string): number | undefined {
  const m = /^restore-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-[a-z0-9]{6}$/.exec(id);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

async function followOnAws(id: string, o: Record<string, any>, history: History, target: { region: string; stage: string }, pollMs: number, stopped: () => boolean): Promise<void> {
  const p = printer(Boolean(o.json));
  let state = await history.get(id);
  // Just requested (`start --aws`): its state appears once snapshot-check has taken the request.
  const at = requestedAt(id);
  if (!state && at !== undefined && Math.abs(Date.now() - at) < PICKUP_WINDOW_MS) {
    if (!o.json) err(`waiting for ${id} to be picked up by the pipeline…`);
    while (!state && Date.now() - at < PICKUP_WINDOW_MS && !stopped()) {
      await waitOrInterrupt(Math.max(pollMs, 200), stopped);
      state = await history.get(id);
    }
  }
  if (!state) state = await requireOperation(history, id);
  const start = Date.parse(state.start_time);
  const seen = new Set<string>();
  let ending = 0;
  {
    for (;;) {
      let ended = false;
      for (const e of await history.trail(id)) {
        ended ||= e.event_type === 'OPERATION_SUCCEEDED' || e.event_type === 'OPERATION_FAILED';
        if (seen.has(e.sk)) continue;
        seen.add(e.sk);
        if (shown(e, Boolean(o.verbose))) p.entry(auditEntry(start, e));
      }
      // sns-notification records the end in the state, then its audit line: wait (a little) for that line too.
      if (isTerminal(state.status) && (ended || ++ending > 5)) break;
      if (stopped()) {
        err(`stopped watching — the operation goes on; resume with \`aurora-restore watch ${id} --aws --region ${target.region} --stage ${target.stage}\``);
        process.exitCode = EXIT.RUNNING;
        return;
      }
      await waitOrInterrupt(isTerminal(state.status) ? Math.min(pollMs, 1000) : pollMs, stopped);
      state = await requireOperation(history, id);
    }
  }
  p.end(state);
  process.exitCode = exitForStatus(state.status);
}

/** Waits between two polls of the deployed tables (wall clock), ending early on Ctrl-C. */
async function waitOrInterrupt(ms: number, stopped: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && !stopped()) await new Promise((r) => setTimeout(r, Math.min(100, end - Date.now())));
}
