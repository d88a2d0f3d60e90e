import { describe, expect, it } from 'vitest';
import { matchesPattern, validatePattern } from '../../src/lib/local/pattern';
import { SUBSCRIPTIONS, forwardedRdsPattern } from '../../src/events/subscriptions';
import { EVENT_NAMES, EVENT_SOURCE, EXAMPLES } from '../../src/events/catalogue';
import { RDS_DETAIL_TYPES, RDS_EVENT_EXAMPLES, RDS_EVENT_IDS, RDS_SOURCE } from '../../src/events/rds';

type Case = [name: string, pattern: object, event: object, expected: boolean];

const m = (pattern: object, event: object) => matchesPattern(pattern, event);

describe('matchesPattern: values, arrays, nesting', () => {
  const cases: Case[] = [
    ['exact string', { source: ['aws.ec2'] }, { source: 'aws.ec2' }, true],
    ['exact string, other value', { source: ['aws.ec2'] }, { source: 'aws.s3' }, false],
    ['one of several values', { state: ['pending', 'running'] }, { state: 'running' }, true],
    ['case sensitive', { state: ['running'] }, { state: 'Running' }, false],
    ['absent field', { state: ['running'] }, { other: 'running' }, false],
    ['number', { count: [5] }, { count: 5 }, true],
    ['number vs string', { count: [5] }, { count: '5' }, false],
    ['string vs number', { count: ['5'] }, { count: 5 }, false],
    ['number 3.0e2 equals 300', { size: [300] }, { size: 3.0e2 }, true],
    ['boolean', { encrypted: [true] }, { encrypted: true }, true],
    ['boolean mismatch', { encrypted: [true] }, { encrypted: false }, false],
    ['boolean vs string', { encrypted: [true] }, { encrypted: 'true' }, false],
    ['null', { kms: [null] }, { kms: null }, true],
    ['null does not match absent', { kms: [null] }, {}, false],
    ['empty string', { lastName: [''] }, { lastName: '' }, true],
    ['empty string vs absent', { lastName: [''] }, {}, false],
    ['event array: any element', { resources: ['arn:b'] }, { resources: ['arn:a', 'arn:b'] }, true],
    ['event array: no element', { resources: ['arn:c'] }, { resources: ['arn:a', 'arn:b'] }, false],
    ['event array vs pattern list intersection', { tags: ['x', 'y'] }, { tags: ['y', 'z'] }, true],
    ['nested', { detail: { state: ['running'] } }, { detail: { state: 'running', id: 'i-1' } }, true],
    ['nested mismatch', { detail: { state: ['running'] } }, { detail: { state: 'stopped' } }, false],
    ['nested absent object', { detail: { state: ['running'] } }, { source: 'x' }, false],
    ['deep nesting', { detail: { a: { b: { c: [1] } } } }, { detail: { a: { b: { c: 1 } } } }, true],
    ['nested pattern over an array of objects', { detail: { items: { id: ['b'] } } }, { detail: { items: [{ id: 'a' }, { id: 'b' }] } }, true],
    ['all fields are ANDed', { source: ['s'], 'detail-type': ['t'] }, { source: 's', 'detail-type': 'u' }, false],
    ['leaf pattern vs object value', { detail: ['x'] }, { detail: { x: 1 } }, false],
  ];
  it.each(cases)('%s', (_n, pattern, event, expected) => expect(m(pattern, event)).toBe(expected));
});

