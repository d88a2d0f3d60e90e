/**
 * Replays on AWS limited to the operations that have not ended. An EventBridge archive replay sends
 * events to the rules named in its FilterArns; the pipeline's own rules would deliver every operation's
 * events. So a replay gets temporary rules: each subscription pattern, narrowed to the replay
 * (`replay-name`) and, for domain events, to the open operations' ids (`detail.operationId`). RDS events
 * carry no operation id: they pass, and steps of operations that are done ignore them (as locally).
 */
import { DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from '../../events/catalogue';
import { SUBSCRIPTIONS, type EventPattern, type Subscription } from '../../events/subscriptions';
import { sdkClientOptions } from './client-options';
import { AwsArchiveReplay, type ReplayStatus } from './event-bus';

/** PutRule's default EventPattern size quota (adjustable to 4096). */
export const EVENT_PATTERN_MAX_CHARS = 2048;
const RULE_NAME_MAX = 64;

export interface ReplayRule {
  /** Rule name: `<replay>-<step>-<pattern>-<n>`, at most 64 characters. */
  name: string;
  step: Subscription['step'];
  pattern: EventPattern;
}

const isDomain = (p: EventPattern) => Array.isArray(p.source) && (p.source as unknown[]).includes(EVENT_SOURCE);

function ruleName(replayName: string, step: string, pattern: string, n: number): string {
  const suffix = `-${step}-${pattern}-${n}`;
  return `${replayName.slice(0, Math.max(1, RULE_NAME_MAX - suffix.length))}${suffix}`.slice(0, RULE_NAME_MAX);
}

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

  async start(input: {
    name: string;
    archiveArn: string;
    eventBusArn: string;
    from: Date;
    to: Date;
    operationIds: string[];
    /** Each step's queue ARN (the targets of the pipeline's own rules). */
    queueArns: Partial<Record<Subscription['step'], string>>;
  }): Promise<{ rules: ReplayRule[]; replay?: ReplayStatus }> {
    const rules = replayRules({ replayName: input.name, operationIds: input.operationIds });
    if (rules.length === 0) return { rules };
    const ruleArns: string[] = [];
    for (const rule of rules) {
      const queue = input.queueArns[rule.step];
      if (!queue) throw new Error(`queueArns.${rule.step}: expected the ARN of the step's queue`);
      const out = await this.client.send(
        new PutRuleCommand({
          Name: rule.name,
          EventBusName: this.eventBusName,
          EventPattern: JSON.stringify(rule.pattern),
          State: 'ENABLED',
          Description: `temporary: replay ${input.name} to ${rule.step} for ${input.operationIds.length} open operation(s)`,
        }),
      );
      await this.client.send(new PutTargetsCommand({ Rule: rule.name, EventBusName: this.eventBusName, Targets: [{ Id: 'queue', Arn: queue }] }));
      ruleArns.push(out.RuleArn!);
    }
    const replay = await new AwsArchiveReplay({ client: this.client }).startReplay({ name: input.name, archiveArn: input.archiveArn, eventBusArn: input.eventBusArn, from: input.from, to: input.to, ruleArns });
    return { rules, replay };
  }

  /** Removes a replay's temporary rules (call once the replay has COMPLETED). */
  async cleanUp(rules: ReplayRule[]): Promise<void> {
    for (const rule of rules) {
      await this.client.send(new RemoveTargetsCommand({ Rule: rule.name, EventBusName: this.eventBusName, Ids: ['queue'] }));
      await this.client.send(new DeleteRuleCommand({ Name: rule.name, EventBusName: this.eventBusName }));
    }
  }
}
