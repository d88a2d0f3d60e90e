/** `start`: a restore, locally (run to its end, live) or on AWS (`--aws`: RestoreRequested on the deployed bus). */
import { Command } from 'commander';
import { localConfig } from '../../lib/local/local-config';
import { requestProblem } from '../../lib/safety';
import { newOperationId } from '../../schemas/identifiers';
import type { RestoreRequest } from '../../schemas/restore-request';
import { checkDataFolder, chooseScenario, resolveDataFolder } from '../data-folder';
import { EXIT, exitForStatus, usageError } from '../exit';
import { fieldLabel, parseRequest, requestFromFlags, withAwsOptions, withJson, withLocalOptions, type RequestDraft } from '../flags';
import { liveTimeline } from '../live';
import { dataDirHint, interruptible, withPipeline } from '../local';
import { err, out, printJson } from '../output';
import { summary } from '../timeline';
import { runPlan } from './plan';
import { profileDefaults, withProfileStoreOptions } from './profiles';

export function requestOptions(cmd: Command): Command {
  cmd
    .option('--source-cluster <id>', 'source cluster: its automated snapshot of --snapshot-date (or the latest) is restored')
    .option('--snapshot-date <YYYY-MM-DD>', 'day of the automated snapshot (default: the latest)')
    .option('--snapshot-id <id>', 'exact cluster snapshot id (instead of --source-cluster/--snapshot-date)')
    .option('--source-region <region>', 'region of the snapshot')
    .option('--target-region <region>', 'region to restore into (a different region copies the snapshot)')
    .option('--target-cluster <id>', 'cluster to create (never one matching PROTECTED_CLUSTER_PATTERN)')
    .option('--instance-class <class>', 'writer instance class (default: db.r6g.large)')
    .option('--subnet-group <name>', 'DB subnet group of the restored cluster')
    .option('--security-group-ids <ids>', 'comma-separated VPC security group ids')
    .option('--delete-existing', 'delete an existing target cluster first (only if the safety rules allow it)')
    .option('--no-delete-existing', 'fail with TargetExists if the target cluster exists')
    .option('--keep-snapshot', 'keep the copied snapshot after the restore')
    .option('--skip-final-snapshot', 'delete the existing cluster without a final snapshot')
    .option('--strategy <replace|swap>', 'replace: delete the existing target, then restore; swap: restore under a temporary name, then swap the names (the old cluster serves meanwhile) (default: replace)')
    .option('--source <snapshot|clone|point-in-time>', 'restore a snapshot, clone the live source cluster (same region), or restore it to a point in time (same region) (default: snapshot)')
    .option('--restore-time <ISO>', 'with --source point-in-time: the time to restore to (default: the latest restorable time)');
  cmd.option('--refresh-profile <name>', "start from a saved refresh profile's request (aurora-restore profiles list); the flags given override its fields");
  return withProfileStoreOptions(cmd);
}

/** Local checks a bad request fails before anything starts: regions of the scenario, a protected target name. */
export function checkLocalRequest(request: RestoreRequest, draft: RequestDraft, regions: string[], config: { PROTECTED_CLUSTER_PATTERN: string }): void {
  for (const field of ['sourceRegion', 'targetRegion'] as const) {
    if (!regions.includes(request[field])) {
      throw usageError(`${fieldLabel(field, draft)}: ${request[field]} is not a region of the scenario (${regions.join(', ')})`);
    }
  }
  const refused = requestProblem(request, config);
  if (refused) throw usageError(`${fieldLabel('targetClusterId', draft)}: ${refused.message}`);
}

export function startCommand(): Command {
  const cmd = new Command('start').description('start a restore; locally it runs to its end and shows each step as it happens');
  requestOptions(cmd);
  withLocalOptions(cmd, { reset: true });
  withJson(cmd, 'print the final state object as JSON on stdout (progress goes to stderr)');
  cmd
    .option('--dry-run', 'show what the restore would do, changing nothing (the same as `plan`)')
    .option('--verbose', 'also show scheduled re-checks and throttling retries');
  withAwsOptions(cmd, 'put RestoreRequested on the deployed pipeline bus (aurora-restore-<stage>) instead of running locally');
  cmd.addHelpText(
    'after',
    `
Flags not given come from the scenario's request (locally), or from the saved profile --refresh-profile names
(locally the profiles file, with --aws Parameter Store). A flag naming the snapshot (--snapshot-id, or
--source-cluster/--snapshot-date) replaces the scenario's (or profile's) snapshot choice.

Examples:
  aurora-restore start                                   # the built-in world: cross-region, replacing aurora-staging
  aurora-restore start --snapshot-date 2026-11-23
  aurora-restore start --snapshot-id rds:aurora-prod-2026-11-23-00-05 --target-cluster aurora-dev --target-region us-east-1
  aurora-restore start --scenario world.json --data-dir /tmp/run1
  aurora-restore start --dry-run
  aurora-restore start --refresh-profile staging-orders             # a saved profile: masked, validated, two users
  aurora-restore start --aws --stage prod --region us-east-1 --source-cluster orders --source-region us-east-1 \\
      --target-region us-east-1 --target-cluster orders-staging --delete-existing
`,
  );
  cmd.action(async (o) => {
    if (o.dryRun) return runPlan(o);
    if (o.aws) return startOnAws(o);
    return startLocally(o);
  });
  return cmd;
}