describe('matchesPattern: content filters (EventBridge documentation examples)', () => {
  const cases: Case[] = [
    // prefix
    ['prefix', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' }, true],
    ['prefix miss', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' }, false],
    ['prefix not on numbers', { n: [{ prefix: '1' }] }, { n: 12 }, false],
    ['prefix ignore case', { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { detail: { service: 'EVENTBRIDGE' } }, true],
    ['prefix ignore case miss', { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { detail: { service: 'lambda' } }, false],
    // suffix
    ['suffix', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' }, true],
    ['suffix miss', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' }, false],
    ['suffix ignore case', { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { detail: { FileName: 'image.PNG' } }, true],
    // anything-but
    ['anything-but string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'running' } }, true],
    ['anything-but string, excluded', { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'initializing' } }, false],
    ['anything-but number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 456 } }, true],
    ['anything-but number, excluded', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 123 } }, false],
    ['anything-but list', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, { detail: { state: 'running' } }, true],
    ['anything-but list, excluded', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, { detail: { state: 'overloaded' } }, false],
    ['anything-but numbers list', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, { detail: { 'x-limit': 200 } }, false],
    ['anything-but needs the field', { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: {} }, false],
    ['anything-but prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, { detail: { state: 'running' } }, true],
    ['anything-but prefix, excluded', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, { detail: { state: 'initializing' } }, false],
    ['anything-but suffix', { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } }, { detail: { FileName: 'a.png' } }, true],
    ['anything-but suffix, excluded', { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } }, { detail: { FileName: 'a.txt' } }, false],
    ['anything-but ignore case', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } }, { detail: { state: 'STOPPED' } }, false],
    ['anything-but ignore case, other', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'Stopped' } }] } }, { detail: { state: 'running' } }, true],
    ['anything-but wildcard', { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, { detail: { FilePath: '/usr/bin/x' } }, true],
    ['anything-but wildcard, excluded', { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, { detail: { FilePath: '/usr/lib/x' } }, false],
    ['anything-but over an array: any element', { tags: [{ 'anything-but': 'a' }] }, { tags: ['a', 'b'] }, true],
    // numeric
    ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, { detail: { 'c-count': 5 } }, true],
    ['numeric range, low edge', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, { detail: { 'c-count': 0 } }, false],
    ['numeric range, above', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, { detail: { 'c-count': 5.01 } }, false],
    ['numeric =', { detail: { 'd-count': [{ numeric: ['=', 301.8] }] } }, { detail: { 'd-count': 301.8 } }, true],
    ['numeric <', { detail: { 'd-count': [{ numeric: ['<', 10] }] } }, { detail: { 'd-count': 10 } }, false],
    ['numeric >=', { detail: { 'x-limit': [{ numeric: ['>=', 3.018e2] }] } }, { detail: { 'x-limit': 301.8 } }, true],
    ['numeric does not match a numeric string', { detail: { n: [{ numeric: ['>', 0] }] } }, { detail: { n: '5' } }, false],
    // exists
    ['exists true', { detail: { state: [{ exists: true }] } }, { detail: { state: 'running' } }, true],
    ['exists true, absent', { detail: { state: [{ exists: true }] } }, { detail: {} }, false],
    ['exists true, null is a value', { detail: { state: [{ exists: true }] } }, { detail: { state: null } }, true],
    ['exists true, object is not a leaf', { detail: { state: [{ exists: true }] } }, { detail: { state: { a: 1 } } }, false],
    ['exists false, absent', { detail: { state: [{ exists: false }] } }, { detail: { other: 1 } }, true],
    ['exists false, present', { detail: { state: [{ exists: false }] } }, { detail: { state: 'x' } }, false],
    ['exists false, object value (AWS-FACTS)', { detail: { state: [{ exists: false }] } }, { detail: { state: { code: 16 } } }, true],
    ['exists false, parent absent', { detail: { state: [{ exists: false }] } }, { source: 'x' }, true],
    // equals-ignore-case
    ['equals-ignore-case', { Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' }, true],
    ['equals-ignore-case miss', { Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'alicia' }, false],
    // wildcard
    ['wildcard', { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }, true],
    ['wildcard miss', { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' }, false],
    ['wildcard is anchored', { f: [{ wildcard: 'dir/*.png' }] }, { f: 'dir/a.png.bak' }, false],
    ['wildcard dots are literal', { f: [{ wildcard: 'a.c*' }] }, { f: 'abc' }, false],
    ['escaped star is literal', { f: [{ wildcard: 'a\\*b' }] }, { f: 'a*b' }, true],
    ['escaped star does not wildcard', { f: [{ wildcard: 'a\\*b' }] }, { f: 'axxb' }, false],
    // cidr
    ['cidr', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, { detail: { 'source-ip': '10.0.0.255' } }, true],
    ['cidr miss', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, { detail: { 'source-ip': '10.0.1.0' } }, false],
    // mixing matchers in one list is OR
    ['values and matchers are ORed', { state: ['stopped', { prefix: 'run' }] }, { state: 'running' }, true],
  ];
  it.each(cases)('%s', (_n, pattern, event, expected) => {
    validatePattern(pattern);
    expect(m(pattern, event)).toBe(expected);
  });
});

describe('matchesPattern: $or', () => {
  const pattern = { detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }, { 'x-limit': [{ numeric: ['=', 3.018e2] }] }] } };
  it.each<[object, boolean]>([
    [{ detail: { 'c-count': 3 } }, true],
    [{ detail: { 'd-count': 2 } }, true],
    [{ detail: { 'x-limit': 301.8 } }, true],
    [{ detail: { 'c-count': 9, 'd-count': 11 } }, false],
    [{ detail: {} }, false],
  ])('documented $or example: %j → %s', (event, expected) => {
    validatePattern(pattern);
    expect(m(pattern, event)).toBe(expected);
  });

  it('top-level $or combined with other fields (AND)', () => {
    const p = { source: ['aws.ec2'], $or: [{ 'detail-type': ['A'] }, { detail: { state: ['x'] } }] };
    validatePattern(p);
    expect(m(p, { source: 'aws.ec2', 'detail-type': 'A' })).toBe(true);
    expect(m(p, { source: 'aws.ec2', 'detail-type': 'B', detail: { state: 'x' } })).toBe(true);
    expect(m(p, { source: 'aws.s3', 'detail-type': 'A' })).toBe(false);
    expect(m(p, { source: 'aws.ec2', 'detail-type': 'B' })).toBe(false);
  });

  it('matches replay-name like any top-level field (rules limited to replays)', () => {
    const p = { 'replay-name': [{ exists: true }] };
    expect(m(p, { source: 's', 'replay-name': 'r1' })).toBe(true);
    expect(m(p, { source: 's' })).toBe(false);
  });
});

