/**
 * Replays on AWS limited to the operations that have not ended. An EventBridge archive replay sends
 * events to the rules named in its FilterArns; the pipeline's own rules would deliver every operation's
 * events. So a replay gets temporary rules: each subscription pattern, narrowed to the replay
 * (`replay-name`) and, for domain events, to the open operations' ids (`detail.operationId`). RDS events
 * carry no operation id: they pass, and steps of operations that are done ignore them (as locally).
 * The rules are named `replay-<replay id>-<step>-…` (src/lib/aws/replay-rule-names.ts): each step queue's
 * policy admits exactly those names besides the step's own rules, else SQS would refuse the deliveries
 * and the replay would "complete" with nothing delivered.
 */
import { DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from '../../events/catalogue';
import { SUBSCRIPTIONS, type EventPattern, type Subscription } from '../../events/subscriptions';
import { sdkClientOptions } from './client-options';
import { AwsArchiveReplay, type ReplayStatus } from './event-bus';
import { replayRuleName } from './replay-rule-names';

/** PutRule's default EventPattern size quota (adjustable to 4096). */
export const EVENT_PATTERN_MAX_CHARS = 2048;

export interface ReplayRule {
  /** Rule name: `replay-<replay id>-<step>-<pattern>-<n>`, at most 64 characters. */
  name: string;
  step: Subscription['step'];
  pattern: EventPattern;
}

const isDomain = (p: EventPattern) => Array.isArray(p.source) && (p.source as unknown[]).includes(EVENT_SOURCE);
const ruleName = replayRuleName;

/** Thrown when PutTargets accepted the call but not the target (FailedEntryCount > 0). */
export class PutTargetsFailedError extends Error {
  constructor(
    readonly rule: string,
    readonly failures: { targetId: string; errorCode: string; errorMessage?: string }[],
  ) {
    super(
      `PutTargets on rule ${rule}: ${failures.length} target(s) failed: ` +
        failures.map((f) => `${f.targetId} (${f.errorCode}${f.errorMessage ? `: ${f.errorMessage}` : ''})`).join(', '),
    );
    this.name = 'PutTargetsFailedError';
  }
}

/** States after which a replay does nothing more (DescribeReplay State). */
export const FINAL_REPLAY_STATES = ['COMPLETED', 'CANCELLED', 'FAILED'];

/**
 * The temporary rules of a replay limited to `operationIds`: one per subscription pattern, split into
 * several when the ids would make a pattern longer than `maxPatternChars`. An empty id list gives none.
 */
export function replayRules(input: { replayName: string; operationIds: string[]; subscriptions?: Subscription[]; maxPatternChars?: number }): ReplayRule[] {
  if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(input.replayName)) throw new Error(`replayName: expected 1-64 letters, digits, '.', '-' or '_', got ${JSON.stringify(input.replayName)}`);
  const ids = [...new Set(input.operationIds)];
  if (ids.length === 0) return [];
  const max = input.maxPatternChars ?? EVENT_PATTERN_MAX_CHARS;
  const rules: ReplayRule[] = [];
  for (const sub of input.subscriptions ?? SUBSCRIPTIONS) {
    for (const { name, pattern } of sub.patterns) {
      const base: EventPattern = { ...pattern, 'replay-name': [input.replayName] };
      if (!isDomain(pattern)) {
        rules.push({ name: ruleName(input.replayName, sub.step, name, 1), step: sub.step, pattern: base });
        continue;
      }
      const narrowed = (chunk: string[]): EventPattern => ({ ...base, detail: { ...((pattern.detail as object) ?? {}), operationId: chunk } });
      let chunk: string[] = [];
      for (const id of ids) {
        if (chunk.length > 0 && JSON.stringify(narrowed([...chunk, id])).length > max) {
          rules.push({ name: ruleName(input.replayName, sub.step, name, rules.length + 1), step: sub.step, pattern: narrowed(chunk) });
          chunk = [];
        }
        chunk.push(id);
      }
      const last = narrowed(chunk);
      if (JSON.stringify(last).length > max) throw new Error(`maxPatternChars: ${max} is too small for one operation id in ${sub.step}/${name}`);
      rules.push({ name: ruleName(input.replayName, sub.step, name, rules.length + 1), step: sub.step, pattern: last });
    }
  }
  return rules;
}

