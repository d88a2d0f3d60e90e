import { DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { domainEvent, EVENT_SOURCE } from '../../src/events/catalogue';
import { RDS_EVENT_EXAMPLES } from '../../src/events/rds';
import { SUBSCRIPTIONS } from '../../src/events/subscriptions';
import { AwsFilteredReplay, EVENT_PATTERN_MAX_CHARS, replayRules } from '../../src/lib/aws/replay-filter';
import { matchesPattern } from '../../src/lib/local/pattern';
import { useDummyAwsEnv } from '../aws/sdk-test-env';

/** Replays on AWS limited to the operations that have not ended: patterns checked with the real matcher, calls with aws-sdk-client-mock. */
beforeAll(() => useDummyAwsEnv());

const OPEN = ['restore-20261124-020000-aaaaaa', 'restore-20261124-020000-bbbbbb'];
const DONE = 'restore-20261124-020000-zzzzzz';
const T = new Date('2026-11-24T02:10:00Z');
const envelope = (operationId: string, replay?: string) => ({
  version: '0', id: 'x', 'detail-type': 'TargetCleared', source: EVENT_SOURCE, account: '123456789012', time: T.toISOString(), region: 'us-east-1', resources: [],
  detail: domainEvent('TargetCleared', operationId, T, { deleted: false }).detail,
  ...(replay ? { 'replay-name': replay } : {}),
});

describe('replayRules', () => {
  it('narrow each subscription to the replay and the open operations; RDS events pass', () => {
    const rules = replayRules({ replayName: 'r1', operationIds: OPEN });
    expect(rules).toHaveLength(SUBSCRIPTIONS.reduce((n, s) => n + s.patterns.length, 0));
    const restore = rules.filter((r) => r.step === 'restore-snapshot');
    expect(restore.some((r) => matchesPattern(r.pattern, envelope(OPEN[0], 'r1')))).toBe(true);
    expect(restore.some((r) => matchesPattern(r.pattern, envelope(DONE, 'r1')))).toBe(false); // an operation that ended
    expect(restore.some((r) => matchesPattern(r.pattern, envelope(OPEN[0])))).toBe(false); // live traffic, not the replay
    expect(restore.some((r) => matchesPattern(r.pattern, envelope(OPEN[0], 'another')))).toBe(false);
    const rds = { ...RDS_EVENT_EXAMPLES.clusterCreated, 'replay-name': 'r1' };
    expect(rules.filter((r) => r.step === 'check-restore-status').some((r) => matchesPattern(r.pattern, rds))).toBe(true);
    for (const r of rules) expect(r.name.length).toBeLessThanOrEqual(64);
  });

  it('split the ids over several rules to stay within the EventPattern size quota', () => {
    const many = Array.from({ length: 200 }, (_, i) => `restore-20261124-020000-${String(i).padStart(6, '0')}`);
    const rules = replayRules({ replayName: 'big', operationIds: many });
    const restore = rules.filter((r) => r.step === 'restore-snapshot');
    expect(restore.length).toBeGreaterThan(1);
    for (const r of rules) expect(JSON.stringify(r.pattern).length).toBeLessThanOrEqual(EVENT_PATTERN_MAX_CHARS);
    for (const id of many) expect(restore.filter((r) => matchesPattern(r.pattern, envelope(id, 'big')))).toHaveLength(1);
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
  });

  it('nothing to replay for no open operation; a bad replay name is refused by name', () => {
    expect(replayRules({ replayName: 'r', operationIds: [] })).toEqual([]);
    expect(() => replayRules({ replayName: 'bad name!', operationIds: OPEN })).toThrow(/^replayName:/);
  });
});

describe('AwsFilteredReplay', () => {
  it('creates the temporary rules targeting each step queue, starts the replay through them only, then removes them', async () => {
    const client = new EventBridgeClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(PutRuleCommand).callsFake((input) => ({ RuleArn: `arn:aws:events:us-east-1:123456789012:rule/aurora-restore/${input.Name}` }));
    mock.on(PutTargetsCommand).resolves({ FailedEntryCount: 0 });
    mock.on(StartReplayCommand).resolves({ State: 'STARTING', ReplayArn: 'arn:aws:events:us-east-1:123456789012:replay/r1' });
    const queueArns = Object.fromEntries(SUBSCRIPTIONS.map((s) => [s.step, `arn:aws:sqs:us-east-1:123456789012:aurora-restore-${s.step}`]));
    const replay = new AwsFilteredReplay({ client, eventBusName: 'aurora-restore' });
    const { rules, replay: status } = await replay.start({
      name: 'r1', archiveArn: 'arn:aws:events:us-east-1:123456789012:archive/aurora-restore', eventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/aurora-restore',
      from: new Date('2026-11-24T02:00:00Z'), to: new Date('2026-11-24T03:00:00Z'), operationIds: OPEN, queueArns,
    });
    expect(status?.state).toBe('STARTING');
    const puts = mock.commandCalls(PutRuleCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(rules.length);
    const restoreRule = puts.find((p) => p.Name === rules.find((r) => r.step === 'restore-snapshot')!.name)!;
    expect(JSON.parse(restoreRule.EventPattern!)).toMatchObject({ 'replay-name': ['r1'], detail: { operationId: OPEN } });
    expect(restoreRule.EventBusName).toBe('aurora-restore');
    const target = mock.commandCalls(PutTargetsCommand).find((c) => c.args[0].input.Rule === restoreRule.Name)!.args[0].input;
    expect(target.Targets).toEqual([{ Id: 'queue', Arn: queueArns['restore-snapshot'] }]);
    const start = mock.commandCalls(StartReplayCommand)[0].args[0].input;
    expect(start.Destination?.FilterArns).toHaveLength(rules.length);
    expect(start.Destination?.FilterArns?.every((a) => a.includes('/replay-'))).toBe(true);

    await replay.cleanUp(rules);
    expect(mock.commandCalls(RemoveTargetsCommand)).toHaveLength(rules.length);
    expect(mock.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input.Name)).toEqual(rules.map((r) => r.name));
  });

  it('refuses a step without a queue ARN, naming it, before creating anything', async () => {
    const client = new EventBridgeClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    const replay = new AwsFilteredReplay({ client, eventBusName: 'aurora-restore' });
    await expect(
      replay.start({ name: 'r2', archiveArn: 'a', eventBusArn: 'b', from: new Date(0), to: new Date(1), operationIds: OPEN, queueArns: {} }),
    ).rejects.toThrow(/^queueArns\.snapshot-check:/);
    expect(mock.commandCalls(PutRuleCommand)).toHaveLength(0);
  });
});
