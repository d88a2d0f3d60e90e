import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { domainEvent, EVENT_SOURCE } from '../../src/events/catalogue';
import { InvalidEventError, parseEventBody } from '../../src/events/envelope';
import { RDS_EVENT_EXAMPLES } from '../../src/events/rds';
import { DEFAULT_SCENARIO, parseScenario } from '../../src/lib/local/scenario';
import { describeIssues, restoreRequest } from '../../src/schemas/restore-request';

/**
 * Bad input, generated: every request, event and scenario file the pipeline reads is refused with an
 * error that names the bad field — never accepted, never a crash of another kind.
 */

const VALID_REQUEST = {
  sourceClusterId: 'aurora-prod',
  snapshotDate: '2026-11-24',
  sourceRegion: 'us-east-1',
  targetRegion: 'us-west-2',
  targetClusterId: 'aurora-staging',
  instanceClass: 'db.r6g.large',
  subnetGroup: 'staging-db-subnets',
  securityGroupIds: ['sg-0a1b2c3d'],
  deleteExisting: true,
};
const OPERATION_ID = 'restore-20261124-020000-abc123';

/** Strings no identifier may hold: SQL and shell injection, quotes, unicode look-alikes, control characters. */
export const hostileString = fc.oneof(
  fc.constantFrom(
    '"; DROP TABLE users; --',
    "'; DROP DATABASE postgres; --",
    'aurora"staging',
    "aurora'staging",
    'aurora`staging`',
    'aurora;staging',
    'aurora staging',
    'aurora\nstaging',
    'aurora\u0000staging',
    'аurora-staging', // Cyrillic a
    'aurora‐staging', // unicode hyphen
    'клaстер',
    '集群',
    '🦄-cluster',
    '$(rm -rf /)',
    '../../etc/passwd',
    '',
    ' ',
    '-leading-hyphen',
    'trailing-hyphen-',
    'double--hyphen',
    '1starts-with-digit',
  ),
  fc.string({ minLength: 1, maxLength: 20 }).map((s) => `a${s}"'; --`),
);
const oversized = fc.integer({ min: 256, max: 5000 }).map((n) => `a${'b'.repeat(n)}`);
const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }), fc.double());
const missingDates = fc.constantFrom('2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '2026-11-24T00:00:00Z', '24/11/2026', '2026-1-1', '');
const unknownRegions = fc.constantFrom('mars-north-1', 'us-east-9', 'US-EAST-1', 'us-east-1 ', 'useast1', 'eu-west', 'local', '');

/** A bad value for each field of a request, and the field the error must name. */
const badField = fc.oneof(
  ...(['sourceClusterId', 'targetClusterId'] as const).map((field) =>
    fc.record({ field: fc.constant(field), value: fc.oneof(hostileString, oversized.map((s) => s.slice(0, 64 + (s.length % 200))), wrongType) }),
  ),
  fc.record({ field: fc.constant('snapshotDate'), value: fc.oneof(missingDates, wrongType) }),
  ...(['sourceRegion', 'targetRegion'] as const).map((field) => fc.record({ field: fc.constant(field), value: fc.oneof(unknownRegions, hostileString, wrongType) })),
  fc.record({ field: fc.constant('instanceClass'), value: fc.oneof(hostileString, fc.constantFrom('r6g.large', 'db.r6g', 'db.R6G.large'), wrongType) }),
  fc.record({ field: fc.constant('subnetGroup'), value: fc.oneof(fc.constantFrom('"; DROP TABLE x; --', "a'b", 'a;b', '集群'), oversized, wrongType) }),
  fc.record({ field: fc.constant('securityGroupIds'), value: fc.oneof(fc.constant(['sg-xyz']), fc.constant(['"; DROP']), fc.constant('sg-0a1b2c3d'), fc.constant(Array(6).fill('sg-0a1b2c3d')), wrongType.filter((v) => !Array.isArray(v))) }),
  ...(['deleteExisting', 'keepSnapshot', 'skipFinalSnapshot'] as const).map((field) => fc.record({ field: fc.constant(field), value: fc.oneof(fc.constantFrom('true', 'yes', 1, 0, null), fc.string()) })),
  fc.record({ field: fc.constant('requestedBy'), value: fc.oneof(oversized, fc.integer()) }),
);

describe('RestoreRequested: a request with one bad field', () => {
  it('is refused, and the error names that field', () => {
    fc.assert(
      fc.property(badField, ({ field, value }) => {
        const r = restoreRequest.safeParse({ ...VALID_REQUEST, [field]: value });
        expect(r.success).toBe(false);
        const message = describeIssues(r.error!);
        expect(message.startsWith(`${field}`) || message.includes(`; ${field}`) || message.includes(`${field}.`)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('inside a RestoreRequested event: InvalidEventError naming detail.request.<field>, carrying the operation id (so the request gets its RestoreFailed)', () => {
    fc.assert(
      fc.property(badField, ({ field, value }) => {
        const body = JSON.stringify({
          version: '0',
          id: 'e1',
          'detail-type': 'RestoreRequested',
          source: EVENT_SOURCE,
          account: '123456789012',
          time: '2026-11-24T02:00:00Z',
          region: 'us-east-1',
          resources: [],
          detail: { operationId: OPERATION_ID, occurredAt: '2026-11-24T02:00:00.000Z', schemaVersion: 1, request: { ...VALID_REQUEST, [field]: value } },
        });
        let error: unknown;
        try {
          parseEventBody(body);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(InvalidEventError);
        expect((error as InvalidEventError).message).toContain(`detail.request.${field}`);
        expect((error as InvalidEventError).operationId).toBe(OPERATION_ID);
      }),
      { numRuns: 300 },
    );
  });

  it('an unknown field is refused by name (strict schema: a typo is never silently ignored)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }).filter((k) => !(k in VALID_REQUEST) && !['snapshotId', 'keepSnapshot', 'skipFinalSnapshot', 'requestedBy', '__proto__'].includes(k)), (key) => {
        const r = restoreRequest.safeParse({ ...VALID_REQUEST, [key]: 'x' });
        expect(r.success).toBe(false);
        expect(describeIssues(r.error!)).toContain(key);
      }),
    );
  });
});

describe('every consumed event', () => {
  it('any text at all: parseEventBody returns an event or throws InvalidEventError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (body) => {
        try {
          parseEventBody(body);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidEventError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('malformed JSON names the body', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }), (body) => {
        expect(() => parseEventBody(body)).toThrow(/^body: expected JSON/);
      }),
    );
  });

  const domain = () => JSON.parse(JSON.stringify({
    version: '0', id: 'e2', 'detail-type': 'CopyStarted', source: EVENT_SOURCE, account: '123456789012', time: '2026-11-24T02:00:00Z', region: 'us-east-1', resources: [],
    detail: domainEvent('CopyStarted', OPERATION_ID, new Date('2026-11-24T02:00:00Z'), { target: { snapshotId: 'aurora-restore-abc123-x', snapshotArn: 'arn:aws:rds:us-west-2:123456789012:cluster-snapshot:x', region: 'us-west-2' } }).detail,
  }));

  it('a domain event with a field missing or of the wrong type: the error names it', () => {
    expect(() => parseEventBody(JSON.stringify(domain()))).not.toThrow();
    const paths: [string[], string][] = [
      [['detail', 'operationId'], 'detail.operationId'],
      [['detail', 'occurredAt'], 'detail.occurredAt'],
      [['detail', 'schemaVersion'], 'detail.schemaVersion'],
      [['detail', 'target', 'snapshotId'], 'detail.target.snapshotId'],
      [['detail', 'target', 'region'], 'detail.target.region'],
      [['id'], 'id'],
      [['detail-type'], 'detail-type'],
      [['source'], 'source'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.option(fc.oneof(wrongType, hostileString, fc.constantFrom('2026-02-30T00:00:00Z', 'mars-north-1')), { nil: undefined }), ([path, name], value) => {
        const event = domain();
        let at = event;
        for (const k of path.slice(0, -1)) at = at[k];
        if (value === undefined) delete at[path.at(-1)!];
        else at[path.at(-1)!] = value;
        let error: unknown;
        try {
          parseEventBody(JSON.stringify(event));
        } catch (e) {
          error = e;
        }
        // A few generated values happen to be valid (e.g. a string id); then the event parses.
        if (error === undefined) return;
        expect(error).toBeInstanceOf(InvalidEventError);
        expect((error as Error).message).toContain(name);
      }),
      { numRuns: 400 },
    );
  });

  it('an RDS event with a field missing or of the wrong type: the error names detail.<field>', () => {
    const fields = ['EventCategories', 'SourceType', 'SourceArn', 'Date', 'Message', 'SourceIdentifier', 'EventID'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.option(fc.oneof(fc.integer(), fc.constant(null), fc.object({ maxDepth: 0 })), { nil: undefined }), (field, value) => {
        const event = structuredClone(RDS_EVENT_EXAMPLES.clusterCreated) as Record<string, any>;
        if (value === undefined) delete event.detail[field];
        else event.detail[field] = value;
        expect(() => parseEventBody(JSON.stringify(event))).toThrow(new RegExp(`detail\\.${field}`));
      }),
    );
  });

  it('an RDS event id or source type that does not exist is refused by name', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.constantFrom('RDS-EVENT-17', 'rds-event-0170', 'RDS-EVENT-0170"; DROP')), (id) => {
        const event = structuredClone(RDS_EVENT_EXAMPLES.clusterCreated) as Record<string, any>;
        event.detail.EventID = id;
        expect(() => parseEventBody(JSON.stringify(event))).toThrow(/detail\.EventID/);
      }),
    );
  });
});

