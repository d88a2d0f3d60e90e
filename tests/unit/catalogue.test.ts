import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, EXAMPLES, eventJsonSchemas, eventSchemas, domainEvent, PUBLISHERS } from '../../src/events/catalogue';
import { SUBSCRIPTIONS, forwardedRdsPattern } from '../../src/events/subscriptions';
import { parseEventBody, InvalidEventError } from '../../src/events/envelope';
import { RDS_EVENT_EXAMPLES } from '../../src/events/rds';

describe('event catalogue', () => {
  it.each(EVENT_NAMES)('%s example validates against its schema', (name) => {
    expect(eventSchemas[name].safeParse(EXAMPLES[name]).success).toBe(true);
  });

  it('generates a JSON Schema per event that names required fields', () => {
    const schemas = eventJsonSchemas() as Record<string, { required?: string[] }>;
    expect(Object.keys(schemas).sort()).toEqual([...EVENT_NAMES].sort());
    for (const name of EVENT_NAMES) expect(schemas[name].required).toEqual(expect.arrayContaining(['operationId', 'occurredAt', 'schemaVersion']));
  });

  it('every published event has a subscriber or is terminal, and every subscribed event exists', () => {
    const subscribed = new Set(
      SUBSCRIPTIONS.flatMap((s) => s.patterns.map((p) => p.pattern)).filter((p) => (p.source as string[])[0] === 'aurora.restore').flatMap((p) => p['detail-type'] as string[]),
    );
    for (const name of subscribed) expect(EVENT_NAMES).toContain(name);
    for (const name of EVENT_NAMES) expect(subscribed.has(name), `${name} has no subscriber`).toBe(true);
    expect(Object.keys(PUBLISHERS).sort()).toEqual([...EVENT_NAMES].sort());
  });

  it('domainEvent rejects a payload with a wrong field, naming it', () => {
    expect(() => domainEvent('RecheckDue', 'restore-20261124-020000-k3x9q2', new Date(), { check: 'copy', attempt: 0 })).toThrow(/attempt/);
  });

  it('forwards exactly the RDS event ids the steps consume', () => {
    const p = forwardedRdsPattern() as { detail: { EventID: string[] } };
    expect(p.detail.EventID).toEqual(expect.arrayContaining(['RDS-EVENT-0170', 'RDS-EVENT-0171', 'RDS-EVENT-0003', 'RDS-EVENT-0005']));
  });
});

describe('envelope parsing', () => {
  const envelope = (detailType: string, detail: unknown) =>
    JSON.stringify({ version: '0', id: '1', 'detail-type': detailType, source: 'aurora.restore', account: '1', time: 't', region: 'us-east-1', resources: [], detail });

  it('parses a domain event', () => {
    const parsed = parseEventBody(envelope('RecheckDue', EXAMPLES.RecheckDue));
    expect(parsed.kind).toBe('domain');
  });

  it('parses a native RDS event', () => {
    const parsed = parseEventBody(JSON.stringify(RDS_EVENT_EXAMPLES.clusterCreated));
    expect(parsed.kind === 'rds' && parsed.detail.EventID).toBe('RDS-EVENT-0170');
  });

  it('names the bad field and keeps the operation id when the payload is wrong', () => {
    try {
      parseEventBody(envelope('RecheckDue', { ...EXAMPLES.RecheckDue, check: 'nope' }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidEventError);
      expect((e as Error).message).toMatch(/detail\.check/);
      expect((e as InvalidEventError).operationId).toBe(EXAMPLES.RecheckDue.operationId);
    }
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseEventBody('{nope')).toThrow(/body: expected JSON/);
  });
});
