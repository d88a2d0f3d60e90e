import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient, ValidationException } from '@aws-sdk/client-scheduler';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { domainEvent } from '../../src/events/catalogue';
import { atExpression, AwsRecheckScheduler, scheduleName } from '../../src/lib/aws/scheduler';
import { TEST_CREDENTIALS, useDummyAwsEnv } from './sdk-test-env';

const OP = 'restore-20261124-020000-k3x9q2';
const event = domainEvent('RecheckDue', OP, new Date('2026-11-24T02:00:00.000Z'), { check: 'copy', attempt: 3 });
const options = {
  groupName: 'aurora-restore',
  roleArn: 'arn:aws:iam::123456789012:role/aurora-restore-scheduler',
  eventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/aurora-restore',
};
const meta = { $metadata: {} };

describe('atExpression', () => {
  it.each([
    ['2026-11-24T02:01:00.000Z', 'at(2026-11-24T02:01:00)'],
    ['2026-11-24T02:01:00.001Z', 'at(2026-11-24T02:02:00)'],
    ['2026-11-24T02:01:59.999Z', 'at(2026-11-24T02:02:00)'],
    ['2026-12-31T23:59:30.000Z', 'at(2027-01-01T00:00:00)'],
  ])('%s → %s (UTC, rounded up to the minute)', (iso, expr) => {
    expect(atExpression(new Date(iso))).toBe(expr);
  });

  it('never fires early and never more than a minute late', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:00:00Z'), noInvalidDate: true }), (d) => {
        const m = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00)\)$/.exec(atExpression(d));
        expect(m).not.toBeNull();
        const fires = new Date(`${m![1]}Z`).getTime();
        expect(fires).toBeGreaterThanOrEqual(d.getTime());
        expect(fires - d.getTime()).toBeLessThan(60_000);
      }),
    );
  });

  it('rejects an invalid date', () => {
    expect(() => atExpression(new Date('nope'))).toThrow(/^at: expected a valid Date/);
  });
});

describe('scheduleName', () => {
  it('keeps a valid name as it is', () => {
    expect(scheduleName(`${OP}-copy-3`)).toBe(`${OP}-copy-3`);
  });

  it('always gives a valid, deterministic name, distinct for distinct inputs', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (a, b) => {
        const na = scheduleName(a);
        expect(na).toMatch(/^[0-9a-zA-Z\-_.]{1,64}$/);
        expect(scheduleName(a)).toBe(na);
        if (a !== b) expect(scheduleName(b)).not.toBe(na);
      }),
    );
  });

  it('hashes long names to 64 characters keeping a readable prefix', () => {
    const long = `${OP}-${'check-restore-status-'.repeat(5)}`;
    const n = scheduleName(long);
    expect(n).toHaveLength(64);
    expect(n.startsWith(OP)).toBe(true);
  });
});

describe('AwsRecheckScheduler', () => {
  let mock: AwsStub<any, any, any>;
  const client = new SchedulerClient({ region: 'us-east-1', credentials: TEST_CREDENTIALS });
  beforeAll(useDummyAwsEnv);
  beforeEach(() => {
    mock = mockClient(SchedulerClient);
  });
  afterEach(() => mock.restore());

  it('creates a one-time schedule that puts the event on the bus and deletes itself', async () => {
    mock.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/aurora-restore/x' });
    await new AwsRecheckScheduler({ ...options, client }).scheduleOnce({
      name: `${OP}-copy-3`,
      at: new Date('2026-11-24T02:01:20.500Z'),
      event,
    });
    expect(mock.commandCalls(CreateScheduleCommand)[0].args[0].input).toEqual({
      GroupName: 'aurora-restore',
      Name: `${OP}-copy-3`,
      ScheduleExpression: 'at(2026-11-24T02:02:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: options.eventBusArn,
        RoleArn: options.roleArn,
        EventBridgeParameters: { DetailType: 'RecheckDue', Source: 'aurora.restore' },
        Input: JSON.stringify(event.detail),
      },
    });
  });

  it('treats ConflictException (already exists) as success, and propagates other errors', async () => {
    const scheduler = new AwsRecheckScheduler({ ...options, client });
    mock
      .on(CreateScheduleCommand)
      .rejectsOnce(new ConflictException({ Message: 'Schedule x already exists.', message: 'Schedule x already exists.', ...meta }))
      .rejectsOnce(new ValidationException({ Message: 'bad expression', message: 'bad expression', ...meta }));
    await expect(scheduler.scheduleOnce({ name: 'x', at: new Date(), event })).resolves.toBeUndefined();
    await expect(scheduler.scheduleOnce({ name: 'x', at: new Date(), event })).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('cancel deletes the schedule by the same name; a missing schedule is success', async () => {
    const scheduler = new AwsRecheckScheduler({ ...options, client });
    const long = `${OP}/${'x'.repeat(80)}`;
    mock
      .on(DeleteScheduleCommand)
      .resolvesOnce({})
      .rejectsOnce(new ResourceNotFoundException({ Message: 'gone', message: 'gone', ...meta }))
      .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await scheduler.cancel(long);
    expect(mock.commandCalls(DeleteScheduleCommand)[0].args[0].input).toEqual({ GroupName: 'aurora-restore', Name: scheduleName(long) });
    await expect(scheduler.cancel(long)).resolves.toBeUndefined();
    await expect(scheduler.cancel(long)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('refuses to build without a role or bus ARN, naming the variable', () => {
    expect(() => new AwsRecheckScheduler({ ...options, roleArn: '', client })).toThrow(/SCHEDULER_ROLE_ARN/);
    expect(() => new AwsRecheckScheduler({ ...options, eventBusArn: '', client })).toThrow(/EVENT_BUS_ARN/);
  });
});
