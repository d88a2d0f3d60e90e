import { Command, CommanderError } from 'commander';
import { resolve } from 'node:path';
import { ZodError } from 'zod';
import { domainEvent, eventJsonSchemas } from '../events/catalogue';
import { mermaidGraph } from '../events/graph';
import { newOperationId } from '../schemas/identifiers';
import { isTerminal } from '../schemas/operation-state';
import { describeIssues, restoreRequest } from '../schemas/restore-request';
import type { LocalPipeline } from '../lib/local/pipeline';
import { auditTimeline, describeEvent, formatLine, summary } from './timeline';
import { ProfileUsageError, awsProfiles, localProfiles, profileRequest, profilesCommand } from './profiles';

/** Bad usage: exits 2 with the message. */
class UsageError extends Error {}

const DEFAULT_DATA_DIR = '.aurora-restore';

interface GlobalLocal {
  dataDir: string;
  scenario?: string;
}

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

function isoDate(flag: string) {
  return (value: string) => {
    const t = Date.parse(value);
    if (Number.isNaN(t)) throw new UsageError(`${flag}: expected an ISO-8601 time such as 2026-11-24T02:00:00Z, got "${value}"`);
    return new Date(t);
  };
}

/** Maps `start` flags onto the request, over the scenario's default request. */
function requestFromFlags(o: Record<string, unknown>, defaults: Record<string, unknown>): Record<string, unknown> {
  const r: Record<string, unknown> = { ...defaults };
  if (o.snapshotId !== undefined) {
    delete r.sourceClusterId;
    delete r.snapshotDate;
  }
  if (o.sourceCluster !== undefined || o.snapshotDate !== undefined) delete r.snapshotId;
  if (o.sourceCluster !== undefined && o.snapshotDate === undefined) delete r.snapshotDate;
  // A clone or point-in-time restore names the live source cluster, not a snapshot.
  if (o.source !== undefined && o.source !== 'snapshot') {
    delete r.snapshotId;
    delete r.snapshotDate;
  }
  const map: [string, string][] = [
    ['snapshotId', 'snapshotId'],
    ['sourceCluster', 'sourceClusterId'],
    ['snapshotDate', 'snapshotDate'],
    ['sourceRegion', 'sourceRegion'],
    ['targetRegion', 'targetRegion'],
    ['targetCluster', 'targetClusterId'],
    ['instanceClass', 'instanceClass'],
    ['subnetGroup', 'subnetGroup'],
    ['strategy', 'strategy'],
    ['source', 'source'],
    ['restoreTime', 'restoreTime'],
  ];
  for (const [flag, field] of map) if (o[flag] !== undefined) r[field] = o[flag];
  if (o.securityGroupIds !== undefined) r.securityGroupIds = String(o.securityGroupIds).split(',').map((s) => s.trim()).filter(Boolean);
  for (const flag of ['deleteExisting', 'keepSnapshot', 'skipFinalSnapshot']) if (o[flag] !== undefined) r[flag] = o[flag];
  return r;
}

async function openLocal(g: GlobalLocal, extra: Parameters<typeof import('../lib/local/pipeline').LocalPipeline.open>[0] = {}): Promise<LocalPipeline> {
  const { LocalPipeline } = await import('../lib/local/pipeline');
  const { DEFAULT_SCENARIO, loadScenarioFile } = await import('../lib/local/scenario');
  let scenario;
  try {
    scenario = g.scenario ? loadScenarioFile(resolve(g.scenario)) : DEFAULT_SCENARIO;
  } catch (e) {
    throw new UsageError(`--scenario: ${(e as Error).message}`);
  }
  return LocalPipeline.open({ dataDir: resolve(g.dataDir), scenario, ...extra });
}

/** Streams the pipeline's events as timeline lines to `write`. */
function liveTimeline(write: (line: string) => void, verbose: boolean) {
  let startMs: number | undefined;
  return {
    onEvent: (env: Parameters<typeof describeEvent>[0]) => {
      const at = Date.parse(env.time);
      startMs ??= at;
      const d = describeEvent(env, verbose);
      if (d) write(formatLine(startMs, at, d.actor, d.text));
    },
    onNotification: (m: { subject: string; publishedAt: string }) => {
      const at = Date.parse(m.publishedAt);
      write(formatLine(startMs ?? at, at, 'sns-notification', `✉ ${m.subject}`));
    },
  };
}