describe('scenario files', () => {
  const base = () => JSON.parse(JSON.stringify(DEFAULT_SCENARIO));

  it('a region that does not exist is refused by name', () => {
    fc.assert(
      fc.property(unknownRegions.filter((r) => r !== ''), (name) => {
        const s = base();
        s.regions[name] = { clusters: [] };
        expect(() => parseScenario(s)).toThrow(`regions.${name}`);
      }),
    );
  });

  it('a bad cluster id, clock start, fault rate or duration is refused, naming its path', () => {
    const cases = fc.oneof(
      fc.record({ path: fc.constant('regions.us-east-1.clusters.0.id'), value: fc.oneof(hostileString, oversized, wrongType) }),
      fc.record({ path: fc.constant('clockStart'), value: fc.oneof(fc.constantFrom('2026-02-30T00:00:00Z', '2026-11-24', 'yesterday', '2026-11-24T25:00:00Z'), wrongType) }),
      fc.record({ path: fc.constant('faults.throttleRate'), value: fc.oneof(fc.double({ min: 1.0001, max: 1e6, noNaN: true }), fc.double({ max: -0.0001, noNaN: true }), fc.string()) }),
      fc.record({ path: fc.constant('durations.copyMinutes'), value: fc.oneof(fc.integer({ max: 0 }), fc.string()) }),
      fc.record({ path: fc.constant('account'), value: fc.oneof(fc.constantFrom('12345', 'abcdefghijkl', '1234567890123'), wrongType) }),
    );
    fc.assert(
      fc.property(cases, ({ path, value }) => {
        const s = base();
        const keys = path.split('.');
        let at = s;
        for (const k of keys.slice(0, -1)) at = at[k];
        at[keys.at(-1)!] = value;
        expect(() => parseScenario(s)).toThrow(path);
      }),
      { numRuns: 300 },
    );
  });
});
