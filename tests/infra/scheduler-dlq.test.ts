/**
 * The re-check and deadline schedules are created at run time (src/lib/aws/scheduler.ts): they get the
 * stack's dead-letter queue from SCHEDULER_DLQ_ARN (the template sets it on every function), so an event
 * Scheduler cannot deliver is kept and alarmed on instead of lost.
 */
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { domainEvent } from '../../src/events/catalogue';
import { composeAwsDependencies } from '../../src/lib/aws/compose';
import { schedulerAdapter } from '../../src/lib/aws/adapters';
import { localEnvironment } from '../../src/schemas/config';
import { useDummyAwsEnv } from '../aws/sdk-test-env';

beforeAll(useDummyAwsEnv);
const scheduler = mockClient(SchedulerClient);
afterEach(() => scheduler.reset());

const DLQ = 'arn:aws:sqs:us-east-1:123456789012:aurora-restore-citest-undelivered';
const env = (extra: Record<string, string>) => ({
  ...localEnvironment(),
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
  EVENT_BUS_ARN: 'arn:aws:events:us-east-1:123456789012:event-bus/aurora-restore-citest',
  ...extra,
});
const event = domainEvent('RecheckDue', 'restore-20261124-020000-abcdef', new Date('2026-11-24T02:00:00Z'), { check: 'copy', attempt: 1 });

describe('one-time schedules', () => {
  it('carry the dead-letter queue named by SCHEDULER_DLQ_ARN', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/g/n' });
    const deps = composeAwsDependencies(env({ SCHEDULER_DLQ_ARN: DLQ }), { scheduler: schedulerAdapter });
    await deps.scheduler.scheduleOnce({ name: 'n', at: new Date('2026-11-24T03:00:00Z'), event });
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target?.DeadLetterConfig).toEqual({ Arn: DLQ });
  });

  it('have none when it is not set (local runs, older stacks)', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/g/n' });
    const deps = composeAwsDependencies(env({}), { scheduler: schedulerAdapter });
    await deps.scheduler.scheduleOnce({ name: 'n', at: new Date('2026-11-24T03:00:00Z'), event });
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target).not.toHaveProperty('DeadLetterConfig');
  });
});