async function startOnAws(o: Record<string, any>): Promise<void> {
  const profile = await profileDefaults(o);
  const draft = requestFromFlags(o, profile?.defaults, profile?.defaultsName);
  const request = parseRequest(draft);
  const { awsProblem, awsTarget, eventBridgeOf } = await import('../aws');
  const target = await awsTarget(o);
  // The deployed bus of the stage; EVENT_BUS_NAME (a stack output) when set and no --stage is typed.
  const bus = o.stage === undefined && process.env.EVENT_BUS_NAME ? process.env.EVENT_BUS_NAME : target.names.bus;
  const { AwsEventBus } = await import('../../lib/aws/event-bus');
  const { domainEvent } = await import('../../events/catalogue');
  const operationId = newOperationId(new Date());
  try {
    await new AwsEventBus({ eventBusName: bus, client: eventBridgeOf(target) }).publish([domainEvent('RestoreRequested', operationId, new Date(), { request })]);
  } catch (e) {
    throw awsProblem(e, target, `event bus ${bus}`);
  }
  const follow = `aurora-restore watch ${operationId} --aws --region ${target.region} --stage ${target.stage}`;
  if (o.json) printJson({ operationId, eventBusName: bus, region: target.region, stage: target.stage });
  else {
    out(`RestoreRequested put on ${bus} (${target.region}): ${operationId}`);
    out(`follow it with: ${follow}`);
  }
}

async function startLocally(o: Record<string, any>): Promise<void> {
  const progress = o.json ? (s: string) => process.stderr.write(`${s}\n`) : out;
  const folder = resolveDataFolder(o.dataDir);
  await checkDataFolder(folder, 'write');
  const chosen = chooseScenario(folder, o.scenario, o.reset);
  const profile = await profileDefaults(o);
  const draft = profile ? requestFromFlags(o, profile.defaults, profile.defaultsName) : requestFromFlags(o, chosen.scenario.request ?? {}, 'scenario request');
  const request = parseRequest(draft);
  checkLocalRequest(request, draft, Object.keys(chosen.scenario.regions), localConfig());
  progress(`aurora-restore: local run (simulated AWS, virtual clock) — data in ${folder.dir}`);

  let operationId: string | undefined;
  const timeline = liveTimeline((_, line) => progress(line), { verbose: Boolean(o.verbose) });
  const interrupt = interruptible();
  try {
    await withPipeline(
      o,
      'start',
      timeline,
      async (pipeline) => {
        const wall = Date.now();
        operationId = newOperationId(pipeline.clock.now());
        progress(`  operation ${operationId} (Ctrl-C stops it at a safe point; \`aurora-restore watch ${operationId}\` resumes it)`);
        await pipeline.startRestore(request, operationId);
        await pipeline.runUntilTerminal([operationId], { stop: interrupt.stopped });
        const state = await pipeline.status(operationId);
        if (!state) throw new Error(`operation ${operationId} left no state`);
        if (interrupt.stopped() && exitForStatus(state.status) === EXIT.RUNNING) {
          err(`interrupted — resume with \`aurora-restore watch ${operationId}${dataDirHint(folder)}\``);
          process.exitCode = EXIT.RUNNING;
          return;
        }
        progress('');
        for (const line of summary(state)) progress(line);
        progress(`  simulated ${Math.round((pipeline.clock.now().getTime() - Date.parse(state.start_time)) / 60000)} min in ${((Date.now() - wall) / 1000).toFixed(1)} s`);
        if (o.json) printJson(state);
        process.exitCode = exitForStatus(state.status);
      },
      { folder, scenario: chosen.scenario, reset: chosen.reset },
    );
  } finally {
    interrupt.dispose();
  }
}