describe('validatePattern', () => {
  it.each<[string, unknown, RegExp]>([
    ['not an object', 'x', /pattern: expected a JSON object/],
    ['array', [1], /pattern: expected a JSON object/],
    ['empty', {}, /pattern: expected at least one field/],
    ['bare value', { source: 'aws.ec2' }, /pattern\.source: expected an array of values or matchers/],
    ['empty list', { source: [] }, /pattern\.source: expected a non-empty array/],
    ['unknown matcher', { detail: { a: [{ contains: 'x' }] } }, /pattern\.detail\.a\[0\]: expected exactly one of prefix/],
    ['two matcher keys', { a: [{ prefix: 'x', suffix: 'y' }] }, /pattern\.a\[0\]: expected exactly one of/],
    ['prefix not a string', { a: [{ prefix: 1 }] }, /pattern\.a\[0\]\.prefix: expected a string/],
    ['exists not boolean', { a: [{ exists: 'yes' }] }, /pattern\.a\[0\]\.exists: expected true or false/],
    ['numeric bad op', { a: [{ numeric: ['!=', 1] }] }, /pattern\.a\[0\]\.numeric\[0\]: expected one of "="/],
    ['numeric not a number', { a: [{ numeric: ['>', '1'] }] }, /pattern\.a\[0\]\.numeric\[1\]: expected a finite number/],
    ['numeric two lower bounds', { a: [{ numeric: ['>', 1, '>=', 2] }] }, /at most one lower bound/],
    ['numeric odd length', { a: [{ numeric: ['>', 1, '<'] }] }, /pattern\.a\[0\]\.numeric: expected/],
    ['anything-but empty list', { a: [{ 'anything-but': [] }] }, /anything-but: expected a non-empty array/],
    ['anything-but bad object', { a: [{ 'anything-but': { exists: true } }] }, /anything-but: expected a value/],
    ['wildcard **', { a: [{ wildcard: 'a**b' }] }, /consecutive wildcard/],
    ['cidr garbage', { a: [{ cidr: '10.0.0.0/99' }] }, /cidr: expected an IPv4 CIDR/],
    ['$or with one branch', { $or: [{ a: ['x'] }] }, /pattern\.\$or: expected an array of at least two/],
    ['$or branch invalid', { $or: [{ a: ['x'] }, { b: 'y' }] }, /pattern\.\$or\[1\]\.b: expected an array/],
    ['nested object invalid', { detail: { state: { code: 1 } } }, /pattern\.detail\.state\.code: expected an array/],
  ])('rejects %s, naming the path', (_n, pattern, message) => {
    expect(() => validatePattern(pattern)).toThrow(message);
  });

  it('accepts every pattern of the subscription table and the RDS forwarding pattern', () => {
    for (const s of SUBSCRIPTIONS) for (const p of s.patterns) expect(() => validatePattern(p.pattern), `${s.step}/${p.name}`).not.toThrow();
    expect(() => validatePattern(forwardedRdsPattern())).not.toThrow();
  });
});

