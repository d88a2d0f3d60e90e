import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DeleteRuleCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { replayOnAws } from '../../src/cli/aws-replay';
import { PASSED_CONFIG, deploymentParams } from '../../src/infra/params';
import { useDummyAwsEnv } from '../aws/sdk-test-env';
import { EVENT_SOURCE, eventSchemas } from '../../src/events/catalogue';
import { parseEventBody } from '../../src/events/envelope';
import { namesFor } from '../../src/infra/template';
import { restoreRequest } from '../../src/schemas/restore-request';

const doc = () => readFileSync(resolve(import.meta.dirname, '../../docs/deploy.md'), 'utf8');

/** The `aws events put-events` entries of docs/deploy.md, as a reader copies them. */
function documentedEntries(): { EventBusName: string; Source: string; DetailType: string; Detail: string }[] {
  const doc = readFileSync(resolve(import.meta.dirname, '../../docs/deploy.md'), 'utf8');
  const block = doc.split('<!-- put-events-entry')[1]?.match(/```json\n([\s\S]*?)```/)?.[1];
  expect(block, 'docs/deploy.md: the json block after <!-- put-events-entry -->').toBeDefined();
  return JSON.parse(block!);
}

describe('docs/deploy.md', () => {
  it('its put-events entry is a valid RestoreRequested for the dev stage bus', () => {
    const entries = documentedEntries();
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({ EventBusName: namesFor('dev').bus, Source: EVENT_SOURCE, DetailType: 'RestoreRequested' });
    const detail = eventSchemas.RestoreRequested.parse(JSON.parse(entry!.Detail));
    expect(restoreRequest.safeParse(detail.request).success).toBe(true);
    // As the snapshot-check step receives it from its queue.
    const parsed = parseEventBody(
      JSON.stringify({
        version: '0',
        id: 'e-1',
        'detail-type': entry!.DetailType,
        source: entry!.Source,
        account: '123456789012',
        time: detail.occurredAt,
        region: 'us-east-1',
        resources: [],
        detail: JSON.parse(entry!.Detail),
      }),
    );
    expect(parsed.kind === 'domain' && parsed.event.type).toBe('RestoreRequested');
  });

  it('a broken entry would fail this test (the schema names the field)', () => {
    const [entry] = documentedEntries();
    const detail = JSON.parse(entry!.Detail);
    delete detail.request.targetClusterId;
    expect(() => eventSchemas.RestoreRequested.parse(detail)).toThrow(/targetClusterId/);
  });
});

describe('docs/deploy.md, the parameters and the operator policy', () => {
  it('documents every stage parameter of both stacks', () => {
    const text = doc();
    const forwarder = readFileSync(resolve(import.meta.dirname, '../../serverless.forwarder.yml'), 'utf8').match(/^ {4}([A-Z_]+):/gm)!.map((l) => l.trim().slice(0, -1));
    // `NAME`, or a backticked family such as `RETRY_*` or `*_RECHECK_SECONDS`.
    const names = [...text.matchAll(/`([A-Z_*]+)`/g)].map(([, g]) => new RegExp(`^${g!.replace(/\*/g, '[A-Z_]*')}$`));
    const documented = (name: string) => names.some((re) => re.test(name));
    const missing = [...PASSED_CONFIG, ...Object.keys(deploymentParams.shape), ...forwarder].filter((n) => !documented(n));
    expect(missing).toEqual([]);
  });

  it('its replay operator policy allows what replay --aws sends, on the ARNs it names (IAM simulation)', async () => {
    useDummyAwsEnv();
    const block = doc().split('<!-- replay-operator-policy')[1]?.match(/```json\n([\s\S]*?)```/)?.[1];
    expect(block, 'docs/deploy.md: the json block after <!-- replay-operator-policy -->').toBeDefined();
    const policy = JSON.parse(block!.replace('key/…', 'key/11111111-2222-3333-4444-555555555555'));
    const events = mockClient(EventBridgeClient);
    const dynamo = mockClient(DynamoDBDocumentClient);
    try {
      events.on(PutRuleCommand).callsFake((i) => ({ RuleArn: `arn:aws:events:us-east-1:123456789012:rule/${i.EventBusName}/${i.Name}` }));
      events.on(PutTargetsCommand).resolves({ FailedEntryCount: 0 });
      events.on(StartReplayCommand).resolves({ State: 'STARTING' });
      events.on(DescribeReplayCommand).resolves({ State: 'COMPLETED' });
      dynamo.on(ScanCommand).resolves({ Items: [{ operation_id: 'restore-20261124-020000-aaaaaa', status: 'RESTORING', start_time: '2026-11-24T02:00:00Z' }] });
      const bus = 'arn:aws:events:us-east-1:123456789012:event-bus/aurora-restore-dev';
      const archive = 'arn:aws:events:us-east-1:123456789012:archive/aurora-restore-dev';
      await replayOnAws({ from: new Date('2026-11-24T02:00:00Z'), to: new Date('2026-11-24T03:00:00Z'), env: { ARCHIVE_ARN: archive, EVENT_BUS_ARN: bus }, out: () => undefined, sleep: async () => undefined, now: () => new Date(1795000000000) });
      const rule = (name: string) => `arn:aws:events:us-east-1:123456789012:rule/aurora-restore-dev/${name}`;
      const requests: { action: string; resource: string; context?: Record<string, string> }[] = [
        ...events.commandCalls(PutRuleCommand).map((c) => ({ action: 'events:PutRule', resource: rule(c.args[0].input.Name!) })),
        ...events.commandCalls(PutTargetsCommand).map((c) => ({ action: 'events:PutTargets', resource: rule(c.args[0].input.Rule!) })),
        ...events.commandCalls(RemoveTargetsCommand).map((c) => ({ action: 'events:RemoveTargets', resource: rule(c.args[0].input.Rule!) })),
        ...events.commandCalls(DeleteRuleCommand).map((c) => ({ action: 'events:DeleteRule', resource: rule(c.args[0].input.Name!) })),
        ...events.commandCalls(StartReplayCommand).flatMap((c) =>
          [archive, bus, `arn:aws:events:us-east-1:123456789012:replay/${c.args[0].input.ReplayName}`].map((resource) => ({ action: 'events:StartReplay', resource })),
        ),
        ...events.commandCalls(DescribeReplayCommand).map((c) => ({ action: 'events:DescribeReplay', resource: `arn:aws:events:us-east-1:123456789012:replay/${c.args[0].input.ReplayName}` })),
        { action: 'dynamodb:Scan', resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/aurora-restore-dev-state' },
      ];
      expect(new Set(requests.map((r) => r.action)).size).toBe(7);
      for (const r of requests) {
        const res = await runSimulation(
          {
            request: { principal: 'arn:aws:iam::123456789012:role/operator', action: r.action, resource: { resource: r.resource, accountId: '123456789012' }, contextVariables: r.context ?? {} },
            identityPolicies: [{ name: 'operator', policy }],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          },
          {},
        );
        expect(res.resultType === 'error' ? res.errors : res.overallResult, `${r.action} on ${r.resource}`).toBe('Allowed');
      }
    } finally {
      events.restore();
      dynamo.restore();
    }
  });
});
