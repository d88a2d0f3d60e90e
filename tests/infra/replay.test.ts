/**
 * `replay --aws` on AWS, with the EventBridge and DynamoDB clients mocked (aws-sdk-client-mock): the
 * temporary rules are named so the step queues' policies admit them, a target PutTargets refused fails
 * the replay (naming the rule and the error) and leaves no rule behind, the CLI replays exactly the open
 * operations through AwsFilteredReplay, follows the replay to its end and removes its rules.
 */
import {
  DescribeEventBusCommand,
  DeleteRuleCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS } from '../../src/events/subscriptions';
import { replayOnAws } from '../../src/cli/aws-replay';
import { globMatches } from '../../src/infra/protected';
import { namesFor } from '../../src/infra/template';
import { AwsFilteredReplay, PutTargetsFailedError, replayRules } from '../../src/lib/aws/replay-filter';
import { REPLAY_RULE_PREFIX, replayRuleGlob } from '../../src/lib/aws/replay-rule-names';
import { useDummyAwsEnv } from '../aws/sdk-test-env';
import { runCli } from '../cli/run-cli';

beforeAll(useDummyAwsEnv);

const OPEN = ['restore-20261124-020000-aaaaaa', 'restore-20261124-020000-bbbbbb'];
const BUS_ARN = 'arn:aws:events:us-east-1:123456789012:event-bus/aurora-restore-citest';
const ARCHIVE_ARN = 'arn:aws:events:us-east-1:123456789012:archive/aurora-restore-citest';
const FROM = new Date('2026-11-24T02:00:00Z');
const TO = new Date('2026-11-24T03:00:00Z');
const names = namesFor('citest');
// One mock per client class for the whole file (a second mockClient of the same class would replace it).
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  events.reset();
  dynamo.reset();
});

describe('temporary replay rules', () => {
  it('are named replay-<id>-<step>-…: each step queue admits its own step\'s replay rules and no other step\'s', () => {
    const rules = replayRules({ replayName: 'aurora-restore-1795000000000-with-a-long-name-of-64-characters', operationIds: OPEN });
    expect(rules.length).toBe(SUBSCRIPTIONS.reduce((n, s) => n + s.patterns.length, 0));
    for (const r of rules) {
      expect(r.name.length).toBeLessThanOrEqual(64);
      expect(r.name.startsWith(REPLAY_RULE_PREFIX)).toBe(true);
      for (const s of SUBSCRIPTIONS) expect(globMatches(replayRuleGlob(s.step), r.name), `${r.name} vs ${s.step}`).toBe(s.step === r.step);
      // The pipeline's own rules are never mistaken for replay rules.
      for (const p of SUBSCRIPTIONS.find((s) => s.step === r.step)!.patterns) expect(globMatches(replayRuleGlob(r.step), names.rule(r.step, p.name))).toBe(false);
    }
  });
});

describe('AwsFilteredReplay', () => {
  const mock = events;
  const queueArns = Object.fromEntries(SUBSCRIPTIONS.map((s) => [s.step, `arn:aws:sqs:us-east-1:123456789012:${names.queue(s.step)}`]));

  it('fails when PutTargets refuses a target (FailedEntryCount), naming the rule and the error, and removes the rules it created', async () => {
    mock.on(PutRuleCommand).callsFake((input) => ({ RuleArn: `arn:aws:events:us-east-1:123456789012:rule/aurora-restore-citest/${input.Name}` }));
    mock
      .on(PutTargetsCommand)
      .resolvesOnce({ FailedEntryCount: 0, FailedEntries: [] })
      .resolves({ FailedEntryCount: 1, FailedEntries: [{ TargetId: 'queue', ErrorCode: 'ValidationException', ErrorMessage: 'no such queue' }] });
    const replay = new AwsFilteredReplay({ client: new EventBridgeClient({ region: 'us-east-1' }), eventBusName: names.bus });
    const err = await replay.start({ name: 'r1', archiveArn: ARCHIVE_ARN, eventBusArn: BUS_ARN, from: FROM, to: TO, operationIds: OPEN, queueArns }).catch((e) => e);
    expect(err).toBeInstanceOf(PutTargetsFailedError);
    const second = mock.commandCalls(PutRuleCommand)[1]!.args[0].input.Name!;
    expect((err as Error).message).toBe(`PutTargets on rule ${second}: 1 target(s) failed: queue (ValidationException: no such queue)`);
    expect(mock.commandCalls(StartReplayCommand)).toHaveLength(0);
    expect(mock.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input.Name)).toEqual(mock.commandCalls(PutRuleCommand).map((c) => c.args[0].input.Name));
  });
});

