/** `replay`: re-sends the archived events of a window to the operations that have not ended, and resumes them. */
import { Command } from 'commander';
import { isTerminal } from '../../schemas/operation-state';
import { EXIT, usageError } from '../exit';
import { isoTime, nonNegativeNumber, withAwsOptions, withJson, withLocalOptions } from '../flags';
import type { History } from '../history';
import { liveTimeline } from '../live';
import { interruptible, readFolder, withPipeline } from '../local';
import { out, printJson } from '../output';
import { requireOperation } from './history';

export function replayCommand(): Command {
  const cmd = new Command('replay')
    .description('re-send archived events of a time window to the operations that have not ended, and resume them')
    .requiredOption('--from <iso>', 'start of the window, an ISO-8601 time (e.g. 2026-11-24T02:00:00Z)', isoTime('--from'))
    .requiredOption('--to <iso>', 'end of the window, an ISO-8601 time after --from', isoTime('--to'))
    .option('--operation <id>', 'only this operation (it must exist and not have ended)');
  withLocalOptions(cmd);
  withJson(cmd, 'print the result as JSON');
  withAwsOptions(cmd, "replay the deployed bus's archive, limited to the open operations, and wait for it to end");
  cmd.option('--poll-seconds <n>', 'with --aws: seconds between replay status checks (default 10)', nonNegativeNumber('--poll-seconds'));
  cmd.addHelpText('after', '\nExamples:\n  aurora-restore replay --from 2026-11-24T02:00:00Z --to 2026-11-24T03:00:00Z\n  aurora-restore replay --from 2026-11-24T02:00:00Z --to 2026-11-24T03:00:00Z --operation restore-20261124-020000-q0e54n --aws --stage prod --region us-east-1\n');
  cmd.action(async (o) => {
    if (!(o.to > o.from)) throw usageError('--to: expected a time after --from');
    return o.aws ? replayOnAwsCommand(o) : replayLocally(o);
  });
  return cmd;
}

/** `--operation` must name an operation that exists (exit 3 otherwise); one that has ended has nothing to replay. */
async function checkOperation(history: History, id: string | undefined): Promise<string | undefined> {
  if (id === undefined) return undefined;
  const state = await requireOperation(history, id);
  return isTerminal(state.status) ? state.status : undefined;
}

async function replayLocally(o: Record<string, any>): Promise<void> {
  const { history } = await readFolder(o);
  const ended = await checkOperation(history, o.operation);
  if (ended) {
    if (o.json) printJson({ replayed: 0, operations: [], ended: { [o.operation]: ended } });
    else out(`nothing to replay: operation ${o.operation} has ended (${ended})`);
    return;
  }
  const interrupt = interruptible();
  try {
    await withPipeline(o, 'replay', o.json ? {} : liveTimeline((_, line) => out(line), { verbose: false }), async (pipeline) => {
      const r = await pipeline.replay({ from: o.from, to: o.to, operationId: o.operation });
      const operations = [];
      for (const id of r.operations) operations.push({ operation_id: id, status: (await pipeline.status(id))?.status });
      if (o.json) printJson({ replayed: r.replayed, operations });
      else {
        out(`replayed ${r.replayed} events for ${r.operations.length} open operation(s)`);
        for (const s of operations) out(`${s.operation_id}  ${s.status}`);
      }
      if (operations.some((s) => s.status === 'FAILED')) process.exitCode = EXIT.FAILED;
      else if (operations.some((s) => s.status !== 'SUCCEEDED')) process.exitCode = EXIT.RUNNING;
    });
  } finally {
    interrupt.dispose();
  }
}

async function replayOnAwsCommand(o: Record<string, any>): Promise<void> {
  const { awsHistory, awsProblem, awsTarget, eventBridgeOf } = await import('../aws');
  const { replayOnAws, replaySucceeded, ReplayUsageError, stackOfBus } = await import('../aws-replay');
  const env: Record<string, string | undefined> = { ...process.env };
  let target: Awaited<ReturnType<typeof awsTarget>>;
  if (o.stage === undefined && env.EVENT_BUS_ARN && env.ARCHIVE_ARN) {
    // The stack outputs name the deployment: stage, region and names follow from the bus ARN.
    let stack: ReturnType<typeof stackOfBus>;
    try {
      stack = stackOfBus(env.EVENT_BUS_ARN);
    } catch (e) {
      throw usageError((e as Error).message);
    }
    target = { region: stack.region, stage: stack.names.prefix.replace(/^aurora-restore-/, ''), names: { ...stack.names, stateTable: env.DYNAMODB_TABLE_NAME || stack.names.stateTable }, stageFrom: 'EVENT_BUS_ARN' };
  } else {
    // The stage's bus and archive, looked up by name.
    target = await awsTarget(o);
    const { DescribeArchiveCommand, DescribeEventBusCommand } = await import('@aws-sdk/client-eventbridge');
    const events = eventBridgeOf(target);
    try {
      env.EVENT_BUS_ARN = (await events.send(new DescribeEventBusCommand({ Name: target.names.bus }))).Arn;
    } catch (e) {
      throw awsProblem(e, target, `event bus ${target.names.bus}`);
    }
    try {
      env.ARCHIVE_ARN = (await events.send(new DescribeArchiveCommand({ ArchiveName: target.names.archive }))).ArchiveArn;
    } catch (e) {
      throw awsProblem(e, target, `archive ${target.names.archive}`);
    }
    env.DYNAMODB_TABLE_NAME = target.names.stateTable;
  }
  const ended = await checkOperation(awsHistory(target), o.operation);
  if (ended) {
    if (o.json) printJson({ replay: null, ended: { [o.operation]: ended } });
    else out(`nothing to replay: operation ${o.operation} has ended (${ended})`);
    return;
  }
  const lines: string[] = [];
  try {
    const status = await replayOnAws({
      from: o.from,
      to: o.to,
      operationId: o.operation,
      env,
      out: o.json ? (l) => lines.push(l) : out,
      ...(o.pollSeconds !== undefined ? { pollMs: o.pollSeconds * 1000 } : {}),
    });
    if (o.json) printJson({ replay: status ?? null, log: lines });
    process.exitCode = replaySucceeded(status) ? EXIT.OK : EXIT.FAILED;
  } catch (e) {
    if (e instanceof ReplayUsageError) throw usageError(e.message);
    throw awsProblem(e, target, 'the archive replay');
  }
}