export function buildProgram(): Command {
  const program = new Command('aurora-restore')
    .description('Restore Amazon Aurora clusters from snapshots, unattended. Runs locally (simulated AWS) unless --aws is given.')
    .showHelpAfterError()
    .exitOverride();

  const local = (cmd: Command) =>
    cmd
      .option('--data-dir <dir>', 'folder where local state persists between commands', DEFAULT_DATA_DIR)
      .option('--scenario <file>', 'world to simulate (regions, clusters, snapshots, durations, faults); see README');

  local(
    program
      .command('start')
      .description('start a restore; locally it runs to its end and shows each step as it happens')
      .option('--source-cluster <id>', 'source cluster: its automated snapshot of --snapshot-date (or the latest) is restored')
      .option('--snapshot-date <YYYY-MM-DD>', 'day of the automated snapshot')
      .option('--snapshot-id <id>', 'exact cluster snapshot id (instead of --source-cluster)')
      .option('--source-region <region>', 'region of the snapshot')
      .option('--target-region <region>', 'region to restore into (a different region copies the snapshot)')
      .option('--target-cluster <id>', 'cluster to create')
      .option('--instance-class <class>', 'writer instance class, e.g. db.r6g.large')
      .option('--subnet-group <name>', 'DB subnet group of the restored cluster')
      .option('--security-group-ids <ids>', 'comma-separated VPC security group ids')
      .option('--delete-existing', 'delete an existing target cluster first (only if the safety rules allow it)')
      .option('--no-delete-existing', 'fail with TargetExists if the target cluster exists')
      .option('--keep-snapshot', 'keep the copied snapshot after the restore')
      .option('--skip-final-snapshot', 'delete the existing cluster without a final snapshot')
      .option('--strategy <replace|swap>', 'replace: delete the existing target, then restore; swap: restore under a temporary name, then swap the names (the old cluster serves meanwhile)')
      .option('--source <snapshot|clone|point-in-time>', 'restore a snapshot, clone the live source cluster (same region), or restore it to a point in time (same region)')
      .option('--restore-time <ISO>', 'with --source point-in-time: the time to restore to (default: the latest restorable time)')
      .option('--profile <name>', 'start a saved refresh profile (aurora-restore profiles list); other flags override its fields')
      .option('--profiles-file <file>', 'with --profile: the profiles file instead of <data-dir>/profiles.json')
      .option('--json', 'print the final state object as JSON on stdout (progress goes to stderr)')
      .option('--verbose', 'also show scheduled re-checks')
      .option('--aws', 'put RestoreRequested on the real pipeline bus (EVENT_BUS_NAME) instead of running locally'),
  ).action(async (o) => {
    if (o.aws) {
      const defaults = o.profile ? await profileRequest(await awsProfiles(), o.profile) : {};
      const request = restoreRequest.parse(requestFromFlags(o, defaults));
      const { AwsEventBus } = await import('../lib/aws/event-bus');
      const operationId = newOperationId(new Date());
      const bus = new AwsEventBus({ eventBusName: process.env.EVENT_BUS_NAME ?? 'aurora-restore' });
      await bus.publish([domainEvent('RestoreRequested', operationId, new Date(), { request })]);
      out(o.json ? JSON.stringify({ operationId }) : `RestoreRequested put on ${process.env.EVENT_BUS_NAME ?? 'aurora-restore'}: ${operationId}`);
      return;
    }
    const progress = o.json ? (s: string) => process.stderr.write(`${s}\n`) : out;
    const timeline = liveTimeline(progress, Boolean(o.verbose));
    const pipeline = await openLocal(o, timeline);
    try {
      const defaults = o.profile ? await profileRequest(await localProfiles(o), o.profile) : (pipeline.scenario.request ?? {});
      const request = restoreRequest.parse(requestFromFlags(o, defaults));
      progress(`aurora-restore: local run (simulated AWS, virtual clock) — data in ${resolve(o.dataDir)}`);
      const wall = Date.now();
      const operationId = await pipeline.startRestore(request);
      await pipeline.runUntilTerminal([operationId]);
      const state = await pipeline.status(operationId);
      if (!state) throw new Error(`operation ${operationId} left no state`);
      progress('');
      for (const line of summary(state)) progress(line);
      progress(`  simulated ${Math.round((pipeline.clock.now().getTime() - Date.parse(state.start_time)) / 60000)} min in ${((Date.now() - wall) / 1000).toFixed(1)} s`);
      if (o.json) out(JSON.stringify(state, null, 2));
      process.exitCode = state.status === 'SUCCEEDED' ? 0 : 1;
    } finally {
      await pipeline.close();
    }
  });

  local(program.command('status').description('show an operation').argument('<operation-id>').option('--json', 'print the state object as JSON')).action(
    async (id: string, o) => {
      const pipeline = await openLocal(o);
      try {
        const state = await pipeline.status(id);
        if (!state) throw new UsageError(`operation-id: no operation ${id} in ${resolve(o.dataDir)}`);
        if (o.json) out(JSON.stringify(state, null, 2));
        else {
          for (const line of summary(state)) out(line);
          out('');
          for (const line of auditTimeline(state, await pipeline.audit.trail(id))) out(line);
        }
      } finally {
        await pipeline.close();
      }
    },
  );

  local(program.command('list').description('list operations, newest first').option('--json', 'print JSON')).action(async (o) => {
    const pipeline = await openLocal(o);
    try {
      const all = await pipeline.list();
      if (o.json) out(JSON.stringify(all.map((s) => ({ operation_id: s.operation_id, status: s.status, target: s.parameters.target_cluster_id, start_time: s.start_time, error: s.error })), null, 2));
      else if (all.length === 0) out('no operations yet: run `npm start`');
      else for (const s of all) out(`${s.operation_id}  ${s.status.padEnd(20)} ${s.parameters.target_cluster_id} (${s.parameters.target_region})  ${s.start_time}${s.error ? `  ${s.error.code}` : ''}`);
    } finally {
      await pipeline.close();
    }
  });

  local(program.command('watch').description('live step timeline of an operation (resumes it locally until it ends)').argument('<operation-id>').option('--verbose', 'also show re-checks')).action(
    async (id: string, o) => {
      const pipeline = await openLocal(o, liveTimeline(out, Boolean(o.verbose)));
      try {
        const state = await pipeline.status(id);
        if (!state) throw new UsageError(`operation-id: no operation ${id} in ${resolve(o.dataDir)}`);
        for (const line of auditTimeline(state, await pipeline.audit.trail(id))) out(line);
        if (!isTerminal(state.status)) await pipeline.runUntilTerminal([id]);
        out('');
        for (const line of summary((await pipeline.status(id))!)) out(line);
      } finally {
        await pipeline.close();
      }
    },
  );

  local(
    program
      .command('replay')
      .description('re-send archived events of a time window to the operations that have not ended, and resume them')
      .requiredOption('--from <iso>', 'start of the window (ISO-8601)', isoDate('--from'))
      .requiredOption('--to <iso>', 'end of the window (ISO-8601)', isoDate('--to'))
      .option('--operation <id>', 'only this operation')
      .option('--aws', 'replay the EventBridge archive on AWS to the open operations and wait for it to end (needs ARCHIVE_ARN and EVENT_BUS_ARN)')
      .option('--poll-seconds <n>', 'with --aws: seconds between replay status checks', (v) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0) throw new UsageError(`--poll-seconds: expected a number of seconds, got "${v}"`);
        return n;
      }),
  ).action(async (o) => {
    if (!(o.to > o.from)) throw new UsageError('--to: expected a time after --from');
    if (o.aws) {
      const { replayOnAws, replaySucceeded, ReplayUsageError } = await import('./aws-replay');
      try {
        const status = await replayOnAws({
          from: o.from,
          to: o.to,
          operationId: o.operation,
          env: process.env,
          out,
          ...(o.pollSeconds !== undefined ? { pollMs: o.pollSeconds * 1000 } : {}),
        });
        process.exitCode = replaySucceeded(status) ? 0 : 1;
      } catch (e) {
        if (e instanceof ReplayUsageError) throw new UsageError(e.message);
        throw e;
      }
      return;
    }
    const pipeline = await openLocal(o, liveTimeline(out, false));
    try {
      const r = await pipeline.replay({ from: o.from, to: o.to, operationId: o.operation });
      out(`replayed ${r.replayed} events for ${r.operations.length} open operation(s)`);
      for (const id of r.operations) {
        const s = await pipeline.status(id);
        if (s) out(`${id}  ${s.status}`);
      }
    } finally {
      await pipeline.close();
    }
  });

  profilesCommand(program);
  program.command('graph').description('print the pipeline as a Mermaid diagram, generated from the subscription table').action(() => out(mermaidGraph()));
  program.command('events').description('print the JSON Schema of every domain event').action(() => out(JSON.stringify(eventJsonSchemas(), null, 2)));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed the message; help and version are not errors.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version' ? 0 : 2;
    }
    if (e instanceof UsageError || e instanceof ProfileUsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ZodError) {
      process.stderr.write(`error: invalid request: ${describeIssues(e)}\n`);
      return 2;
    }
    process.stderr.write(`error: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}

// Run when executed as the program (bin/aurora-restore.mjs imports this module).
if (process.env.AURORA_RESTORE_NO_MAIN !== '1') {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