// ------------------------------------------------------------ the subscription table

const domainEnvelope = (type: string, detail: object) => ({
  version: '0',
  id: 'e-1',
  'detail-type': type,
  source: EVENT_SOURCE,
  account: '000000000000',
  time: '2026-11-24T02:00:00Z',
  region: 'us-west-2',
  resources: [],
  detail,
});

const rdsEnvelope = (detailType: string, eventId: string) => ({
  ...RDS_EVENT_EXAMPLES.clusterCreated,
  'detail-type': detailType,
  detail: { ...RDS_EVENT_EXAMPLES.clusterCreated.detail, EventID: eventId },
});

/** Which steps a given event reaches through the table. */
function consumersOf(event: object): string[] {
  return SUBSCRIPTIONS.filter((s) => s.patterns.some((p) => matchesPattern(p.pattern, event))).map((s) => s.step);
}

describe('SUBSCRIPTIONS patterns', () => {
  const expected: Record<string, string[]> = {
    RestoreRequested: ['snapshot-check'],
    SnapshotValidated: ['copy-snapshot'],
    SourceClusterValidated: ['delete-rds'],
    CopyStarted: ['check-copy-status'],
    CopyCompleted: ['delete-rds'],
    ClusterDeletionStarted: ['check-delete-status'],
    TargetCleared: ['restore-snapshot'],
    ClusterRestoreStarted: ['check-restore-status'],
    ClusterAvailable: ['setup-db-users'],
    // The example is a swap's (strategy: swap): it goes on to the renames; replace's goes to archive-snapshot (below).
    UsersConfigured: ['swap-out'],
    TargetVacated: ['swap-in'],
    ClustersSwapped: ['retire-cluster'],
    OldClusterRetired: ['archive-snapshot'],
    RestoreSucceeded: ['sns-notification'],
    RestoreFailed: ['sns-notification'],
    OperationDeadlineReached: ['watchdog'],
  };

  it.each(EVENT_NAMES.filter((n) => n !== 'RecheckDue'))('%s reaches exactly its consumer', (name) => {
    expect(consumersOf(domainEnvelope(name, EXAMPLES[name]))).toEqual(expected[name]);
  });

  it('UsersConfigured of a replace goes to archive-snapshot, of a swap to swap-out — never both', () => {
    expect(consumersOf(domainEnvelope('UsersConfigured', { ...EXAMPLES.UsersConfigured, strategy: 'replace' }))).toEqual(['archive-snapshot']);
    expect(consumersOf(domainEnvelope('UsersConfigured', { ...EXAMPLES.UsersConfigured, strategy: 'swap' }))).toEqual(['swap-out']);
  });

  it.each([
    ['copy', 'check-copy-status'],
    ['delete', 'check-delete-status'],
    ['restore', 'check-restore-status'],
    ['swap-out', 'swap-out'],
    ['swap-in', 'swap-in'],
  ])('RecheckDue for check %s reaches only %s', (check, step) => {
    expect(consumersOf(domainEnvelope('RecheckDue', { ...EXAMPLES.RecheckDue, check }))).toEqual([step]);
  });

  it('a RecheckDue without a check, or with an unknown one, reaches nobody', () => {
    const { check: _c, ...noCheck } = EXAMPLES.RecheckDue;
    expect(consumersOf(domainEnvelope('RecheckDue', noCheck))).toEqual([]);
    expect(consumersOf(domainEnvelope('RecheckDue', { ...EXAMPLES.RecheckDue, check: 'snapshot' }))).toEqual([]);
  });

  it('a pipeline event name from another source, or an unknown name, reaches nobody', () => {
    expect(consumersOf({ ...domainEnvelope('RestoreRequested', EXAMPLES.RestoreRequested), source: 'someone.else' })).toEqual([]);
    expect(consumersOf(domainEnvelope('SnapshotArchived', {}))).toEqual([]);
    expect(consumersOf(domainEnvelope('restorerequested', EXAMPLES.RestoreRequested))).toEqual([]);
  });

  it.each<[string, string, string[]]>([
    [RDS_DETAIL_TYPES.cluster, RDS_EVENT_IDS.clusterCreated, ['check-restore-status']],
    [RDS_DETAIL_TYPES.cluster, RDS_EVENT_IDS.clusterCreateFailed[0], ['check-restore-status']],
    [RDS_DETAIL_TYPES.cluster, RDS_EVENT_IDS.clusterCreateFailed[1], ['check-restore-status']],
    [RDS_DETAIL_TYPES.cluster, RDS_EVENT_IDS.clusterDeleted, ['check-delete-status']],
    [RDS_DETAIL_TYPES.instance, RDS_EVENT_IDS.instanceCreated, ['check-restore-status']],
    [RDS_DETAIL_TYPES.instance, RDS_EVENT_IDS.instanceCreateFailed[0], ['check-restore-status']],
    [RDS_DETAIL_TYPES.instance, RDS_EVENT_IDS.instanceCreateFailed[1], ['check-restore-status']],
    [RDS_DETAIL_TYPES.instance, RDS_EVENT_IDS.instanceFailed, ['check-restore-status']],
    [RDS_DETAIL_TYPES.instance, RDS_EVENT_IDS.instanceDeleted, ['check-delete-status']],
    // An instance event id under the cluster detail-type (and vice versa) matches nothing.
    [RDS_DETAIL_TYPES.cluster, RDS_EVENT_IDS.instanceCreated, []],
    [RDS_DETAIL_TYPES.instance, RDS_EVENT_IDS.clusterDeleted, []],
    [RDS_DETAIL_TYPES.clusterSnapshot, RDS_EVENT_IDS.manualSnapshotCreated, []],
    [RDS_DETAIL_TYPES.cluster, 'RDS-EVENT-0001', []],
  ])('RDS %s %s reaches %j', (detailType, id, steps) => {
    expect(consumersOf(rdsEnvelope(detailType, id))).toEqual(steps);
  });

  it('the documented RDS example reaches check-restore-status, and only through aws.rds', () => {
    expect(consumersOf(RDS_EVENT_EXAMPLES.clusterCreated)).toEqual(['check-restore-status']);
    expect(consumersOf({ ...RDS_EVENT_EXAMPLES.clusterCreated, source: 'aws.rdsx' })).toEqual([]);
    expect(consumersOf({ ...RDS_EVENT_EXAMPLES.clusterCreated, source: RDS_SOURCE.toUpperCase() })).toEqual([]);
  });

  it('the forwarding pattern passes every RDS event a step consumes and nothing else', () => {
    const forward = forwardedRdsPattern();
    expect(matchesPattern(forward, RDS_EVENT_EXAMPLES.clusterCreated)).toBe(true);
    expect(matchesPattern(forward, rdsEnvelope(RDS_DETAIL_TYPES.instance, RDS_EVENT_IDS.instanceDeleted))).toBe(true);
    expect(matchesPattern(forward, rdsEnvelope(RDS_DETAIL_TYPES.cluster, 'RDS-EVENT-0001'))).toBe(false);
    expect(matchesPattern(forward, domainEnvelope('RestoreRequested', EXAMPLES.RestoreRequested))).toBe(false);
  });

  it('forwards only the pipeline\'s own resources (managed-by tag) and the allow-listed clusters with their <cluster>-… instances', () => {
    const event = (id: string, tags?: Record<string, string>) => {
      const e = rdsEnvelope(RDS_DETAIL_TYPES.cluster, RDS_EVENT_IDS.clusterDeleted);
      return { ...e, detail: { ...e.detail, SourceIdentifier: id, Tags: tags } };
    };
    const ours = { 'aurora-restore:managed-by': 'aurora-restore' };
    expect(matchesPattern(forwardedRdsPattern(), event('someone-elses', { team: 'data' }))).toBe(false);
    expect(matchesPattern(forwardedRdsPattern(), event('no-tags'))).toBe(false);
    expect(matchesPattern(forwardedRdsPattern(), event('staging', ours))).toBe(true);
    const withAllowList = forwardedRdsPattern(['legacy-staging']);
    expect(matchesPattern(withAllowList, event('legacy-staging'))).toBe(true);
    expect(matchesPattern(withAllowList, event('legacy-staging-instance-1'))).toBe(true);
    expect(matchesPattern(withAllowList, event('legacy-stagingx'))).toBe(false);
    expect(matchesPattern(withAllowList, event('staging', ours))).toBe(true);
    expect(JSON.stringify(withAllowList).length).toBeLessThanOrEqual(2048); // PutRule's event pattern size quota
  });
});
