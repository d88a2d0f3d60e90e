/**
 * `plan` (and `start --dry-run`): what the restore would do, changing nothing. Locally it reads the data
 * folder's world (or the scenario) into a simulator nobody else sees; with --aws it makes Describe calls only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { localConfig, scenarioConfig } from '../../lib/local/local-config';
import type { RestorePlan } from '../../lib/plan';
import { checkDataFolder, chooseScenario, resolveDataFolder } from '../data-folder';
import { EXIT } from '../exit';
import { parseRequest, requestFromFlags, withAwsOptions, withJson, withLocalOptions } from '../flags';
import { out, printJson } from '../output';
import { checkLocalRequest, requestOptions } from './start';
import { profileDefaults } from './profiles';

export function planCommand(): Command {
  const cmd = new Command('plan').description('show what a restore would do — snapshot, copy, deletions with the safety verdicts, creations, renames, pruning — changing nothing');
  requestOptions(cmd);
  withLocalOptions(cmd);
  withJson(cmd, 'print the plan as JSON');
  withAwsOptions(cmd, 'plan against the real RDS (Describe calls only); the safety rules are read from PROTECTED_CLUSTER_PATTERN, DELETION_ALLOW_LIST, TARGET_KMS_KEYS, FINAL_SNAPSHOT_RETENTION_* here');
  cmd.addHelpText('after', '\nExit code: 0 the restore would run, 1 it would fail (the plan says why).\n\nExamples:\n  aurora-restore plan\n  aurora-restore plan --target-cluster analytics\n  aurora-restore plan --aws --region us-east-1 --snapshot-id my-snap --source-region us-east-1 --target-region us-east-1 --target-cluster orders-staging --delete-existing\n');
  cmd.action((o) => runPlan(o));
  return cmd;
}

export async function runPlan(o: Record<string, any>): Promise<void> {
  const { PLAN_OPERATION_ID, planRestore } = await import('../../lib/plan');
  let plan: RestorePlan;
  let where: string;
  if (o.aws) {
    const profile = await profileDefaults(o);
    const request = parseRequest(requestFromFlags(o, profile?.defaults, profile?.defaultsName));
    const { awsProblem, awsTarget } = await import('../aws');
    const target = await awsTarget(o);
    const config = localConfig({ TARGET_KMS_KEYS: process.env.TARGET_KMS_KEYS ?? '' });
    const { AwsRds } = await import('../../lib/aws/rds');
    const { sdkClientOptions } = await import('../../lib/aws/client-options');
    const { RDSClient } = await import('@aws-sdk/client-rds');
    const rds = new AwsRds({ clientFor: (region) => new RDSClient(sdkClientOptions({ region, maxAttempts: 3 })) });
    try {
      plan = await planRestore(rds, config, request, new Date());
    } catch (e) {
      throw awsProblem(e, target, 'RDS');
    }
    where = `AWS (Describe calls only; safety rules: PROTECTED_CLUSTER_PATTERN=${config.PROTECTED_CLUSTER_PATTERN}, DELETION_ALLOW_LIST=${config.DELETION_ALLOW_LIST.join(',') || '(none)'})`;
  } else {
    const folder = resolveDataFolder(o.dataDir);
    await checkDataFolder(folder, 'read');
    const { scenario } = chooseScenario(folder, o.scenario);
    const profile = await profileDefaults(o);
    const draft = profile ? requestFromFlags(o, profile.defaults, profile.defaultsName) : requestFromFlags(o, scenario.request ?? {}, 'scenario request');
    const request = parseRequest(draft);
    const config = scenarioConfig(scenario);
    checkLocalRequest(request, { ...draft }, Object.keys(scenario.regions), { PROTECTED_CLUSTER_PATTERN: '(?!)' });
    const { SimulatedRds } = await import('../../lib/local/rds');
    const { VirtualClock } = await import('../../lib/local/clock');
    let saved: { clockMs: number; rds: unknown } | undefined;
    try {
      saved = JSON.parse(readFileSync(join(folder.dir, 'world.json'), 'utf8'));
    } catch {
      saved = undefined;
    }
    const clock = new VirtualClock({ start: new Date(saved?.clockMs ?? Date.parse(scenario.clockStart)) });
    // A simulator of the folder's world that nobody else sees: its calls change nothing on disk.
    const options = { clock, setTimer: () => undefined, emit: () => undefined };
    const sim = saved ? SimulatedRds.fromJSON(saved.rds, options) : SimulatedRds.fromScenario(scenario, { ...options, random: () => 1 });
    plan = await planRestore(sim.adapter(), config, request, clock.now());
    where = `the simulated world of ${folder.dir}`;
  }
  if (o.json) printJson({ ...plan, operationIdPlaceholder: PLAN_OPERATION_ID });
  else for (const line of planLines(plan, where)) out(line);
  process.exitCode = plan.refusal ? EXIT.FAILED : EXIT.OK;
}

export function planLines(plan: RestorePlan, where: string): string[] {
  const r = plan.request;
  const lines = [
    `plan: restore ${r.targetClusterId} in ${r.targetRegion} from ${r.snapshotId ?? `${r.sourceClusterId}${r.snapshotDate ? ` @ ${r.snapshotDate}` : ' (latest)'}`} (${r.sourceRegion}) — against ${where}; nothing is changed`,
    '',
  ];
  for (const a of plan.actions) lines.push(`  ${a.action.padEnd(8)} ${a.resource}${a.detail ? ` — ${a.detail}` : ''}`);
  lines.push('');
  lines.push(plan.refusal ? `  verdict  would FAIL: ${plan.refusal.code}: ${plan.refusal.message}` : '  verdict  would run (as far as Describe calls can tell)');
  lines.push('  (xxxxxx in a name stands for the operation id\'s suffix, known when the restore starts)');
  return lines;
}