export interface FilteredReplayOptions {
  client?: EventBridgeClient;
  eventBusName: string;
}

/** Starts an archive replay delivered only through the temporary rules of `replayRules`, and removes them afterwards. */
export class AwsFilteredReplay {
  private readonly client: EventBridgeClient;
  private readonly eventBusName: string;

  constructor(options: FilteredReplayOptions) {
    this.client = options.client ?? new EventBridgeClient(sdkClientOptions({}));
    this.eventBusName = options.eventBusName;
  }

  async start(input: ReplayInput): Promise<{ rules: ReplayRule[]; replay?: ReplayStatus }> {
    const rules = replayRules({ replayName: input.name, operationIds: input.operationIds });
    if (rules.length === 0) return { rules };
    for (const rule of rules) if (!input.queueArns[rule.step]) throw new Error(`queueArns.${rule.step}: expected the ARN of the step's queue`);
    const ruleArns: string[] = [];
    const created: ReplayRule[] = [];
    try {
      for (const rule of rules) {
        const out = await this.client.send(
          new PutRuleCommand({
            Name: rule.name,
            EventBusName: this.eventBusName,
            EventPattern: JSON.stringify(rule.pattern),
            State: 'ENABLED',
            Description: `temporary: replay ${input.name} to ${rule.step} for ${input.operationIds.length} open operation(s)`,
          }),
        );
        created.push(rule);
        const targets = await this.client.send(
          new PutTargetsCommand({ Rule: rule.name, EventBusName: this.eventBusName, Targets: [{ Id: 'queue', Arn: input.queueArns[rule.step]! }] }),
        );
        // PutTargets can succeed with the target refused: "FailedEntryCount — the number of failed entries".
        if (targets.FailedEntryCount) {
          throw new PutTargetsFailedError(
            rule.name,
            (targets.FailedEntries ?? [{}]).map((f) => ({
              targetId: f.TargetId ?? 'queue',
              errorCode: f.ErrorCode ?? 'Unknown',
              ...(f.ErrorMessage ? { errorMessage: f.ErrorMessage } : {}),
            })),
          );
        }
        ruleArns.push(out.RuleArn!);
      }
    } catch (err) {
      // Leave nothing behind: the rules created so far would match live traffic of later replays' names.
      await this.cleanUp(created).catch(() => undefined);
      throw err;
    }
    const replay = await new AwsArchiveReplay({ client: this.client }).startReplay({ name: input.name, archiveArn: input.archiveArn, eventBusArn: input.eventBusArn, from: input.from, to: input.to, ruleArns });
    return { rules, replay };
  }

  /**
   * The whole replay: creates the temporary rules, starts the replay through them, waits (`sleep` between
   * DescribeReplay calls) until it has ended, and removes the rules whatever happened.
   */
  async run(
    input: ReplayInput & { pollMs?: number; sleep?: (ms: number) => Promise<void>; onStatus?: (s: ReplayStatus) => void },
  ): Promise<{ rules: ReplayRule[]; replay?: ReplayStatus }> {
    const sleep = input.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const started = await this.start(input);
    if (!started.replay) return started;
    let status = started.replay;
    try {
      const archive = new AwsArchiveReplay({ client: this.client });
      input.onStatus?.(status);
      while (!FINAL_REPLAY_STATES.includes(status.state)) {
        await sleep(input.pollMs ?? 10_000);
        status = await archive.describeReplay(input.name);
        input.onStatus?.(status);
      }
    } finally {
      await this.cleanUp(started.rules);
    }
    return { rules: started.rules, replay: status };
  }

  /** Removes a replay's temporary rules (once the replay has ended). */
  async cleanUp(rules: ReplayRule[]): Promise<void> {
    for (const rule of rules) {
      await this.client.send(new RemoveTargetsCommand({ Rule: rule.name, EventBusName: this.eventBusName, Ids: ['queue'] }));
      await this.client.send(new DeleteRuleCommand({ Name: rule.name, EventBusName: this.eventBusName }));
    }
  }
}

export interface ReplayInput {
  name: string;
  archiveArn: string;
  eventBusArn: string;
  from: Date;
  to: Date;
  operationIds: string[];
  /** Each step's queue ARN (the targets of the pipeline's own rules). */
  queueArns: Partial<Record<Subscription['step'], string>>;
}