describe('replay --aws', () => {
  function world() {
    events.on(PutRuleCommand).callsFake((input) => ({ RuleArn: `arn:aws:events:us-east-1:123456789012:rule/${input.EventBusName}/${input.Name}` }));
    events.on(PutTargetsCommand).resolves({ FailedEntryCount: 0, FailedEntries: [] });
    events.on(StartReplayCommand).resolves({ State: 'STARTING', ReplayArn: 'arn:aws:events:us-east-1:123456789012:replay/r' });
    events
      .on(DescribeReplayCommand)
      .resolvesOnce({ State: 'RUNNING' })
      .resolves({ State: 'COMPLETED', EventLastReplayedTime: TO });
    dynamo.on(GetCommand).callsFake((input) => ({ Item: OPEN.includes(input.Key.operation_id) ? { operation_id: input.Key.operation_id, status: 'RESTORING', start_time: '2026-11-24T02:00:00Z' } : undefined }));
    dynamo.on(ScanCommand).resolves({
      Items: [
        { operation_id: OPEN[0], status: 'COPYING_SNAPSHOT', start_time: '2026-11-24T02:00:00Z' },
        { operation_id: 'restore-20261124-010000-zzzzzz', status: 'SUCCEEDED', start_time: '2026-11-24T01:00:00Z' },
        { operation_id: OPEN[1], status: 'RESTORING', start_time: '2026-11-24T02:01:00Z' },
      ],
    });
  }

  it('replays the open operations through temporary rules to each step queue, follows the replay to its end, then removes the rules', async () => {
    world();
    const lines: string[] = [];
    const sleeps: number[] = [];
    const status = await replayOnAws({
      from: FROM,
      to: TO,
      env: { ARCHIVE_ARN, EVENT_BUS_ARN: BUS_ARN },
      out: (l) => lines.push(l),
      pollMs: 5000,
      sleep: async (ms) => void sleeps.push(ms),
      now: () => new Date(1795000000000),
    });
    expect(status?.state).toBe('COMPLETED');
    expect(dynamo.commandCalls(ScanCommand)[0]!.args[0].input.TableName).toBe(names.stateTable);
    const puts = events.commandCalls(PutRuleCommand).map((c) => c.args[0].input);
    expect(new Set(puts.map((p) => p.EventBusName))).toEqual(new Set([names.bus]));
    for (const p of puts) expect(JSON.parse(p.EventPattern!)['replay-name']).toEqual(['aurora-restore-1795000000000']);
    const restore = puts.filter((p) => p.Name!.includes('-restore-snapshot-'));
    expect(restore.map((p) => [...JSON.parse(p.EventPattern!).detail.operationId].sort())).toEqual([OPEN]); // the finished one is left out
    const targets = events.commandCalls(PutTargetsCommand).map((c) => c.args[0].input);
    for (const t of targets) {
      const step = SUBSCRIPTIONS.find((s) => globMatches(replayRuleGlob(s.step), t.Rule!))!.step;
      expect(t.Targets).toEqual([{ Id: 'queue', Arn: `arn:aws:sqs:us-east-1:123456789012:${names.queue(step)}` }]);
    }
    const start = events.commandCalls(StartReplayCommand)[0]!.args[0].input;
    expect(start).toMatchObject({ ReplayName: 'aurora-restore-1795000000000', EventSourceArn: ARCHIVE_ARN, Destination: { Arn: BUS_ARN } });
    expect(start.Destination!.FilterArns).toHaveLength(puts.length);
    expect(sleeps).toEqual([5000, 5000]);
    expect(events.commandCalls(DeleteRuleCommand)).toHaveLength(puts.length);
    expect(events.commandCalls(RemoveTargetsCommand)).toHaveLength(puts.length);
    expect(lines.at(-1)).toBe(`replay aurora-restore-1795000000000: ${puts.length} temporary rule(s) removed`);
  });

  it('is what the CLI runs: exit 0 once the replay COMPLETED, 1 when it FAILED (the rules removed either way); without the stack outputs, the stage\'s bus by name', async () => {
    world();
    Object.assign(process.env, { ARCHIVE_ARN, EVENT_BUS_ARN: BUS_ARN });
    try {
      const ok = await runCli(['replay', '--aws', '--poll-seconds', '0', '--from', FROM.toISOString(), '--to', TO.toISOString()]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/: COMPLETED, replayed up to 2026-11-24T03:00:00.000Z\n.*temporary rule\(s\) removed\n$/);
      expect(events.commandCalls(StartReplayCommand)).toHaveLength(1);

      events.reset();
      dynamo.reset();
      world();
      events.on(DescribeReplayCommand).resolves({ State: 'FAILED', StateReason: 'archive gone' });
      const failed = await runCli(['replay', '--aws', '--poll-seconds', '0', '--operation', OPEN[0]!, '--from', FROM.toISOString(), '--to', TO.toISOString()]);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/FAILED \(archive gone\)/);
      expect(dynamo.commandCalls(ScanCommand)).toHaveLength(0); // one operation named: no scan
      expect(dynamo.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({ TableName: names.stateTable, Key: { operation_id: OPEN[0] } }); // it exists
      expect(events.commandCalls(DeleteRuleCommand)).toHaveLength(events.commandCalls(PutRuleCommand).length);
    } finally {
      delete process.env.ARCHIVE_ARN;
      delete process.env.EVENT_BUS_ARN;
    }
    // No stack outputs: the stage (default dev) names the bus and the archive, looked up by name.
    events.reset();
    events.on(DescribeEventBusCommand).rejects(Object.assign(new Error('Event bus aurora-restore-dev does not exist.'), { name: 'ResourceNotFoundException' }));
    const missing = await runCli(['replay', '--aws', '--region', 'us-east-1', '--from', FROM.toISOString(), '--to', TO.toISOString()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error: --stage (default dev): event bus aurora-restore-dev does not exist in us-east-1 (stage "dev"); is the pipeline deployed with this --stage in this --region?\n');
    expect(events.commandCalls(DescribeEventBusCommand)[0]!.args[0].input).toEqual({ Name: 'aurora-restore-dev' });
  });
});
